"""The scale-out tier: batch inference over many images on Ray Data, and what multi-node training
needs beyond the core's torchrun support.

The core never imports this package: `extension.py` adds the `batch-predict` command through the
seam. Its plain `local` engine is the core's `predict` path, one shard of files at a time; its
`ray` engine spreads decoding and the model over a Ray cluster. Both write the same Parquet shards
(`results.py`), which is what makes a rerun after a crash skip the work already done.
"""

from ..errors import ProjectError


class ScaleOutError(ProjectError, RuntimeError):
    """A batch job cannot start or finish, for a reason the message explains."""
