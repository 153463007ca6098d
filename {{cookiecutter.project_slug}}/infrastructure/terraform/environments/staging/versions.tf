terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 7.0"
    }
  }

  # State in S3, one key per environment (backend.hcl): terraform init -backend-config=backend.hcl
  backend "s3" {}
}
