variable "name" {
  description = "Name of the VPC and prefix of its parts."
  type        = string
}

variable "cidr_block" {
  description = "Address range of the VPC; each subnet takes a sixteenth of it."
  type        = string
}

variable "az_count" {
  description = "Availability zones to spread the subnets over (2 or 3)."
  type        = number

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3: EKS needs subnets in two zones at least."
  }
}

variable "cluster_name" {
  description = "The EKS cluster that may place load balancers in these subnets."
  type        = string
}
