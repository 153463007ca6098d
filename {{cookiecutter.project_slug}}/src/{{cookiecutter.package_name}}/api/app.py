"""FastAPI app: `/health`, `/ready` and `POST /predict` (an image upload in, top-k JSON out)."""

import os
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from .. import PROJECT_NAME, __version__
from ..data.image import ImageDecodeError, load_image
from ..inference.predict import Predictor

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def create_app(
    checkpoint: Path | None = None,
    predictor: Predictor | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    device: str = "auto",
) -> FastAPI:
    """Serve `predictor`, or the model in `checkpoint`, loaded once when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.predictor = predictor or await run_in_threadpool(Predictor.from_checkpoint, checkpoint, device)
        yield
        app.state.predictor = None

    app = FastAPI(title=PROJECT_NAME, version=__version__, lifespan=lifespan)
    app.state.predictor = None

    @app.get("/health")
    async def health() -> dict:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready")
    async def ready(request: Request) -> dict:
        """Readiness: the model is loaded and can take requests."""
        model = request.app.state.predictor
        if model is None:
            raise HTTPException(503, "model not loaded")
        return {"status": "ready", "classes": model.class_names, "device": str(model.device)}

    @app.post("/predict")
    async def predict(request: Request, file: UploadFile, top_k: int = Query(3, ge=1, le=100)) -> dict:
        model = request.app.state.predictor
        if model is None:
            raise HTTPException(503, "model not loaded")
        if not (file.content_type or "").startswith("image/"):
            raise HTTPException(415, f"expected an image upload, got content type {file.content_type!r}")
        data = await file.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            raise HTTPException(413, f"image larger than {max_upload_bytes} bytes")
        try:
            image = await run_in_threadpool(load_image, data)
        except ImageDecodeError:
            raise HTTPException(422, "the upload is not a decodable image") from None
        [predictions] = await run_in_threadpool(model.predict_arrays, [image], top_k)
        return {"filename": file.filename, "predictions": predictions}

    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory`: MODEL_PATH, MAX_UPLOAD_BYTES and DEVICE from the env."""
    return create_app(
        Path(os.environ.get("MODEL_PATH", "models/demo/best.pt")),
        max_upload_bytes=int(os.environ.get("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)),
        device=os.environ.get("DEVICE", "auto"),
    )
