"""What endpoints ask FastAPI for: the serving strategy with its loaded model, and the request's id."""

import uuid
from typing import Annotated

from fastapi import Header, Request, Response

from .errors import ApiError
from .serving import Serving

REQUEST_ID_HEADER = "X-Request-ID"


def get_serving(request: Request) -> Serving:
    """The strategy the lifespan handler built around the loaded model, or 503 while there is none."""
    serving = request.app.state.serving
    if serving is None:
        raise ApiError(503, "model_not_loaded", "the model is not loaded yet")
    return serving


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
