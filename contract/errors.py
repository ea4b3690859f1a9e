"""The project's exception hierarchy, in one place.

    ForecastError                 base of everything we raise on purpose
    ├── InputError                bad input: exit 2 / HTTP 422
    │   └── DataValidationError   a data file or payload broke the contract (file, row, column)
    ├── AuthenticationError       no or unknown API key: HTTP 401
    ├── PermissionDeniedError     key lacks the scope: HTTP 403
    ├── NotFoundError             unknown trust, run or key (also for trusts a key may not see): 404
    ├── NoForecastError           no forecast run stored yet: HTTP 404 / readiness 503
    ├── StoreUnavailableError     the database cannot be reached: HTTP 503
    ├── RateLimitedError          a key (or address) over its request rate: HTTP 429
    └── ModelError                a model failed to fit or predict: exit 1 / HTTP 500

The API maps these to statuses in one handler (`api.errors`); library code never raises
HTTP exceptions, and the command line maps InputError to exit code 2, everything else to 1.
"""

from __future__ import annotations

from dataclasses import dataclass


class ForecastError(Exception):
    """Base class for every error the project raises deliberately."""

    code = "error"


class InputError(ForecastError):
    """The caller gave us something we refuse: nothing has been written."""

    code = "invalid_input"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located precisely enough to fix it."""

    source: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    row_label: str = "line"  # how a person finds `row`: "line" in CSV, "row" in Parquet

    def __str__(self) -> str:
        where = [self.source]
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        shown = "" if self.value is None else f" (got {self.value!r})"
        return f"{', '.join(where)}: {self.message}{shown}"


class DataValidationError(InputError):
    """A data file or payload broke the contract; carries every problem found (up to a cap)."""

    code = "invalid_data"

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems
        self.total = max(total or 0, len(problems))  # problems found, when more than listed
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  ... and {self.total - 20} more" if self.total > 20 else ""
        super().__init__(f"input refused, nothing was written:\n{shown}{more}")


class AuthenticationError(ForecastError):
    code = "unauthenticated"


class PermissionDeniedError(ForecastError):
    code = "forbidden"


class NotFoundError(ForecastError):
    code = "not_found"


class NoForecastError(ForecastError):
    code = "no_forecast"


class StoreUnavailableError(ForecastError):
    code = "store_unavailable"


class SchemaBehindError(ForecastError):
    """The database's schema is older than this version and migrating at start-up is off."""

    code = "schema_behind"


class StoreReadOnlyError(StoreUnavailableError):
    """The database answers reads but refuses writes (a read-only file or standby)."""


class RateLimitedError(ForecastError):
    """Too many requests; `retry_after` is the whole seconds until the next is allowed."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelError(ForecastError):
    code = "model_error"
