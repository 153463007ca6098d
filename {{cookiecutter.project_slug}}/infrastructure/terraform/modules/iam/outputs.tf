output "service_role_arn" {
  description = "The API's role (taken through its service account)."
  value       = aws_iam_role.service.arn
}

output "ci_role_arn" {
  description = "CI's role: give it to aws-actions/configure-aws-credentials as role-to-assume."
  value       = aws_iam_role.ci.arn
}
