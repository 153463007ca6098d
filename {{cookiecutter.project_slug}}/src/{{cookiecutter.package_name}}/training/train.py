"""The training loop, on one device or one process per device under torchrun.

Every random draw of an epoch is seeded from (seed, epoch, rank), so `--resume` from the last
checkpoint continues exactly as if the run had never stopped.
"""

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler, Subset
from tqdm import tqdm

from .. import extensions
from ..config import Config
from ..data.dataset import ImageDataset, scan_image_folder
from ..data.loader import make_loader
from ..data.preprocessing import Preprocessing
from ..extensions import TrainingCallback
from ..models.checkpoint import CheckpointError, build_classifier, load_checkpoint, save_checkpoint
from ..models.classifier import Classifier
from ..utils.atomic import atomic_write_json, atomic_write_text, remove_stale_temp_files
from ..utils.device import autocast, resolve_precision, to_device
from ..utils.seeding import epoch_seed, seed_everything
from . import distributed
from .metrics import confusion_matrix, summarize

log = logging.getLogger(__name__)
# What a run writes into its output folder, each atomically.
OUTPUT_FILES = ("last.pt", "best.pt", "history.json", "config.yaml")


@dataclass
class TrainResult:
    best_accuracy: float
    epochs_completed: int
    output_dir: Path
    history: list[dict]


