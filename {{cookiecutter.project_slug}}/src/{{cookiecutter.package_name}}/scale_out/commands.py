"""`batch-predict`: the engine is a flag; the inputs, the model and the Parquet shards are the same.

`predict` stays the single-machine command that answers in one CSV or JSON file. `batch-predict`
is for jobs that outgrow it: results are streamed to Parquet shards as they finish, every listed
input is accounted for (predicted, or unreadable with the reason), and a rerun after a crash
skips what is already written. `--engine local` runs predict's own path on this machine;
`--engine ray` runs the same preprocessing and model on a Ray cluster (see ray_engine.py).
"""

import argparse
import hashlib
import logging
import tempfile
import time
from pathlib import Path

from .. import settings
from ..settings import TOP_K
from .settings import BatchPredictSettings

log = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def batch_predict(inputs: list[str], checkpoint: str, out: str, options: BatchPredictSettings, k: int = TOP_K) -> dict:
    """Run a batch job to completion (or resume one); returns its accounting (`_summary.json`)."""
    from .. import extensions
    from ..data.preprocessing import Preprocessing
    from ..models.checkpoint import read_checkpoint
    from .listing import list_inputs
    from .results import ShardWriter, job_record

    with tempfile.TemporaryDirectory(prefix="batch-predict-") as workdir:
        local_checkpoint = extensions.resolve_checkpoint(checkpoint, Path(workdir))
        state = read_checkpoint(local_checkpoint, shown=checkpoint)
        job = job_record(file_sha256(local_checkpoint), state["class_names"], k)
    image_size = Preprocessing.from_checkpoint(state).image_size
    del state
    started = time.perf_counter()
    if options.engine == "ray":
        from . import ray_engine

        listed = ray_engine.list_on_cluster(inputs, options)
    else:
        listed = list_inputs(inputs)
    writer = ShardWriter(out, job, options.shard_size)
    pending = writer.pending(listed)
    log.info(
        "%d inputs listed, %d already written, %d to predict", len(listed), len(listed) - len(pending), len(pending)
    )
    if options.engine == "ray":
        ray_engine.run(checkpoint, image_size, pending, writer, options, k)
    elif pending:
        from . import local_engine

        local_engine.run(checkpoint, pending, writer, options, k, options.shard_size)
    return writer.finish(listed, time.perf_counter() - started, options.engine)


def run_batch_predict(args: argparse.Namespace) -> None:
    options = settings.load(BatchPredictSettings, settings.options(args))
    summary = batch_predict([str(item) for item in args.inputs], args.checkpoint, args.out, options, args.top_k)
    print(
        f"{summary['predicted']} predictions, {summary['unreadable']} unreadable files of {summary['listed']} listed "
        f"({summary['already_done']} already done, {summary['written_now']} written now, "
        f"{summary['images_per_second']} images/s) -> {args.out} ({summary['shards']} Parquet shards)"
    )


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "batch-predict",
        help="top-k for many images into Parquet shards, on this machine or a Ray cluster; resumable",
    )
    p.add_argument("inputs", nargs="+", help="image files, folders or fsspec URLs (s3://bucket/images/, ...)")
    p.add_argument("--checkpoint", required=True, help="a checkpoint file or reference")
    p.add_argument("--out", required=True, help="folder or fsspec URL of the Parquet shards; rerun into it to resume")
    p.add_argument("--top-k", type=int, default=TOP_K, help="labels per image (default: %(default)s)")
    settings.add_flags(p, BatchPredictSettings)
    p.set_defaults(run=run_batch_predict)
