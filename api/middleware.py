"""One ASGI middleware for every request: id, body limit, headers, metrics, access log, 500s.

A plain ASGI class rather than `BaseHTTPMiddleware`, which costs a task and a queue per request
on the path that must serve a thousand forecasts a second.

- `X-Request-ID`: an incoming one is kept if it is sane (1-128 of `A-Za-z0-9._:-`), otherwise a
  fresh one is made; it is on every response and in the access log line.
- Bodies over `max_body` bytes are refused with 413 before the app sees them (by Content-Length,
  or by counting a chunked body while buffering it).
- Security headers on every response; `Cache-Control: no-store` unless a route chose otherwise.
- Any exception escaping the app becomes a 500 with a generic message, logged with the id.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import INTERNAL, error_body
from api.metrics import ApiMetrics
from contract.log_context import log_context

access_log = logging.getLogger("aeforecast.access")
log = logging.getLogger("aeforecast.api")

_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})  # metric labels
_DOC_PATHS = ("/docs", "/redoc")  # Swagger UI and ReDoc load scripts: no strict CSP there
_SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
# The dashboard's pages: their own stylesheet and inline SVG, no script at all, forms to itself.
_DASHBOARD_PATH = "/dashboard"
_DASHBOARD_CSP = (
    b"content-security-policy",
    b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    b"base-uri 'none'; frame-ancestors 'none'",
)


class RequestMiddleware:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics, max_body: int) -> None:
        self.app, self.metrics, self.max_body = app, metrics, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        sent: dict[str, Any] = {"status": 500, "started": False}
        extra = _extra_headers(request_id, scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"], sent["started"] = message["status"], True
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        with log_context(request_id=request_id):  # on every line logged below
            try:
                if scope["method"] in _BODY_METHODS:
                    bounded = await self._bounded(scope, receive)
                    if bounded is None:
                        await _send_error(send_with_headers, 413, "payload_too_large",
                                          self._too_big())
                        return
                    receive = bounded
                await self.app(scope, receive, send_with_headers)
            except Exception:
                log.exception(
                    "unhandled error in %s %s",
                    scope["method"],
                    scope["path"],
                    extra={"fields": {"request_id": request_id}},
                )
                if not sent["started"]:
                    await _send_error(send_with_headers, 500, "internal_error", INTERNAL)
            finally:
                self._record(scope, int(sent["status"]), time.perf_counter() - started, request_id)

    async def _bounded(self, scope: Scope, receive: Receive) -> Receive | None:
        """The body read whole (at most max_body bytes) and replayed; None when it is too big."""
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    def _too_big(self) -> str:
        return f"request body over {self.max_body} bytes; send fewer days per request"

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        self.metrics.observe(method, template, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            fields = {
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "client": (scope.get("client") or ("-",))[0],
                "key": scope["state"].get("key_prefix"),
            }
            access_log.info(
                "%s %s %d", scope["method"], scope["path"], status, extra={"fields": fields}
            )


def _request_id(scope: Scope) -> str:
    incoming = _header(scope, b"x-request-id")
    if incoming is not None and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _extra_headers(request_id: str, path: str) -> list[tuple[bytes, bytes]]:
    headers = [(b"x-request-id", request_id.encode()), *_SECURITY_HEADERS]
    if path == _DASHBOARD_PATH or path.startswith(_DASHBOARD_PATH + "/"):
        headers.append(_DASHBOARD_CSP)
    elif not path.startswith(_DOC_PATHS):
        headers.append(_CSP)
    headers.append((b"cache-control", b"no-store"))  # only where the route set none
    return headers


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
