# One environment on AWS: network, artifact bucket, container registry, EKS cluster with a CPU and
# a GPU pool, and the IAM roles of the API and of CI. The three environment folders hold the same
# code; only terraform.tfvars and backend.hcl differ (a test checks it).
provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

locals {
  name = "${var.project}-${var.environment}"
}

module "network" {
  source       = "../../modules/network"
  name         = local.name
  cidr_block   = var.vpc_cidr
  az_count     = var.az_count
  cluster_name = local.name
}

module "artifacts" {
  source                  = "../../modules/artifact_store"
  bucket_name             = "${local.name}-artifacts-${data.aws_caller_identity.current.account_id}"
  noncurrent_version_days = var.noncurrent_version_days
  force_destroy           = var.allow_destroying_data
}

module "registry" {
  source               = "../../modules/container_registry"
  name                 = local.name
  image_tag_mutability = var.image_tag_mutability
  keep_images          = var.keep_images
  force_delete         = var.allow_destroying_data
}

module "cluster" {
  source              = "../../modules/cluster"
  name                = local.name
  kubernetes_version  = var.kubernetes_version
  subnet_ids          = module.network.private_subnet_ids
  public_access_cidrs = var.public_access_cidrs
  cpu_instance_types  = var.cpu_instance_types
  cpu_min_nodes       = var.cpu_min_nodes
  cpu_max_nodes       = var.cpu_max_nodes
  gpu_instance_types  = var.gpu_instance_types
  gpu_min_nodes       = var.gpu_min_nodes
  gpu_max_nodes       = var.gpu_max_nodes
}

module "iam" {
  source                      = "../../modules/iam"
  name                        = local.name
  cluster_name                = module.cluster.name
  cluster_arn                 = module.cluster.arn
  artifact_bucket_arn         = module.artifacts.bucket_arn
  repository_arns             = module.registry.repository_arns
  kubernetes_namespace        = var.kubernetes_namespace
  kubernetes_service_account  = var.kubernetes_service_account
  github_repository           = var.github_repository
  github_subjects             = ["ref:refs/heads/main", "environment:${var.environment}"]
  create_github_oidc_provider = var.create_github_oidc_provider
}
