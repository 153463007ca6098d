output "api_repository_url" {
  description = "Where to push the API's images: <account>.dkr.ecr.<region>.amazonaws.com/<name>."
  value       = aws_ecr_repository.this["api"].repository_url
}

output "web_repository_url" {
  description = "Where to push the web page's image."
  value       = aws_ecr_repository.this["web"].repository_url
}

output "repository_arns" {
  description = "ARNs of both repositories, for the CI role's push permission."
  value       = [for repository in aws_ecr_repository.this : repository.arn]
}
