# Where this environment's state lives: terraform init -backend-config=backend.hcl
# Create the bucket once before the first init (infrastructure/README.md); its name must be
# unique in all of AWS, so change it if it is taken.
bucket       = "{{ cookiecutter.project_slug }}-terraform-state"
key          = "production/terraform.tfstate"
region       = "eu-west-1"
encrypt      = true
use_lockfile = true
