"""The backup tier: the model registry, model artefacts, configs, DVC metadata and dataset
manifests into timestamped archives with a checksum manifest; verified restores; retention.

The core never imports this package: `extension.py` adds the `backup` command through the seam.
What goes into an archive is data, not code: `backup/backup.yaml` in the project names it.
"""

from ..errors import ProjectError


class BackupError(ProjectError, RuntimeError):
    """A backup, a restore or a check failed for a reason the message explains; nothing was half done."""
