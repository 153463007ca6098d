"""The mlops tier: experiment tracking, the model registry, data drift and rollouts, on MLflow.

The core never imports this package: `extension.py` plugs its commands, training callbacks,
`models:/` references and the rollout's serving strategy into the seam (`extensions.py`).
"""

from ..errors import ProjectError


class MlopsError(ProjectError, RuntimeError):
    """A tracking, registry or drift step failed for a reason the message explains (no traceback needed)."""
