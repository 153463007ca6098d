output "region" {
  description = "AWS region of this environment."
  value       = var.region
}

output "cluster_name" {
  description = "EKS cluster: aws eks update-kubeconfig --region <region> --name <cluster_name>."
  value       = module.cluster.name
}

output "cluster_endpoint" {
  description = "URL of the cluster's Kubernetes API."
  value       = module.cluster.endpoint
}

output "api_repository_url" {
  description = "Where to push the API's images (the overlay's images newName)."
  value       = module.registry.api_repository_url
}

output "web_repository_url" {
  description = "Where to push the web page's image."
  value       = module.registry.web_repository_url
}

output "artifact_bucket" {
  description = "The artifact bucket (MLflow artifacts, checkpoints, datasets)."
  value       = module.artifacts.bucket_name
}

output "vpc_id" {
  description = "The environment's VPC."
  value       = module.network.vpc_id
}

output "service_role_arn" {
  description = "The API's IAM role, taken by its service account."
  value       = module.iam.service_role_arn
}

output "ci_role_arn" {
  description = "CI's IAM role (role-to-assume of aws-actions/configure-aws-credentials)."
  value       = module.iam.ci_role_arn
}
