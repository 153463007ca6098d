"""Liveness and readiness probes for orchestrators and load balancers (never versioned)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from ..dependencies import get_serving
from ..schemas import ErrorBody, Health, ModelIdentity, Readiness
from ..serving import Serving

router = APIRouter(tags=["probes"])


@router.get("/health")
async def health() -> Health:
    """Liveness: the process answers, whether or not the model is loaded."""
    return Health(status="ok")


@router.get("/ready", responses={503: {"model": ErrorBody, "description": "The model is not loaded yet"}})
async def ready(serving: Annotated[Serving, Depends(get_serving)]) -> Readiness:
    """Readiness: the model is loaded and can take requests."""
    primary = serving.primary
    return Readiness(
        status="ready",
        model=ModelIdentity(name=primary.source, version=primary.version),
        classes=primary.class_names,
        device=str(primary.device),
    )
