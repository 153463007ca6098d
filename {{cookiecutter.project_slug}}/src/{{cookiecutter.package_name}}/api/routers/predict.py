"""`POST /predict`: one image upload in, its top-k labels out. `api/app.py` mounts it under `/v1`."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from ...data.image import ImageDecodeError, ImageTooLargeError, UnsupportedImageError, load_image
from ...settings import TOP_K
from ..dependencies import REQUEST_ID_HEADER, get_request_id, get_serving
from ..errors import ApiError
from ..schemas import ErrorBody, PredictionResponse
from ..serving import Serving

router = APIRouter(tags=["predict"])

VARIANT_HEADER = "X-Model-Variant"

ANSWER = {
    "description": "The top-k labels, most probable first",
    "headers": {
        REQUEST_ID_HEADER: {
            "description": "The request's id: the one sent, or a generated one",
            "required": True,
            "schema": {"type": "string"},
        },
        VARIANT_HEADER: {
            "description": "Which model answered: primary, or candidate during an A/B rollout",
            "required": True,
            "schema": {"type": "string"},
        },
    },
}
ERRORS = {
    400: {"model": ErrorBody, "description": "The multipart body is malformed (bad_request)"},
    413: {
        "model": ErrorBody,
        "description": "The request body or the file is larger than the server's limit (upload_too_large); "
        "refused as soon as the limit is passed, before the rest of the body is read",
    },
    415: {
        "model": ErrorBody,
        "description": "The file is not a JPEG, PNG, BMP, WebP or TIFF image, judged from its bytes whatever "
        "its content type says (unsupported_media_type)",
    },
    422: {
        "model": ErrorBody,
        "description": "A parameter is invalid (invalid_request), the image is damaged or truncated "
        "(undecodable_image), or its header claims more pixels than the server's limit (image_too_large)",
    },
    503: {"model": ErrorBody, "description": "The model is not loaded yet (model_not_loaded)"},
}


# The file part: one of the image formats, sent under any of these types (the bytes decide, not the type).
IMAGE_TYPES = ("image/jpeg", "image/png", "image/bmp", "image/webp", "image/tiff", "application/octet-stream")
IMAGE_PART = {
    "requestBody": {"content": {"multipart/form-data": {"encoding": {"file": {"contentType": ", ".join(IMAGE_TYPES)}}}}}
}


@router.post("/predict", responses={200: ANSWER, **ERRORS}, openapi_extra=IMAGE_PART)
async def predict(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    serving: Annotated[Serving, Depends(get_serving)],
    request_id: Annotated[str, Depends(get_request_id)],
    file: Annotated[UploadFile, File(description="The image: JPEG, PNG, BMP, WebP or TIFF, any content type")],
    top_k: Annotated[int, Query(ge=1, le=100, description="How many labels to return")] = TOP_K,
) -> PredictionResponse:
    """Classify one uploaded image. The format is read from the bytes, not from the content type the
    client sent; decoding and inference run in a worker thread."""
    limit = request.app.state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "upload_too_large", f"the upload is larger than {limit} bytes")
    try:
        image = await run_in_threadpool(load_image, data, request.app.state.decode_limits)
    except UnsupportedImageError as error:
        raise ApiError(415, "unsupported_media_type", _without_name(error)) from None
    except ImageTooLargeError as error:
        raise ApiError(422, "image_too_large", _without_name(error)) from None
    except ImageDecodeError as error:
        raise ApiError(422, "undecodable_image", _without_name(error)) from None
    answer = await run_in_threadpool(serving.predict, request_id, image, top_k)
    if answer.after_response is not None:
        background.add_task(answer.after_response)
    response.headers[VARIANT_HEADER] = answer.variant
    return PredictionResponse(filename=file.filename, predictions=answer.predictions)


def _without_name(error: ImageDecodeError) -> str:
    """The decoder's message without its `<bytes>: ` prefix (the client knows which file it sent)."""
    return str(error).removeprefix("<bytes>: ")
