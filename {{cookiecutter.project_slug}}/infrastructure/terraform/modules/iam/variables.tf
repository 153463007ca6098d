variable "name" {
  description = "Prefix of the roles' names."
  type        = string
}

variable "cluster_name" {
  description = "The EKS cluster the API runs in and CI deploys to."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of that cluster, for CI's permission to find it."
  type        = string
}

variable "artifact_bucket_arn" {
  description = "The artifact bucket: the API reads it, CI writes it."
  type        = string
}

variable "repository_arns" {
  description = "The container repositories CI pushes to."
  type        = list(string)
}

variable "kubernetes_namespace" {
  description = "Namespace of the API's service account (infrastructure/kubernetes/base)."
  type        = string
}

variable "kubernetes_service_account" {
  description = "The API's service account (infrastructure/kubernetes/base/serviceaccount.yaml)."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose workflows may take the CI role."
  type        = string
}

variable "github_subjects" {
  description = "What of that repository may take the CI role: ref:refs/heads/main, environment:production, ..."
  type        = list(string)
}

variable "create_github_oidc_provider" {
  description = "Create GitHub's OIDC provider (once per AWS account), or use the one that exists."
  type        = bool
}
