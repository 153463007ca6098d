"""The security tier: API keys, rate limits, security headers and a request-time limit for the API,
and the `api-key` command that makes keys. Scans (bandit, secrets, SBOM), pinned base images and
the policies live in the top-level `security/` folder and the generated CI.

The core never imports this package: `extension.py` plugs the API's guards into the seam.
"""

from ..errors import ProjectError


class SecurityError(ProjectError, ValueError):
    """A key, key file or security setting is unusable, for a reason the message explains."""
