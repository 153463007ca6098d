"""The integrations tier: notifications (Slack-compatible webhooks, SMTP email), object storage
through fsspec (local paths and s3://), and label suggestions from a vision-capable LLM for the
images the model is least sure of. See `integrations/README.md` for adding another.

The core never imports this package: `extension.py` plugs it into the seam (events, `s3://`
checkpoint references, commands).
"""

from ..errors import ProjectError


class IntegrationError(ProjectError, RuntimeError):
    """An integration is misconfigured or its service refused, for a reason the message explains."""
