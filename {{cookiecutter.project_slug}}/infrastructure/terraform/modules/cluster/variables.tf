variable "name" {
  description = "Name of the cluster and prefix of its IAM roles."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane, e.g. 1.33."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the nodes (two zones at least)."
  type        = list(string)
}

variable "public_access_cidrs" {
  description = "Addresses that may reach the cluster's API endpoint from the internet."
  type        = list(string)
}

variable "cpu_instance_types" {
  description = "Instance types of the CPU pool."
  type        = list(string)
}

variable "cpu_min_nodes" {
  description = "Nodes the CPU pool never goes below."
  type        = number
}

variable "cpu_max_nodes" {
  description = "Nodes the CPU pool never goes above."
  type        = number
}

variable "gpu_instance_types" {
  description = "Instance types of the GPU pool (NVIDIA GPUs, e.g. g5.xlarge)."
  type        = list(string)
}

variable "gpu_min_nodes" {
  description = "Nodes the GPU pool never goes below (0: none until a pod asks for a GPU)."
  type        = number
}

variable "gpu_max_nodes" {
  description = "Nodes the GPU pool never goes above."
  type        = number
}
