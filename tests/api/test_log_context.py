"""Every log line written while a request is served carries its request id, however deep it
was logged and in whichever thread (issue 21: ids on every log line)."""

from __future__ import annotations

import io
import json
import logging
import warnings

import anyio.to_thread

with warnings.catch_warnings():  # Starlette prefers httpx2 to the httpx we install; same client
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from starlette.types import Receive, Scope, Send

from aeforecast.logs import JsonFormatter
from api.metrics import ApiMetrics
from api.middleware import RequestMiddleware
from contract.log_context import context_fields, log_context

deep = logging.getLogger("store.somewhere.deep")


async def app(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
    """A route that logs in its own task and from a worker thread, naming no id itself."""
    deep.warning("in the handler")
    await anyio.to_thread.run_sync(lambda: deep.warning("in a worker thread"))
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_lines_logged_while_serving_carry_the_request_id() -> None:
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())
    deep.addHandler(handler)
    try:
        metrics = ApiMetrics(lambda: None, lambda: 0.0)  # type: ignore[arg-type, return-value]
        client = TestClient(RequestMiddleware(app, metrics, max_body=1024))  # no lifespan
        response = client.get("/anything", headers={"X-Request-ID": "abc-123"})
        deep.warning("after the request")
    finally:
        deep.removeHandler(handler)
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert response.headers["x-request-id"] == "abc-123"
    assert [(line["msg"], line.get("request_id")) for line in lines] == [
        ("in the handler", "abc-123"), ("in a worker thread", "abc-123"),
        ("after the request", None)]


def test_contexts_nest_and_unwind() -> None:
    with log_context(run_id="r1"):
        with log_context(request_id="q1"):
            assert context_fields() == {"run_id": "r1", "request_id": "q1"}
        assert context_fields() == {"run_id": "r1"}
    assert context_fields() == {}
