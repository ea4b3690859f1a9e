"""The one place where failures become HTTP responses with the contract's error body.

    ForecastError subclasses    -> the status in STATUS, {"error": {"code", "message"}}
    request validation          -> 422 invalid_input, naming the field
    unknown path / method       -> 404 / 405 with the same body
    a body that is not JSON     -> 415 (by Content-Type) or 422 (undecodable)
    database failures           -> 503 store_unavailable, a generic message (details logged)
    anything else               -> 500 internal_error, generic, logged with the request id
                                   (caught by the request middleware: see api.middleware)

Messages that could carry a file path, a URL or SQL (store and unexpected errors) never reach
the client; they go to the log beside the request id the client sees.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from contract.errors import (
    AuthenticationError,
    DataValidationError,
    ForecastError,
    InputError,
    ModelError,
    NoForecastError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    StoreReadOnlyError,
    StoreUnavailableError,
)

log = logging.getLogger("aeforecast.api")

# Most specific first: the first class an error is an instance of decides its status.
STATUS: list[tuple[type[ForecastError], int]] = [
    (DataValidationError, 422),
    (InputError, 422),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (NoForecastError, 404),
    (RateLimitedError, 429),
    (StoreUnavailableError, 503),
    (ModelError, 500),
    (ForecastError, 500),
]
STORE_UNAVAILABLE = "the database is unavailable; try again shortly"
STORE_READ_ONLY = ("the database is read-only: nothing can be written until an operator makes it "
                   "writable again (forecasts are still served)")
INTERNAL = "internal error; quote the X-Request-ID header when reporting it"
NO_STORE = "no-store"


def error_body(code: str, message: str, details: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = list(details)
    return {"error": error}


def error_response(
    status: int, code: str, message: str, details: Sequence[dict[str, Any]] = ()
) -> JSONResponse:
    headers = {"Cache-Control": NO_STORE}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="aeforecast"'
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def status_of(exc: ForecastError) -> int:
    return next(status for kind, status in STATUS if isinstance(exc, kind))


async def _forecast_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ForecastError)
    status = status_of(exc)
    if isinstance(exc, StoreUnavailableError):
        _log_hidden(request, exc, logging.WARNING)
        message = STORE_READ_ONLY if isinstance(exc, StoreReadOnlyError) else STORE_UNAVAILABLE
        return error_response(status, exc.code, message)
    if status >= 500:
        _log_hidden(request, exc, logging.ERROR)
        return error_response(status, exc.code, INTERNAL)
    if isinstance(exc, RateLimitedError):
        response = error_response(status, exc.code, str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DataValidationError):
        details = [_problem_detail(p) for p in exc.problems]
        return error_response(status, exc.code, str(exc), details)
    return error_response(status, exc.code, str(exc))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if not _is_json(media_type) and any(e.get("loc", ())[:1] == ("body",) for e in exc.errors()):
        # FastAPI leaves a body it does not read as JSON unparsed ("Input should be a valid
        # list"); say what is really wrong. Only routes with a body get here, after routing
        # (405) and the key checks (401/403), so those still come first.
        shown = media_type or "none"
        return error_response(
            415, "unsupported_media_type",
            f"Content-Type {shown}: send the body as JSON, Content-Type: application/json",
        )
    details = [_validation_detail(error) for error in exc.errors()]
    message = "; ".join(f"{d['field']}: {d['message']}" for d in details[:10])
    return error_response(422, InputError.code, message or "invalid request", details)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI could not decode the body (bad UTF-8, nested too deep)
        return error_response(422, InputError.code, "body: not valid UTF-8 JSON")
    codes = {
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
    }
    code = codes.get(exc.status_code, "http_error")
    message = "no such endpoint" if exc.status_code == 404 else str(exc.detail)
    response = error_response(exc.status_code, code, message)
    response.headers.update(exc.headers or {})
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ForecastError, _forecast_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def _is_json(media_type: str) -> bool:
    """application/json, or a JSON-based type such as application/problem+json."""
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _validation_detail(error: dict[str, Any]) -> dict[str, str]:
    """FastAPI's error as field and message; a JSON syntax error says so, with its position."""
    loc = error.get("loc", ())
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "syntax error")
        where = f" at character {loc[1]}" if len(loc) > 1 else ""
        return {"field": "body", "message": f"the body is not valid JSON ({reason}{where})"}
    return {"field": _field_name(loc), "message": str(error.get("msg", ""))}


def _field_name(loc: Sequence[Any]) -> str:
    """('body', 0, 'date') -> 'body[0].date'; ('query', 'days') -> 'days'."""
    parts = list(loc)
    if parts and parts[0] in ("query", "path", "header"):
        parts = parts[1:]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "request"


def _problem_detail(problem: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {"message": problem.message}
    if problem.row is not None:
        detail["index"] = problem.row
    if problem.column is not None:
        detail["field"] = problem.column
    if problem.value is not None:
        detail["value"] = problem.value
    return detail


def _log_hidden(request: Request, exc: BaseException, level: int) -> None:
    """The detail the client does not see, with the request id it does."""
    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.log(
        level,
        "%s %s failed: %s",
        request.method,
        request.url.path,
        exc,
        exc_info=level >= logging.ERROR,
        extra={"fields": {"request_id": request_id}},
    )
