"""What endpoints ask FastAPI for: the loaded model and the request's id."""

import uuid
from typing import Annotated

from fastapi import Header, Request, Response

from ..inference.predict import Predictor
from .errors import ApiError

REQUEST_ID_HEADER = "X-Request-ID"


def get_predictor(request: Request) -> Predictor:
    """The model loaded by the lifespan handler, or 503 while there is none."""
    predictor = request.app.state.predictor
    if predictor is None:
        raise ApiError(503, "model_not_loaded", "the model is not loaded yet")
    return predictor


def get_request_id(
    response: Response,
    x_request_id: Annotated[
        str | None,
        Header(max_length=128, description="Your id for this request; one is generated when absent"),
    ] = None,
) -> str:
    """The caller's `X-Request-ID`, or a new one; either way it is sent back in the same header."""
    request_id = x_request_id or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    return request_id
