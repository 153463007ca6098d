"""Where runs and registered models live, and the one place MLflow is imported.

`MLFLOW_TRACKING_URI` names a tracking server (or any store MLflow knows); without it runs go to an
embedded SQLite database, `mlruns.db`, with artifacts in `mlruns/`, both in the working folder.
"""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from . import MlopsError

try:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param
    from mlflow.exceptions import MlflowException
except ModuleNotFoundError as error:
    raise MlopsError(
        f"tracking and the model registry need MLflow ({error.name} is not installed): pip install -e '.[mlops]'"
    ) from None

DEFAULT_STORE = "mlruns.db"
_UNREACHABLE = ("Failed to establish a new connection", "Max retries exceeded", "Connection refused", "timed out")

__all__ = ["Metric", "MlflowClient", "MlflowException", "Param", "client", "mlflow", "mlflow_errors", "tracking_uri"]


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI, else `sqlite:///<working folder>/mlruns.db` (an absolute path: MLflow
    caches stores by URI, and the same relative URI must not mean another folder's database)."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path(DEFAULT_STORE).resolve()}"


def client(create: bool = False) -> MlflowClient:
    """A client for the tracking store and registry. Unless `create`, a local SQLite store must exist:
    reading from a database that is not there would only make an empty one."""
    uri = tracking_uri()
    if not create and uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        if not path.is_file():
            raise MlopsError(
                f"no tracking store at {path.resolve()}: train a model first (tracking is on by default), "
                "run from the folder that holds mlruns.db, or set MLFLOW_TRACKING_URI"
            )
    try:
        with mlflow_errors("opening the tracking store"):
            return MlflowClient(tracking_uri=uri, registry_uri=uri)
    except ModuleNotFoundError as error:  # the SQLite store needs SQLAlchemy and Alembic
        raise MlopsError(f"the tracking store {uri} needs {error.name}: pip install -e '.[mlops]'") from None


@contextlib.contextmanager
def mlflow_errors(action: str) -> Iterator[None]:
    """Re-raise MLflow's failures as one MlopsError naming the action and the store."""
    try:
        yield
    except MlflowException as error:
        uri = tracking_uri()
        message = str(error.message).strip().splitlines()[0] if str(error.message).strip() else repr(error)
        if uri.startswith(("http://", "https://")) and any(sign in message for sign in _UNREACHABLE):
            raise MlopsError(
                f"{action}: the tracking server {uri} is unreachable; start it, or fix or unset "
                f"MLFLOW_TRACKING_URI ({message})"
            ) from None
        raise MlopsError(f"{action} failed ({uri}): {message}") from None
