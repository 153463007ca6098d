"""One error body for every failure: `{"code": ..., "message": ...}` (see `schemas.ErrorBody`).

Endpoints raise `ApiError` with a specific code; FastAPI's validation errors, Starlette's own
errors (404, 405, a malformed multipart body) and unexpected exceptions are turned into the same
shape here, so a client reads every 4xx and 5xx the same way.
"""

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .schemas import ErrorBody

log = logging.getLogger(__name__)

# Codes for errors raised without one: by FastAPI, by Starlette or by a plain HTTPException.
DEFAULT_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "upload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    500: "internal_error",
    503: "not_ready",
}


class ApiError(HTTPException):
    """An HTTP error with a machine-readable `code` next to the human `message`."""

    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(status_code, message)
        self.code = code


def error_response(status_code: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorBody(code=code, message=message)
    return JSONResponse(body.model_dump(), status_code=status_code, headers=headers)


async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    code = getattr(error, "code", None) or DEFAULT_CODES.get(error.status_code, f"http_{error.status_code}")
    return error_response(error.status_code, code, str(error.detail), error.headers)


async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """422 with every problem in one line: `query.top_k: Input should be ...; body.file: Field required`."""
    problems = [f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors()]
    return error_response(422, "invalid_request", "; ".join(problems) or "invalid request")


async def unexpected_error(request: Request, call_next):
    """Middleware: an exception no handler knows becomes a logged 500 that reveals nothing inside."""
    try:
        return await call_next(request)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.middleware("http")(unexpected_error)
