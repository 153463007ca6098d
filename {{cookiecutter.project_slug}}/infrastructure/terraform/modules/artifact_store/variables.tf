variable "bucket_name" {
  description = "Globally unique name of the bucket."
  type        = string
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object's old version is kept."
  type        = number
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects (never in production)."
  type        = bool
}
