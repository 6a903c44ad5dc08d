"""A cap on request bodies, so no client can make a process buffer an unbounded upload.

The largest legitimate body is a secure message with its attachments as base64 in the GraphQL
variables (5 files of 5 MiB: about 35 MB). Anything larger is refused with 413 before the GraphQL
layer reads it: at once when Content-Length says so, otherwise as soon as the streamed bytes pass
the cap."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.messages.attachments import MAX_BASE64_CHARS, MAX_PER_MESSAGE

# Every attachment at its largest in base64, and 1 MiB more for the query, the message body and the JSON around them.
MAX_BODY_BYTES = MAX_PER_MESSAGE * MAX_BASE64_CHARS + 1024 * 1024


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(send, self.max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(send, self.max_bytes)


async def _refuse(send: Send, max_bytes: int) -> None:
    body = f'{{"errors":[{{"message":"The request body is larger than {max_bytes} bytes.",' \
           f'"extensions":{{"code":"PAYLOAD_TOO_LARGE"}}}}]}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
