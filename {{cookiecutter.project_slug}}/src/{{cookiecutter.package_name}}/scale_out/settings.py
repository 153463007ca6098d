"""`batch-predict`'s settings, each default defined once (see the core's settings.py).

Light on purpose: the command line builds its flags from these classes before anything heavy loads.
"""

import dataclasses

from ..settings import LoaderSettings, setting

ENGINES = ("local", "ray")


@dataclasses.dataclass(frozen=True)
class BatchPredictSettings(LoaderSettings):
    """How `batch-predict` reads, runs and writes; the loader fields are `predict`'s own."""

    engine: str = setting(
        "local", "local: predict's path on this machine; ray: Ray Data over a cluster", "BATCH_ENGINE", ENGINES
    )
    shard_size: int = setting(4096, "results per Parquet shard; a crash costs at most one shard's work per writer")
    ray_address: str | None = setting(
        None, "Ray cluster to join, e.g. ray-head:6379 (none: start a local Ray instance)", "RAY_ADDRESS"
    )
    ray_cpus: int | None = setting(None, "CPUs of the local Ray instance (none: every core)")
    model_actors: int = setting(1, "model replicas (Ray actors), each with its own copy of the model")
    actor_cpus: float = setting(1.0, "CPUs each model actor reserves")
    actor_gpus: float | None = setting(None, "GPUs each model actor reserves (none: 1 when the cluster has GPUs)")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("shard_size", 1)
        self.at_least("model_actors", 1)
        self.at_least("actor_cpus", 0)
        if self.actor_gpus is not None:
            self.at_least("actor_gpus", 0)
        if self.ray_cpus is not None:
            self.at_least("ray_cpus", 1)
