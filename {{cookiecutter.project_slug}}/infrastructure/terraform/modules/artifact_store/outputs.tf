output "bucket_name" {
  description = "Name of the artifact bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the artifact bucket, for IAM policies."
  value       = aws_s3_bucket.this.arn
}
