"""A cap on the size of request bodies sent to given routes (the upload route), as pure ASGI middleware.

A declared ``Content-Length`` over the cap is answered ``413`` before any of the body is read. A body
without one (chunked) is counted as it arrives; once it passes the cap the middleware answers ``413``
itself, tells the app the client went away, and drops whatever the app then tries to send. The
answer has the API's one error shape, code ``too_large``, and closes the connection.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _too_large(limit: int) -> tuple[Message, Message]:
    message = f"the request body is larger than the limit of {limit:,} bytes"
    body = json.dumps({"error": {"code": "too_large", "message": message}}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": 413,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ],
    }
    return start, {"type": "http.response.body", "body": body, "more_body": False}


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Refuse with 413 a request to one of ``paths`` whose body is larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, paths: tuple[str, ...]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.paths = frozenset(p.rstrip("/") for p in paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).rstrip("/") not in self.paths:
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            for message in _too_large(self.max_bytes):
                await send(message)
            return
        await _Guarded(self.max_bytes, receive, send).run(self.app, scope)


class _Guarded:
    """One request whose body is counted as the app reads it."""

    def __init__(self, limit: int, receive: Receive, send: Send) -> None:
        self.limit, self.seen = limit, 0
        self._receive, self._send = receive, send
        self.started = False
        self.cut = False
        """The body passed the limit: the app is told the client went away."""
        self.answered = False
        """The 413 went out: what the app sends is dropped."""

    async def receive(self) -> Message:
        if self.cut:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.cut = True
                if not self.started:  # else the app answered before reading it all; let it finish
                    self.started = self.answered = True
                    for reply in _too_large(self.limit):
                        await self._send(reply)
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        try:
            await app(scope, self.receive, self.send)
        except Exception:
            if not self.answered:
                raise
            # The app stumbled on the cut-off body after the 413 went out: expected, nothing to add.
