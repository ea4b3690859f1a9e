"""Runtime settings, read once from the environment (see the README, Configuration)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All optional; defaults give an embedded database and model store under ./var/."""

    model_config = SettingsConfigDict(env_prefix="AEF_", extra="ignore")

    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means ./var/aeforecast.db")
    model_dir: Path = Field(default=Path("var/models"))
    log_level: str = Field(default="INFO")
    rate_limit_per_minute: float = Field(
        default=600, ge=0, description="API requests a minute per key (per worker); 0: no limit")
    rate_limit_burst: int = Field(
        default=300, ge=1, description="API requests a key may make at once before the limit")
    stale_after_days: int = Field(
        default=3, ge=0, le=366,
        description="A trust's data ending more days than this before today (before the run's "
                    "as-of, in the batch) is stale: flagged when served, left out of a batch")
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-For/-Proto the API believes: addresses or CIDR "
                    "networks, comma-separated, or '*' (then only the hop the nearest proxy "
                    "appended is believed)")
    max_header_bytes: int = Field(
        default=65536, ge=1024, le=16 * 1024 * 1024,
        description="A request's line and headers over this many bytes are refused (431)")
    request_timeout_seconds: float = Field(
        default=30.0, gt=0, le=3600,
        description="A request's head must arrive within this from its first byte, and its "
                    "body within this after the head, else 408 and the connection closed")
    key_outage_grace_seconds: float = Field(
        default=30.0, ge=0, le=600,
        description="While the database is away, a key checked by it at most this long ago "
                    "still reads forecasts from memory; 0 fails closed at once")
    max_daily_count: int = Field(
        default=20_000, ge=1,
        description="A day's attendances or admissions above this are refused as implausible")
    max_jump_factor: float = Field(
        default=10.0, gt=1,
        description="A day's count above this many times the trust's busiest stored day is "
                    "refused as implausible")
    migrate_on_start: bool = Field(
        default=True,
        description="Every command brings the database schema up to date first; false: it "
                    "only checks, and `aeforecast db upgrade` migrates (a step of its own)")
    thresholds_file: Path | None = Field(
        default=None, description="TOML of capacity thresholds for `aeforecast thresholds load`")

    @property
    def resolved_database_url(self) -> str:
        """The embedded SQLite file by default; `postgresql://` maps to the psycopg 3 driver."""
        url = self.database_url or f"sqlite:///{Path('var/aeforecast.db').resolve()}"
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        elif url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache after changing the environment."""
    return Settings()
