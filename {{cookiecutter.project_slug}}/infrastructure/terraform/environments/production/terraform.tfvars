# The production environment's values; main.tf is the same in every environment.
project     = "{{ cookiecutter.project_slug }}"
environment = "production"
region      = "eu-west-1"

vpc_cidr            = "10.30.0.0/16"
az_count            = 3
kubernetes_version  = "1.33"
public_access_cidrs = ["0.0.0.0/0"]

cpu_instance_types = ["m6i.xlarge"]
cpu_min_nodes      = 3
cpu_max_nodes      = 10
gpu_instance_types = ["g5.xlarge"]
gpu_min_nodes      = 0
gpu_max_nodes      = 4

image_tag_mutability    = "IMMUTABLE"
keep_images             = 100
noncurrent_version_days = 90
allow_destroying_data   = false

kubernetes_namespace       = "{{ cookiecutter.project_slug }}"
kubernetes_service_account = "api"
github_repository          = "{{ cookiecutter.github_org }}/{{ cookiecutter.project_slug }}"
# GitHub's OIDC provider exists once per AWS account: true where this account gets it first.
create_github_oidc_provider = false
