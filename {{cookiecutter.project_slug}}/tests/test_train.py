import json
import math
import subprocess
import sys

import pytest
import torch

from {{ cookiecutter.package_name }}.data.synthetic import make_demo_data
from {{ cookiecutter.package_name }}.models import checkpoint as checkpoint_module
from {{ cookiecutter.package_name }}.models.checkpoint import load_checkpoint
from {{ cookiecutter.package_name }}.training import train as train_module
from {{ cookiecutter.package_name }}.training.train import train, warmup_cosine


def test_warmup_rises_linearly_then_cosine_decays_to_zero():
    factor = warmup_cosine(warmup_steps=4, total_steps=20)
    assert [factor(s) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert factor(12) == pytest.approx(0.5)
    assert factor(20) == pytest.approx(0.0)


def test_training_a_few_steps_lowers_the_loss(make_config):
    cfg = make_config("train.epochs=4", "train.lr=0.003", "data.augment=false")
    result = train(cfg)
    losses = [epoch["train_loss"] for epoch in result.history]
    assert losses[-1] < losses[0]


def test_run_writes_checkpoints_history_and_config_readable_with_weights_only(tiny_config):
    result = train(tiny_config)
    out = result.output_dir
    assert {"best.pt", "last.pt", "history.json", "config.yaml"} <= {p.name for p in out.iterdir()}
    state = load_checkpoint(out / "best.pt")  # weights_only=True inside
    assert state["class_names"] == ["circle", "cross", "square", "triangle"]
    assert state["config"]["train"]["epochs"] == 1
    assert {"model", "optimizer", "scheduler", "scaler", "epoch", "best_accuracy"} <= set(state)
    assert json.loads((out / "history.json").read_text())[0]["epoch"] == 1
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_resume_after_a_crash_continues_exactly(make_config, tmp_path, monkeypatch):
    straight = train(make_config("train.epochs=2", f"train.output_dir={tmp_path / 'a'}"))

    crashed = make_config("train.epochs=2", f"train.output_dir={tmp_path / 'b'}")
    real_save = checkpoint_module.save_checkpoint

    def save_then_crash(state, path):
        real_save(state, path)
        if path.name == "last.pt":
            raise KeyboardInterrupt("simulated crash after the first epoch")

    monkeypatch.setattr(train_module, "save_checkpoint", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        train(crashed)
    monkeypatch.setattr(train_module, "save_checkpoint", real_save)
    resumed = train(crashed, resume=tmp_path / "b" / "last.pt")

    assert [h["epoch"] for h in resumed.history] == [1, 2]
    assert resumed.history[1]["train_loss"] == straight.history[1]["train_loss"]
    a = load_checkpoint(tmp_path / "a" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "b" / "last.pt")["model"]
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=0, msg=name)


class Recorder:
    """A training callback that notes what it is told."""

    def __init__(self):
        self.calls = []

    def on_train_start(self, cfg):
        self.calls.append(("start", cfg.train.epochs))

    def on_epoch_end(self, record):
        self.calls.append(("epoch", record["epoch"]))

    def on_train_end(self, result):
        self.calls.append(("end", None if result is None else result.epochs_completed))


def test_callbacks_hear_the_start_each_epoch_and_the_result(make_config):
    recorder = Recorder()
    train(make_config("train.epochs=2"), callbacks=[recorder])
    assert recorder.calls == [("start", 2), ("epoch", 1), ("epoch", 2), ("end", 2)]


def test_callbacks_hear_a_failed_run_end_without_a_result(make_config, monkeypatch):
    def crash(state, path):
        raise KeyboardInterrupt("simulated crash at the first save")

    monkeypatch.setattr(train_module, "save_checkpoint", crash)
    recorder = Recorder()
    with pytest.raises(KeyboardInterrupt):
        train(make_config(), callbacks=[recorder])
    assert recorder.calls == [("start", 1), ("end", None)]


def test_early_stopping_ends_the_run_when_val_accuracy_stalls(make_config):
    cfg = make_config("train.epochs=30", "train.patience=1", "train.lr=0.000001")
    result = train(cfg)
    assert result.epochs_completed < 30


@pytest.mark.slow
def test_a_tiny_model_learns_the_shapes_clearly_better_than_chance(make_config, tmp_path):
    data = make_demo_data(tmp_path / "shapes", per_class_train=30, per_class_val=10, size=32)
    overrides = [f"data.root={data}", "data.batch_size=16", "data.augment=false", "train.epochs=6", "train.patience=6"]
    result = train(make_config(*overrides))
    assert result.best_accuracy >= 0.6  # four classes: chance is 0.25


@pytest.mark.slow
def test_a_compiled_training_step_learns_and_saves_a_plain_checkpoint(make_config):
    result = train(make_config("train.compile=true", "train.epochs=4", "train.lr=0.003", "data.augment=false"))
    losses = [epoch["train_loss"] for epoch in result.history]
    assert all(math.isfinite(loss) for loss in losses) and losses[-1] < losses[0]
    weights = load_checkpoint(result.output_dir / "best.pt")["model"]
    assert not [key for key in weights if key.startswith("_orig_mod.")]  # loads into an uncompiled model


@pytest.mark.slow
def test_two_process_torchrun_training_runs_and_rank_zero_saves(tiny_config, project_root, package_env, tmp_path):
    out = tmp_path / "ddp"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "{{ cookiecutter.package_name }}",
        "train",
        "--config",
        str(project_root / "configs" / "default.yaml"),
    ]
    overrides = [
        f"data.root={tiny_config.data.root}",
        "data.image_size=32",
        "data.batch_size=4",
        "data.num_workers=0",
        "train.epochs=2",
        "train.device=cpu",
        "train.precision=fp32",
        f"train.output_dir={out}",
    ]
    for override in overrides:
        command += ["--set", override]
    completed = subprocess.run(command, env=package_env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    state = load_checkpoint(out / "last.pt")
    assert state["epoch"] == 1 and len(state["history"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "config.yaml", "history.json", "last.pt"]
    assert completed.stderr.count("epoch 2/2 train_loss") == 1  # only rank 0 logs


def test_epoch_seeds_differ_for_every_seed_epoch_and_rank():
    from {{ cookiecutter.package_name }}.utils.seeding import epoch_seed

    seeds = {epoch_seed(seed, epoch, rank) for seed in (0, 1, 1000) for epoch in range(3) for rank in range(2)}
    assert len(seeds) == 18
    assert epoch_seed(0, 1, 0) == epoch_seed(0, 1, 0)


class _Recorder:
    def __init__(self, log, fail_at_end=False):
        self.log, self.fail_at_end = log, fail_at_end

    def on_train_start(self, cfg):
        pass

    def on_epoch_end(self, record):
        pass

    def on_train_end(self, result):
        self.log.append(result is not None)
        if self.fail_at_end:
            raise RuntimeError("callback failed")


def test_every_callback_is_ended_even_when_an_earlier_one_fails(tiny_config):
    ended = []
    with pytest.raises(RuntimeError, match="callback failed"):
        train(tiny_config, callbacks=[_Recorder(ended, fail_at_end=True), _Recorder(ended)])
    assert ended == [True, False]  # the second one is told the run failed, and is still closed
