"""Liveness and readiness probes for orchestrators and load balancers (never versioned)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from ...inference.predict import Predictor
from ..dependencies import get_predictor
from ..schemas import ErrorBody, Health, Readiness

router = APIRouter(tags=["probes"])


@router.get("/health")
async def health() -> Health:
    """Liveness: the process answers, whether or not the model is loaded."""
    return Health(status="ok")


@router.get("/ready", responses={503: {"model": ErrorBody, "description": "The model is not loaded yet"}})
async def ready(predictor: Annotated[Predictor, Depends(get_predictor)]) -> Readiness:
    """Readiness: the model is loaded and can take requests."""
    return Readiness(status="ready", classes=predictor.class_names, device=str(predictor.device))
