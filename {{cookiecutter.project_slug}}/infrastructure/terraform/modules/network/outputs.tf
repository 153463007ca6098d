output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "Subnets of the cluster's nodes, one per zone."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "Subnets of internet-facing load balancers, one per zone."
  value       = aws_subnet.public[*].id
}
