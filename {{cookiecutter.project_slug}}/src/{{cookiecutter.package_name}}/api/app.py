"""FastAPI app: probes at `/health` and `/ready`, the prediction API under `/v1`.

The probes stay unversioned: orchestrators and load balancers call them, not API clients, and
their paths must not move when `/v2` arrives. See ARCHITECTURE.md, "The API".
"""

import json
import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from .. import PROJECT_NAME, __version__
from ..inference.predict import Predictor
from .errors import install_error_handlers
from .routers import predict, probes
from .schemas import ErrorBody

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_CANDIDATE_SHARE = 0.1
# Concurrent requests share forward passes of up to this many images (1 turns batching off).
DEFAULT_MAX_BATCH_SIZE = 32
DEFAULT_BATCH_WAIT_MS = 0.0
DESCRIPTION = "Image classification. Versioned routes live under /v1; /health and /ready are unversioned probes."


def _rollout_module():
    """The intermediate tier's rollout module: the one optional import of the core app."""
    package = __package__.rpartition(".")[0]
    try:
        from ..mlops import rollout
    except ModuleNotFoundError as error:
        if error.name not in (f"{package}.mlops", f"{package}.mlops.rollout"):
            raise
        raise ValueError(
            f"a candidate model needs the rollout module src/{package}/mlops/rollout.py, which comes with "
            "the intermediate tier; serve a single model, or move the project up a tier with `cruft update`"
        ) from None
    return rollout


def create_app(
    checkpoint: str | Path | None = None,
    predictor: Predictor | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    device: str = "auto",
    candidate: str | Path | None = None,
    candidate_share: float = DEFAULT_CANDIDATE_SHARE,
    rollout_mode: str = "ab",
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
    batch_wait_ms: float = DEFAULT_BATCH_WAIT_MS,
) -> FastAPI:
    """Serve `predictor`, or the model in `checkpoint`, loaded once when the app starts.

    With a `candidate` (a checkpoint path or a registry ref), `candidate_share` of the requests
    also go to it: in `ab` mode it answers them, in `shadow` mode it only runs and is logged.
    A caller that passes a loaded `predictor` gets the candidate loaded here and now too, so a bad
    candidate fails before any server starts.

    Requests that arrive together share forward passes of up to `max_batch_size` images, gathered
    for at most `batch_wait_ms` (see inference/batching.py); `max_batch_size=1` runs one per request.
    """
    if max_batch_size < 1 or batch_wait_ms < 0:
        raise ValueError(f"max_batch_size={max_batch_size} must be >= 1 and batch_wait_ms={batch_wait_ms} >= 0")
    rollout_module, settings, loaded_rollout = None, None, None
    if candidate:
        rollout_module = _rollout_module()
        settings = rollout_module.RolloutSettings(str(candidate), candidate_share, rollout_mode)
        if predictor is not None:
            loaded_rollout = rollout_module.Rollout.load(predictor, settings, device)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        primary = predictor or await run_in_threadpool(Predictor.from_checkpoint, checkpoint, device)
        if rollout_module is not None:
            app.state.rollout = loaded_rollout or await run_in_threadpool(
                rollout_module.Rollout.load, primary, settings, device
            )
        models = [primary] + ([app.state.rollout.candidate] if app.state.rollout else [])
        try:
            if max_batch_size > 1:
                for model in models:
                    model.start_batching(max_batch_size, batch_wait_ms)
            app.state.predictor = primary
            yield
        finally:
            app.state.predictor = None
            app.state.rollout = None
            if max_batch_size > 1:
                for model in models:
                    model.stop_batching()

    app = FastAPI(
        title=PROJECT_NAME,
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        responses={500: {"model": ErrorBody, "description": "An unexpected error, logged by the server"}},
    )
    app.state.predictor = None
    app.state.rollout = None
    app.state.max_upload_bytes = max_upload_bytes
    install_error_handlers(app)
    app.include_router(probes.router)
    app.include_router(predict.router, prefix="/v1")
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory`, configured by environment variables.

    MODEL_PATH, MAX_UPLOAD_BYTES, DEVICE, MAX_BATCH_SIZE and BATCH_WAIT_MS; for a rollout also
    CANDIDATE_MODEL, CANDIDATE_SHARE (0 to 1) and ROLLOUT_MODE (`ab` or `shadow`).
    """
    return create_app(
        os.environ.get("MODEL_PATH", "models/demo/best.pt"),
        max_upload_bytes=_number("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, int),
        device=os.environ.get("DEVICE", "auto"),
        candidate=os.environ.get("CANDIDATE_MODEL") or None,
        candidate_share=_number("CANDIDATE_SHARE", DEFAULT_CANDIDATE_SHARE, float),
        rollout_mode=os.environ.get("ROLLOUT_MODE", "ab"),
        max_batch_size=_number("MAX_BATCH_SIZE", DEFAULT_MAX_BATCH_SIZE, int),
        batch_wait_ms=_number("BATCH_WAIT_MS", DEFAULT_BATCH_WAIT_MS, float),
    )


def _number(name: str, default: int | float, kind: type) -> int | float:
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} must be {'an integer' if kind is int else 'a number'}") from None


def openapi_json(app: FastAPI) -> str:
    """The app's OpenAPI schema as stable text: sorted keys, two-space indent, a final newline."""
    return json.dumps(app.openapi(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
