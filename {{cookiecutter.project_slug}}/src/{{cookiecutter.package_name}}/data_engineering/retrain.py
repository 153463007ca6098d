"""Scheduled retraining: drift alarm -> `dvc repro` -> register -> promote only if better.

    1. drift     the mlops tier's `drift` command on the pipeline's incoming images against the
                 model the alias names (exit 1 on drift). No drift: stop. No model yet: go on.
    2. dvc repro ingest -> validate -> split -> train -> evaluate; a failed validation stops here.
    3. register  the run that training recorded in MLflow becomes a new version of the model,
                 tagged with the DVC hash of the data it was trained on.
    4. promote   the new version and the aliased one are scored on the held-out (test) split; the
                 alias moves only if the new one is more accurate by more than `min_gain`.

Each step writes what it found into the report (reports/retrain.json by default). The GitHub
Actions workflow and the Kubernetes CronJob in data_engineering/ run this command on a schedule.
"""

import logging
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from .. import extensions
from . import DataError
from .settings import PROJECT, RetrainSettings

log = logging.getLogger(__name__)
DRIFT, NO_DRIFT = 1, 0  # the exit codes of the mlops tier's `drift` command


@dataclass(frozen=True)
class Verdict:
    candidate_accuracy: float
    current_accuracy: float | None
    promote: bool
    reason: str


def pipeline_vars(pipeline: Path) -> dict:
    """The paths the pipeline names once, in its `vars` (incoming, raw, prepared, reports)."""
    if not Path(pipeline).is_file():
        raise DataError(f"{pipeline}: no DVC pipeline here (run from the project root)")
    spec = yaml.safe_load(Path(pipeline).read_text())
    found = {}
    for entry in spec.get("vars", []):
        if isinstance(entry, dict):
            found.update(entry)
    missing = [name for name in ("incoming", "prepared") if name not in found]
    if missing:
        raise DataError(f"{pipeline}: its vars must name {', '.join(missing)}")
    return found


def current_version(name: str, alias: str) -> str | None:
    """The version `alias` points at, or None when there is no such model or alias yet."""
    from ..mlops import registry, store

    store.client(create=True)  # a first run on an empty local store creates it: nothing is registered yet
    rows = [row for row in registry.list_versions() if row["name"] == name and alias in row["aliases"]]
    return rows[0]["version"] if rows else None


def drift_alarm(reference: str, images: Path, report: Path, device: str) -> bool:
    """Run the `drift` command; True on drift, False without. Its output goes to the console."""
    command = [sys.executable, "-m", PROJECT, "drift", str(images), "--checkpoint", reference]
    completed = subprocess.run([*command, "--out", str(report), "--device", device])
    if completed.returncode not in (DRIFT, NO_DRIFT):
        raise DataError(f"the drift check failed (exit {completed.returncode}); its error is above")
    return completed.returncode == DRIFT


def reproduce(pipeline: Path) -> None:
    completed = subprocess.run([sys.executable, "-m", "dvc", "repro", str(pipeline)])
    if completed.returncode != 0:
        raise DataError(
            f"dvc repro failed (exit {completed.returncode}); its output is above. A failed validation "
            "stops the pipeline on purpose: read its report before retrying"
        )


