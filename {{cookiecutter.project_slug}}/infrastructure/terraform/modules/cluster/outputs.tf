output "name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "endpoint" {
  description = "URL of the cluster's Kubernetes API."
  value       = aws_eks_cluster.this.endpoint
}
