"""Which request or run a log line belongs to, on every line, wherever it is written.

An operator following one slow request or one failed night greps for its id; a line logged deep
in the store or the model, which never saw the id, used to drop out of that view. The API's
middleware binds the request's id and the batch binds its run's id in context variables
(carried into the worker threads that serve sync routes); the JSON formatter adds whatever is
bound to every line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_FIELDS: ContextVar[dict[str, str]] = ContextVar("aef_log_fields", default={})  # noqa: B039


def context_fields() -> dict[str, str]:
    """The ids bound here (`request_id`, `run_id`), for a log line."""
    return _FIELDS.get()


@contextmanager
def log_context(**fields: str) -> Iterator[None]:
    """Every line logged inside carries `fields` (added to what is bound already)."""
    token = _FIELDS.set({**_FIELDS.get(), **fields})
    try:
        yield
    finally:
        _FIELDS.reset(token)