def new_run(output_dir: str, since_ms: int) -> str | None:
    """The MLflow run that training recorded for `output_dir` after `since_ms`, or None (DVC found
    training up to date and did not run it)."""
    from ..mlops.settings import TrackingSettings
    from ..mlops.store import client, mlflow_errors
    from ..settings import load

    tracking = load(TrackingSettings)
    if not tracking.track:
        raise DataError("retrain registers what training tracked: unset MLOPS_TRACKING=off")
    mlflow_client = client()
    with mlflow_errors("finding the pipeline's training run"):
        experiment = mlflow_client.get_experiment_by_name(tracking.experiment)
        if experiment is None:
            return None
        runs = mlflow_client.search_runs(
            [experiment.experiment_id],
            filter_string=(
                f"tags.output_dir = '{output_dir}' and attributes.status = 'FINISHED' "
                f"and attributes.start_time >= {since_ms}"
            ),
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
    return runs[0].info.run_id if runs else None


def data_hash(lock: Path, out: str) -> str | None:
    """The DVC hash of output `out` in dvc.lock: `dvc pull` restores exactly that data."""
    if not lock.is_file():
        return None
    for stage in (yaml.safe_load(lock.read_text()) or {}).get("stages", {}).values():
        for output in stage.get("outs", []):
            if output.get("path") == out:
                return output.get("md5")
    return None


def challenge(candidate: str, current: str | None, held_out: Path, min_gain: float, device: str, out: Path) -> Verdict:
    """Score both models on the held-out images; the candidate wins only if it is more accurate by more
    than `min_gain`. A current model that cannot be scored there (other classes) is not replaced."""
    from ..inference.evaluate import evaluate_checkpoint
    from ..settings import LoaderSettings

    loader = LoaderSettings(device=device, backend="torch")  # a score needs no exported ONNX graph
    score = evaluate_checkpoint(candidate, held_out, out / "candidate", loader)["accuracy"]
    if current is None:
        return Verdict(score, None, True, "there is no current model")
    try:
        incumbent = evaluate_checkpoint(current, held_out, out / "current", loader)["accuracy"]
    except ValueError as error:
        return Verdict(
            score, None, False, f"the current model cannot be scored on {held_out} ({error}): decide by hand"
        )
    if score > incumbent + min_gain:
        return Verdict(score, incumbent, True, f"{score:.4f} beats {incumbent:.4f} by more than {min_gain}")
    return Verdict(score, incumbent, False, f"{score:.4f} does not beat {incumbent:.4f} by more than {min_gain}")


def retrain(settings: RetrainSettings) -> dict:
    """The whole loop (see the module docstring); returns the report it also writes."""
    from ..config import read_mapping
    from ..mlops import registry
    from ..mlops.store import client, mlflow_errors
    from ..utils.atomic import atomic_write_json

    paths = pipeline_vars(settings.pipeline)
    name, alias = settings.model_name, settings.alias
    report: dict = {"model": name, "alias": alias, "pipeline": str(settings.pipeline)}
    reports = settings.report.parent / "retrain"
    reports.mkdir(parents=True, exist_ok=True)

    def finish(outcome: str) -> dict:
        report["outcome"] = outcome
        atomic_write_json(settings.report, report)
        return report

    current = current_version(name, alias)
    report["current_version"] = current
    if current is None:
        report["drift"] = f"not checked: no model is {name}@{alias} yet"
    elif settings.force:
        report["drift"] = "not checked: --force"
    else:
        drifted = drift_alarm(
            f"models:/{name}@{alias}", Path(paths["incoming"]), reports / "drift.json", settings.device
        )
        report["drift"] = f"{'drift' if drifted else 'no drift'}; report in {reports / 'drift.json'}"
        if not drifted:
            return finish("no drift: nothing to do")

    started_ms = int(time.time() * 1000)
    reproduce(settings.pipeline)
    # The pipeline pins the base config's output folder (dvc.yaml), whatever an environment overlay says.
    output_dir = str(Path(read_mapping(settings.config)["train"]["output_dir"]))
    run_id = new_run(output_dir, started_ms)
    if run_id is None:
        return finish("the pipeline was up to date: no new model to register")
    version = registry.register(run_id, name)
    lineage = data_hash(settings.pipeline.with_name("dvc.lock"), paths["prepared"])
    if lineage:
        with mlflow_errors("tagging the new version with its data"):
            client().set_model_version_tag(name, version, "dvc_data_md5", lineage)
    report.update(run_id=run_id, registered_version=version, data_md5=lineage)

    held_out = Path(paths["prepared"]) / "test"
    if not held_out.is_dir():
        raise DataError(f"no held-out split at {held_out}: set split.test_fraction above 0 in params.yaml")
    current_reference = f"models:/{name}@{alias}" if current else None
    verdict = challenge(
        f"models:/{name}/{version}", current_reference, held_out, settings.min_gain, settings.device, reports
    )
    report.update(held_out=str(held_out), **asdict(verdict))
    if not verdict.promote:
        return finish(f"version {version} registered, not promoted: {verdict.reason}")
    previous, version = registry.promote(name, alias, version=version)
    extensions.emit("model_promoted", name=name, alias=alias, version=version, previous=previous)
    return finish(f"version {version} promoted to {alias}: {verdict.reason}")
