"""The intermediate tier: experiment tracking, the model registry and data drift, on MLflow.

Nothing in the core imports this package except in one guarded place per concern (the CLI's
commands, the training callbacks and `models:/` references), so beginner projects run without it.
"""


class MlopsError(RuntimeError):
    """A tracking, registry or drift step failed for a reason the message explains (no traceback needed)."""