def warmup_cosine(warmup_steps: int, total_steps: int):
    """LR factor per optimizer step: linear warmup, then cosine decay to zero."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return factor


def train(cfg: Config, resume: Path | None = None, callbacks: Sequence[TrainingCallback] = ()) -> TrainResult:
    """Train per `cfg`; with `resume`, continue from that checkpoint (usually `last.pt`)."""
    context = distributed.setup(cfg.train.device)
    observers = list(callbacks) if context.is_main else []
    started = []
    try:
        for observer in observers:
            observer.on_train_start(cfg)
            started.append(observer)
        result = _train(cfg, resume, context, observers)
    except BaseException:
        _end_all(started, None)
        raise
    finally:
        distributed.teardown(context)
    _end_all(observers, result)
    if context.is_main:
        extensions.emit(
            "training_finished",
            best_accuracy=result.best_accuracy,
            epochs=result.epochs_completed,
            output_dir=str(result.output_dir),
        )
    return result


def _end_all(observers: Sequence[TrainingCallback], result: TrainResult | None) -> None:
    """Give every observer its `on_train_end`, even when an earlier one fails (it may hold an open
    run that must be closed); the first failure is raised after all of them have been called."""
    failure = None
    for observer in observers:
        try:
            observer.on_train_end(result)
        except Exception as error:
            log.exception("training callback %s failed at the end of training", type(observer).__name__)
            failure = failure or error
            result = None  # the observers after a failed one see a failed run
    if failure is not None:
        raise failure


def _train(
    cfg: Config, resume: Path | None, ctx: distributed.Distributed, observers: list[TrainingCallback]
) -> TrainResult:
    device, out = ctx.device, Path(cfg.train.output_dir)
    precision = resolve_precision(cfg.train.precision, device)
    seed_everything(cfg.train.seed)

    train_samples, class_names = scan_image_folder(cfg.data.root / "train")
    val_samples, _ = scan_image_folder(cfg.data.root / "val", class_names)
    train_set = ImageDataset(train_samples, cfg.data.image_size, train=cfg.data.augment)
    val_set = ImageDataset(val_samples, cfg.data.image_size)
    sampler = DistributedSampler(train_set, ctx.world_size, ctx.rank, shuffle=True, seed=cfg.train.seed)
    drop_last = len(train_set) // ctx.world_size > cfg.data.batch_size
    train_loader = make_loader(train_set, cfg.data.batch_size, cfg.data.num_workers, device, sampler, drop_last)
    val_shard = Subset(val_set, range(ctx.rank, len(val_set), ctx.world_size))
    val_loader = make_loader(val_shard, cfg.data.batch_size, cfg.data.num_workers, device)

    model = Classifier(cfg.model.backbone, len(class_names), cfg.model.weights).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)
    steps_per_epoch = min(len(train_loader), cfg.train.max_steps_per_epoch or len(train_loader))
    schedule = warmup_cosine(round(cfg.train.warmup_epochs * steps_per_epoch), cfg.train.epochs * steps_per_epoch)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")

    start_epoch, best, stale, history = 0, -1.0, 0, []
    if resume is not None:
        state = resumable_state(resume, cfg, class_names)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        start_epoch, best, stale = state["epoch"] + 1, state["best_accuracy"], state["stale_epochs"]
        history = state["history"]
        if ctx.is_main:
            log.info("resumed from %s at epoch %d", resume, start_epoch + 1)
    wrapped = DistributedDataParallel(model) if ctx.enabled else model
    if cfg.train.compile:  # the step only: checkpoints and validation use the plain model
        wrapped = torch.compile(wrapped)
    if ctx.is_main:
        for leftover in remove_stale_temp_files(out, list(OUTPUT_FILES)):
            log.warning("removed %s, left behind by a run that was killed while writing", leftover)
        atomic_write_text(out / "config.yaml", yaml.safe_dump(cfg.to_plain(), sort_keys=False))

    for epoch in range(start_epoch, cfg.train.epochs):
        if stale >= cfg.train.patience:
            break
        started = time.perf_counter()
        seed_everything(epoch_seed(cfg.train.seed, epoch, ctx.rank))
        sampler.set_epoch(epoch)
        loss = train_epoch(
            wrapped,
            train_loader,
            optimizer,
            scheduler,
            scaler,
            precision,
            ctx,
            steps_per_epoch,
            f"epoch {epoch + 1}/{cfg.train.epochs}",
        )
        matrix = ctx.sum(confusion_matrix(model, val_loader, len(class_names), device, precision))
        accuracy = summarize(matrix, class_names)["accuracy"]
        improved = accuracy > best
        best, stale = (accuracy, 0) if improved else (best, stale + 1)
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": round(loss, 6),
                "val_accuracy": round(accuracy, 6),
                "lr": scheduler.get_last_lr()[0],
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
        if ctx.is_main:
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict(),
                "epoch": epoch,
                "best_accuracy": best,
                "stale_epochs": stale,
                "class_names": class_names,
                "config": cfg.to_plain(),
                "preprocessing": Preprocessing(cfg.data.image_size).to_dict(),
                "history": history,
            }
            save_checkpoint(state, out / "last.pt")
            if improved:
                save_checkpoint(state, out / "best.pt")
            atomic_write_json(out / "history.json", history)
            for observer in observers:
                observer.on_epoch_end(history[-1])
            log.info(
                "epoch %d/%d train_loss=%.4f val_accuracy=%.4f%s",
                epoch + 1,
                cfg.train.epochs,
                loss,
                accuracy,
                " (best)" if improved else "",
            )
    if ctx.is_main and stale >= cfg.train.patience:
        log.info("early stop: no val improvement for %d epochs", stale)
    return TrainResult(best, len(history), out, history)


RESUME_KEYS = ("optimizer", "scheduler", "scaler", "epoch", "best_accuracy", "stale_epochs", "history")


def resumable_state(reference: str | Path, cfg: Config, class_names: list[str]) -> dict:
    """A training checkpoint that this config can continue, or one CheckpointError saying why not."""
    state = load_checkpoint(reference)
    missing = [key for key in RESUME_KEYS if key not in state]
    if missing:
        raise CheckpointError(
            f"{reference}: holds a model but not the training state to resume from (no {', '.join(missing)}); "
            "resume from the last.pt that training writes"
        )
    build_classifier(state, reference)  # its weights must fit its own config, or say so in one line
    trained = state["config"]["model"]["backbone"]
    if trained != cfg.model.backbone or state["class_names"] != class_names:
        raise CheckpointError(
            f"{reference}: trained as a {trained} on classes {state['class_names']}, but this run is a "
            f"{cfg.model.backbone} on {class_names}; resume with the config and data it was trained on"
        )
    return state


def train_epoch(model, loader, optimizer, scheduler, scaler, precision, ctx, max_steps, label) -> float:
    """One pass of optimizer steps; returns the mean training loss over all ranks (`bench` times it too)."""
    model.train()
    device = ctx.device
    # The bar shows on rank 0 in a terminal only (disable=None turns it off in CI logs).
    totals = torch.zeros(2, device=device)  # summed loss, sample count
    for step, batch in enumerate(tqdm(loader, desc=label, disable=True if not ctx.is_main else None, leave=False)):
        if step >= max_steps:
            break
        # BatchNorm needs two samples; when unreadable files leave fewer, every rank skips.
        if not ctx.all_agree(batch.images is not None and len(batch.images) >= 2):
            continue
        images = to_device(batch.images, device)
        labels = batch.labels.to(device, non_blocking=True)
        with autocast(device, precision):
            loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        totals += torch.stack([loss.detach().float() * len(labels), totals.new_tensor(len(labels))])
    ctx.sum(totals)
    return (totals[0] / totals[1].clamp(min=1)).item()
