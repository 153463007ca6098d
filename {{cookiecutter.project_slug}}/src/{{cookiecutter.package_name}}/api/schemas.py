"""The shapes of what the API sends and receives; the OpenAPI schema is generated from them."""

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    """The process is up."""

    status: Literal["ok"]


class ModelIdentity(BaseModel):
    """Which model answers: where it was loaded from and a digest of its weights."""

    name: str = Field(description="The checkpoint it was loaded from: a file or a registry reference")
    version: str = Field(description="First 12 hex digits of a SHA-256 of its weights; changes with them")


class Readiness(BaseModel):
    """The model is loaded and takes requests."""

    status: Literal["ready"]
    model: ModelIdentity
    classes: list[str] = Field(description="Labels the model can answer, in training order")
    device: str = Field(description="Where inference runs, e.g. cpu or cuda:0")


class Prediction(BaseModel):
    label: str
    probability: float = Field(ge=0, le=1)


class PredictionResponse(BaseModel):
    """The top-k labels for one uploaded image, most probable first."""

    filename: str | None = Field(description="Name of the uploaded file, as the client sent it")
    predictions: list[Prediction] = Field(min_length=1)


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer has this body."""

    code: str = Field(description="Stable, machine-readable reason, e.g. unsupported_media_type")
    message: str = Field(description="What went wrong, for people")
