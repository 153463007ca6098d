variable "name" {
  description = "Name of the API's repository; the page's is <name>-web."
  type        = string
}

variable "image_tag_mutability" {
  description = "IMMUTABLE: a pushed tag never changes (a release is what it was); MUTABLE lets a tag move."
  type        = string

  validation {
    condition     = contains(["IMMUTABLE", "MUTABLE"], var.image_tag_mutability)
    error_message = "image_tag_mutability must be IMMUTABLE or MUTABLE."
  }
}

variable "keep_images" {
  description = "Tagged images kept per repository; older ones expire."
  type        = number
}

variable "force_delete" {
  description = "Let `terraform destroy` delete repositories that still hold images (never in production)."
  type        = bool
}
