"""The `ray` engine: Ray Data reads and decodes on every CPU of a cluster and feeds model actors.

    listing (Ray tasks, one per subfolder)
      -> paths -> decode (CPU tasks: load_image + resize, the core's own functions)
      -> model actors (ONNX Runtime on CPUs or PyTorch on a GPU, the core's Predictor)
      -> result rows streamed back to the driver, which writes the Parquet shards

Pixels never reach the driver: only the small result rows do. A model actor that dies is
restarted by Ray and its batch retried; the shard writer drops any row delivered twice.
"""

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..data.image import ImageDecodeError, load_image
from ..data.transforms import resize
from ..settings import TOP_K
from . import ScaleOutError
from .listing import filesystem, is_url, list_inputs
from .results import SCHEMA, ShardWriter
from .settings import BatchPredictSettings

log = logging.getLogger(__name__)
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds this package


def start(settings: BatchPredictSettings):
    """Join the cluster at `ray_address`, or start a local Ray instance, importable package and all."""
    try:
        import ray
        import ray.data
    except ModuleNotFoundError:
        raise ScaleOutError("the ray engine needs Ray: pip install -e '.[scale_out]'") from None
    if not ray.is_initialized():
        path = os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
        options = {"runtime_env": {"env_vars": {"PYTHONPATH": path}}, "log_to_driver": False}
        if settings.ray_address:
            ray.init(address=settings.ray_address, **options)
        else:
            # "local": a new instance, never a cluster some earlier `ray start` left its address for
            ray.init(address="local", num_cpus=settings.ray_cpus, include_dashboard=False, **options)
    return ray


def ray_mapper(ray):
    """`list_inputs`' mapper on a cluster: one Ray task per listing unit."""

    def mapper(function, units):
        task = ray.remote(num_cpus=0.25)(function)
        return ray.get([task.remote(unit) for unit in units])

    return mapper


def decode(batch: dict[str, np.ndarray], image_size: int) -> dict[str, np.ndarray]:
    """Paths -> resized uint8 HxWx3 images, as `predict` makes them; failures keep their reason."""
    images = np.zeros((len(batch["path"]), image_size, image_size, 3), np.uint8)
    errors = []
    for index, path in enumerate(batch["path"]):
        path = str(path)
        try:
            if is_url(path):
                fs, name = filesystem(path)
                try:
                    data = fs.cat_file(name)
                except OSError as error:
                    raise ImageDecodeError(f"{path}: cannot read file ({error})") from None
                try:
                    image = load_image(data)
                except ImageDecodeError as error:
                    raise ImageDecodeError(str(error).replace("<bytes>", path)) from None
            else:
                image = load_image(path)
            images[index] = resize(image, image_size)
            errors.append("")
        except ImageDecodeError as error:
            errors.append(str(error))
    return {"path": batch["path"], "image": images, "error": np.array(errors, dtype=object)}


class ModelActor:
    """One replica of the model, loaded once per actor through the core's Predictor."""

    def __init__(self, checkpoint: str, device: str, backend: str, top_k: int):
        from ..inference.predict import Predictor

        self.predictor = Predictor.from_checkpoint(checkpoint, device, backend=backend)
        self.top_k = top_k

    def __call__(self, batch: dict[str, np.ndarray]) -> pa.Table:
        import torch

        from ..inference.probabilities import top_k

        paths = [str(path) for path in batch["path"]]
        errors = [str(error) for error in batch["error"]]
        readable = [index for index, error in enumerate(errors) if not error]
        labels, probabilities = [[] for _ in paths], [[] for _ in paths]
        if readable:
            images = torch.from_numpy(np.ascontiguousarray(batch["image"][readable])).permute(0, 3, 1, 2)
            rows = top_k(self.predictor.probabilities(images), self.predictor.class_names, self.top_k)
            for index, row in zip(readable, rows, strict=True):
                labels[index] = [item["label"] for item in row]
                probabilities[index] = [item["probability"] for item in row]
        columns = [paths, labels, probabilities, [error or None for error in errors]]
        return pa.Table.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, SCHEMA, strict=True)], schema=SCHEMA
        )


def list_on_cluster(inputs: Sequence[str], settings: BatchPredictSettings) -> list[str]:
    ray = start(settings)
    return list_inputs(inputs, ray_mapper(ray))


def run(
    checkpoint: str,
    image_size: int,
    paths: Sequence[str],
    writer: ShardWriter,
    settings: BatchPredictSettings,
    k: int = TOP_K,
) -> None:
    ray = start(settings)
    if not paths:
        return
    gpus = settings.actor_gpus
    if gpus is None:
        gpus = 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
    blocks = min(-(-len(paths) // settings.batch_size), 1000)  # one batch per block, for small jobs
    dataset = ray.data.from_items([{"path": path} for path in paths], override_num_blocks=blocks)
    dataset = dataset.map_batches(
        decode, fn_kwargs={"image_size": image_size}, batch_size=settings.batch_size, batch_format="numpy"
    )
    dataset = dataset.map_batches(
        ModelActor,
        fn_constructor_kwargs={
            "checkpoint": checkpoint,
            "device": settings.device if gpus else "cpu",
            "backend": settings.backend,
            "top_k": k,
        },
        batch_size=settings.batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=settings.model_actors),
        num_cpus=settings.actor_cpus,
        num_gpus=gpus,
    )
    for table in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
        writer.add(table.to_pylist())
