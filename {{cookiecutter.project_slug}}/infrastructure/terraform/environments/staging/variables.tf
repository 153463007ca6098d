variable "project" {
  description = "The project's name, first part of every resource's name."
  type        = string
}

variable "environment" {
  description = "Which environment of environments/ this is."
  type        = string

  validation {
    condition     = contains(["development", "staging", "production"], var.environment)
    error_message = "environment must be development, staging or production (the folders of environments/)."
  }
}

variable "region" {
  description = "AWS region of every resource of this environment."
  type        = string
}

variable "vpc_cidr" {
  description = "Address range of the environment's VPC."
  type        = string
}

variable "az_count" {
  description = "Availability zones the network and the nodes span."
  type        = number
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the EKS control plane."
  type        = string
}

variable "public_access_cidrs" {
  description = "Addresses that may reach the cluster's API endpoint (narrow this to your offices and CI)."
  type        = list(string)
}

variable "cpu_instance_types" {
  description = "Instance types of the CPU node pool."
  type        = list(string)
}

variable "cpu_min_nodes" {
  description = "Smallest size of the CPU node pool."
  type        = number
}

variable "cpu_max_nodes" {
  description = "Largest size of the CPU node pool."
  type        = number
}

variable "gpu_instance_types" {
  description = "Instance types of the GPU node pool."
  type        = list(string)
}

variable "gpu_min_nodes" {
  description = "Smallest size of the GPU node pool (0: no GPU node until a pod asks for one)."
  type        = number
}

variable "gpu_max_nodes" {
  description = "Largest size of the GPU node pool."
  type        = number
}

variable "image_tag_mutability" {
  description = "IMMUTABLE (a released tag never changes) or MUTABLE."
  type        = string
}

variable "keep_images" {
  description = "Tagged images kept per repository."
  type        = number
}

variable "noncurrent_version_days" {
  description = "Days an overwritten artifact's old version is kept."
  type        = number
}

variable "allow_destroying_data" {
  description = "Let `terraform destroy` delete a bucket and repositories that still hold data."
  type        = bool
}

variable "kubernetes_namespace" {
  description = "Namespace of the manifests in infrastructure/kubernetes."
  type        = string
}

variable "kubernetes_service_account" {
  description = "The API's service account in that namespace."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may take the CI role."
  type        = string
}

variable "create_github_oidc_provider" {
  description = "true in the first environment of an AWS account; false in the others (the provider is per account)."
  type        = bool
}
