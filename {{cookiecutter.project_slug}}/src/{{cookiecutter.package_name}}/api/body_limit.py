"""The upload limit, enforced on the request body as it streams in rather than after it arrived.

A declared `Content-Length` over the limit is refused before a byte of the body is read; a chunked
body is counted as it comes, and refused the moment it passes the limit. Either way the client
gets the API's 413 error body, and nothing more of the body is read, parsed or spooled to disk.
The route still checks the uploaded file's own size exactly: the margin here is for the multipart
framing around the file.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_MARGIN = 64 * 1024  # boundaries, part headers and form fields around the file


class BodyLimit:
    def __init__(self, app: ASGIApp, max_upload_bytes: int):
        self.app = app
        self.limit = max_upload_bytes + MULTIPART_MARGIN
        self.max_upload_bytes = max_upload_bytes

    async def refuse(self, send: Send) -> None:
        body = json.dumps(
            {"code": "upload_too_large", "message": f"the upload is larger than {self.max_upload_bytes} bytes"}
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers + [(b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self.refuse(send)
            return
        received, refused = 0, False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    await self.refuse(send)
                    return {"type": "http.disconnect"}  # the app stops reading; its own answer is dropped
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted_receive, guarded_send)
