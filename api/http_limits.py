"""Limits on what one connection may cost before the app sees a request.

uvicorn's httptools protocol buffers a request's head without bound (a 50 MB header was read
whole, and four at once took 280 MB) and waits for a slow head or body for ever. The API is
documented to listen on 0.0.0.0 without a proxy in front, so the server itself must refuse:
a head (request line and headers) over `max_head_bytes` is answered 431 and the connection
closed before more is read; a head not complete within `head_seconds` of its first byte, or a
body not complete within `body_seconds` of its head, is answered 408 and closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024
HEAD_SECONDS = 10.0
BODY_SECONDS = 60.0


def _response(status: bytes, message: str) -> bytes:
    body = message.encode()
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n"
            + body)


TOO_SLOW = _response(b"408 Request Timeout", "the request did not arrive in time: it is "
                     "refused rather than held open")


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """httptools, with the head's size and the head's and body's arrival bounded."""

    max_head_bytes = MAX_HEAD_BYTES
    head_seconds = HEAD_SECONDS
    body_seconds = BODY_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        """One read (at most the transport's buffer) is parsed before the head is judged:
        it may hold the end of the head and the start of a large body."""
        if self._in_head:
            self._head_bytes += len(data)
            if self._deadline is None:
                self._arm(self.head_seconds)
        super().data_received(data)
        if self._in_head and self._head_bytes > self.max_head_bytes:
            self._refuse(_response(
                b"431 Request Header Fields Too Large",
                f"the request line and headers exceed {self.max_head_bytes} bytes"))

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        self._arm(self.body_seconds)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._refuse, TOO_SLOW)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, response: bytes) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        started = self.cycle is not None and self.cycle.response_started
        if not started or self._in_head:
            self.transport.write(response)
        self.transport.close()


def bounded_protocol(max_head_bytes: int = MAX_HEAD_BYTES, head_seconds: float = HEAD_SECONDS,
                     body_seconds: float = BODY_SECONDS) -> type[BoundedHttpToolsProtocol]:
    """The protocol class for `uvicorn.run(http=...)`, with these limits."""
    return type("BoundedHttp", (BoundedHttpToolsProtocol,), {
        "max_head_bytes": max_head_bytes, "head_seconds": head_seconds,
        "body_seconds": body_seconds})
