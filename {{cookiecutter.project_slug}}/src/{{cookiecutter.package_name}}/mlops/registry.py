"""The model registry: register a run's model, move aliases, roll back, resolve `models:/` references.

A registered version points at the `model/` artifact folder of its run: the weights-only checkpoint
`best.pt` and the drift reference profile. Aliases (`staging`, `production`) name the version each
environment serves. Every promotion is appended to a tag on the registered model
(`alias_history.<alias>`), which is what lets `rollback` return to the version before.
"""

import json
import re
from pathlib import Path

from . import MlopsError
from .store import MlflowClient, MlflowException, client, mlflow, mlflow_errors, tracking_uri

MODEL_ARTIFACT = "model"
CHECKPOINT_NAME = "best.pt"
_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[\w-]+)|/(?P<version>\d+))$")


def parse_model_uri(uri: str) -> tuple[str, str | None, str | None]:
    """`models:/name@alias` -> (name, alias, None); `models:/name/3` -> (name, None, "3")."""
    match = _URI.match(uri)
    if not match:
        raise MlopsError(f"{uri!r} is not a registry reference: use models:/<name>@<alias> or models:/<name>/<version>")
    return match["name"], match["alias"], match["version"]


def _registered_model(mlflow_client: MlflowClient, name: str):
    try:
        return mlflow_client.get_registered_model(name)
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
    known = [model.name for model in mlflow_client.search_registered_models()]
    raise MlopsError(
        f"no registered model {name!r} in {tracking_uri()} (registered: {', '.join(known) or 'none'}); "
        "train with --register to create it"
    )


def _alias_version(model, alias: str) -> str:
    if alias not in model.aliases:
        aliases = ", ".join(f"{a} -> {v}" for a, v in sorted(model.aliases.items())) or "none"
        raise MlopsError(
            f"model {model.name!r} has no alias {alias!r} (aliases: {aliases}); set it with: "
            f"promote --name {model.name} --version <N> --alias {alias}"
        )
    return str(model.aliases[alias])


def register(run_id: str, name: str) -> str:
    """Add the run's `model/` folder as a new version of `name` (created if new); returns the version."""
    mlflow_client = client(create=True)
    with mlflow_errors(f"registering run {run_id} as {name!r}"):
        try:
            mlflow_client.create_registered_model(name)
        except MlflowException as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        run = mlflow_client.get_run(run_id)
        source = f"{run.info.artifact_uri}/{MODEL_ARTIFACT}"
        return str(mlflow_client.create_model_version(name, source, run_id=run_id).version)


def resolve(uri: str):
    """The registered ModelVersion a `models:/` reference names, or an MlopsError saying why not."""
    name, alias, version = parse_model_uri(uri)
    mlflow_client = client()
    with mlflow_errors(f"looking up {uri}"):
        model = _registered_model(mlflow_client, name)
        if alias is not None:
            version = _alias_version(model, alias)
        try:
            return mlflow_client.get_model_version(name, version)
        except MlflowException as error:
            if error.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            raise MlopsError(f"{uri}: model {name!r} has no version {version}") from None


def download(uri: str, destination: Path) -> Path:
    """Fetch the files of the version `uri` names into `destination`; returns the folder with best.pt."""
    version = resolve(uri)
    with mlflow_errors(f"downloading {uri}"):
        folder = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=version.source, dst_path=str(destination), tracking_uri=tracking_uri()
            )
        )
    if not (folder / CHECKPOINT_NAME).is_file():
        raise MlopsError(
            f"{uri} (version {version.version}) holds no {CHECKPOINT_NAME}: it was not registered by train"
        )
    return folder


def _history_tag(alias: str) -> str:
    return f"alias_history.{alias}"


def promote(name: str, alias: str, version: str | None = None, from_alias: str | None = None) -> tuple[str | None, str]:
    """Point `alias` at `version` (or at the version `from_alias` names); returns (previous, new)."""
    if (version is None) == (from_alias is None):
        raise MlopsError("promote needs exactly one of a version or an alias to promote from")
    mlflow_client = client()
    with mlflow_errors(f"promoting {name!r} to {alias!r}"):
        model = _registered_model(mlflow_client, name)
        version = _alias_version(model, from_alias) if from_alias else str(version)
        resolve(f"models:/{name}/{version}")  # the version must exist
        previous = str(model.aliases[alias]) if alias in model.aliases else None
        history = json.loads(model.tags.get(_history_tag(alias), "[]")) or ([previous] if previous else [])
        if not history or history[-1] != version:
            history.append(version)
        mlflow_client.set_registered_model_alias(name, alias, version)
        mlflow_client.set_registered_model_tag(name, _history_tag(alias), json.dumps(history))
    return previous, version


def rollback(name: str, alias: str) -> tuple[str, str]:
    """Point `alias` back at the version it named before its latest promotion; returns (from, to)."""
    mlflow_client = client()
    with mlflow_errors(f"rolling back {name!r}@{alias}"):
        model = _registered_model(mlflow_client, name)
        current = _alias_version(model, alias)
        history = json.loads(model.tags.get(_history_tag(alias), "[]"))
        earlier = [v for v in history if v != current]
        if not earlier:
            raise MlopsError(
                f"{name}@{alias} is at version {current} and no earlier version was promoted to {alias}: "
                f"nothing to roll back to (promote --name {name} --version <N> --alias {alias} sets one)"
            )
        target = earlier[-1]
        kept = history[: len(history) - history[::-1].index(target)]
        mlflow_client.set_registered_model_alias(name, alias, target)
        mlflow_client.set_registered_model_tag(name, _history_tag(alias), json.dumps(kept))
    return current, target


def list_versions(name: str | None = None) -> list[dict]:
    """Every registered version (of `name`, or of all models), newest first, with its aliases."""
    mlflow_client = client()
    with mlflow_errors("listing registered models"):
        models = [_registered_model(mlflow_client, name)] if name else mlflow_client.search_registered_models()
        rows = []
        for model in models:
            aliases = {}
            for alias, version in model.aliases.items():
                aliases.setdefault(str(version), []).append(alias)
            for version in mlflow_client.search_model_versions(f"name = '{model.name}'"):
                rows.append(
                    {
                        "name": model.name,
                        "version": str(version.version),
                        "aliases": sorted(aliases.get(str(version.version), [])),
                        "run_id": version.run_id,
                    }
                )
    return sorted(rows, key=lambda row: (row["name"], -int(row["version"])))
