# The development environment's values; main.tf is the same in every environment.
project     = "{{ cookiecutter.project_slug }}"
environment = "development"
region      = "eu-west-1"

vpc_cidr            = "10.10.0.0/16"
az_count            = 2
kubernetes_version  = "1.33"
public_access_cidrs = ["0.0.0.0/0"]

cpu_instance_types = ["t3.large"]
cpu_min_nodes      = 1
cpu_max_nodes      = 3
gpu_instance_types = ["g5.xlarge"]
gpu_min_nodes      = 0
gpu_max_nodes      = 1

image_tag_mutability    = "MUTABLE"
keep_images             = 20
noncurrent_version_days = 14
allow_destroying_data   = true

kubernetes_namespace       = "{{ cookiecutter.project_slug }}"
kubernetes_service_account = "api"
github_repository          = "{{ cookiecutter.github_org }}/{{ cookiecutter.project_slug }}"
# GitHub's OIDC provider exists once per AWS account: true where this account gets it first.
create_github_oidc_provider = true
