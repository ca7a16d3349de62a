"""Hop's settings, read once from HOP_* environment variables into validated, frozen objects.

Each process reads only the settings it needs: ``EdgeSettings``, ``AdminSettings`` and
``WorkerSettings`` share ``CoreSettings`` (logging and the stores) and add their own, so the
edge never holds the JWT or SMTP secrets. ``Settings`` is all of them together: what `hop dev`
starts every process with, what the docs list, and what tests build. Lower layers take these
objects (or values from them) as arguments and never read ``os.environ`` themselves.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AnyUrl, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "HOP_"
DEFAULT_JWT_SECRET = "change-me-this-is-the-local-development-jwt-secret"
DEFAULT_VISITOR_SALT_SECRET = "change-me-this-is-the-local-development-visitor-salt"
DEFAULT_LINK_UNLOCK_SECRET = "change-me-this-is-the-local-development-link-unlock-key"
RedirectStatus = Literal[301, 302, 307, 308]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_PREFIX_RE = re.compile(r"^[A-Za-z0-9:_.-]{1,64}$")
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# The dashboard a checkout builds (`make dashboard`); an installed package has none next to it.
REPOSITORY_DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard" / "dist"


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def canonical_domain(entry: str) -> str:
    """``entry`` (a domain or IP address as an operator writes it) as a browser's URL parser reads
    a host: lower case, IDNA A-labels, IPv4 in dotted decimal, no leading ``*.``/``.`` nor trailing dots.

    Raises:
        ValueError: ``entry`` is not a bare domain name or IP address.
    """
    # Imported here: only the admin checks link targets, and the edge never loads the parser.
    import ada_url

    name = entry.strip().removeprefix("*.").lstrip(".")
    try:
        url = ada_url.parse_url(f"http://{name}/", attributes=("href", "hostname"))
    except ValueError:
        raise ValueError(f"{entry!r} is not a valid domain name or IP address") from None
    host = url["hostname"].strip(".")
    if not host or "*" in host or url["href"] != f"http://{url['hostname']}/":
        raise ValueError(f"{entry!r} is not a bare domain name or IP address (no scheme, port, path or wildcard)")
    return host


def _refuse_default(environment: str, value: str, default: str, name: str) -> None:
    if environment == "production" and value == default:
        raise ValueError(f"{ENV_PREFIX}{name} must be set to a secret of your own in production")


class CoreSettings(BaseSettings):
    """What every process reads: deployment, logging, the stores. Field ``x`` is ``HOP_X``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    # --- deployment
    environment: Literal["local", "test", "production"] = Field(
        "local", description="`production` refuses default secrets and logs JSON."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level of every process.")

    # --- stores
    redis_url: str | None = Field(
        None,
        description="Redis/Valkey URL. Unset: `hop dev` starts an embedded Valkey under data_dir, with the "
        "append-only file (clicks not yet applied survive its restarts).",
    )
    database_url: str | None = Field(
        None, description="Postgres URL. Unset: `hop dev` starts an embedded Postgres under data_dir."
    )
    database_schema: str = Field("public", description="Postgres schema holding Hop's tables.")
    database_pool_size: int = Field(10, ge=1, le=200, description="Largest asyncpg pool per process (admin, worker).")
    redis_prefix: str = Field("hop:", description="Prefix of every Redis key and channel Hop uses.")
    redis_cluster: bool = Field(
        False,
        description="HOP_REDIS_URL names any node of a Redis Cluster (database 0): Hop then uses the cluster "
        "client, hash-tags the keys that must share a slot and reads each click shard on its own node.",
    )
    shutdown_grace: float = Field(10.0, gt=0, le=300, description="Seconds to drain clicks or batches at SIGTERM.")

    # --- observability (metrics and health probes on private ports: keep them off the public proxy)
    metrics_host: str = Field("127.0.0.1", description="Bind address of the metrics ports (0.0.0.0 in containers).")
    metrics_dir: Path | None = Field(
        None,
        description="Directory for prometheus-client multiprocess files; unset: a temporary one per process group.",
    )

    @field_validator("redis_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _PREFIX_RE.match(value):
            raise ValueError("use 1-64 of A-Z a-z 0-9 : _ . -")
        return value

    @field_validator("database_schema")
    @classmethod
    def _schema(cls, value: str) -> str:
        if not _SCHEMA_RE.match(value):
            raise ValueError("use a lower-case SQL identifier")
        return value

    # Plain strings, not AnyUrl: socket URLs such as postgresql://user@/db?host=/run/pg have no host.
    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("scheme must be redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _cluster_url(self) -> CoreSettings:
        if not self.redis_cluster:
            return self
        if self.redis_url is None:
            raise ValueError(f"{ENV_PREFIX}REDIS_CLUSTER needs {ENV_PREFIX}REDIS_URL: a node of the cluster")
        parts = urlsplit(self.redis_url)
        if parts.scheme == "unix" or parts.path.strip("/") not in {"", "0"}:
            raise ValueError(
                f"{ENV_PREFIX}REDIS_URL must be redis:// or rediss:// with database 0 when"
                f" {ENV_PREFIX}REDIS_CLUSTER is on (a cluster has one database and answers over TCP)"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _pg_scheme(cls, value: str | None) -> str | None:
        return _postgres_url(value)


def _postgres_url(value: str | None) -> str | None:
    if value is not None and urlsplit(value).scheme not in {"postgres", "postgresql"}:
        raise ValueError("scheme must be postgresql://")
    return value


class ClickStreamSettings(CoreSettings):
    """The click streams, which the edge writes and the worker reads."""

    click_shards: int = Field(4, ge=1, le=256, description="Number of click streams (hop:clicks:0..n-1).")
    geoip_db: Path | None = Field(
        None,
        description=(
            "MaxMind-format .mmdb for country/city lookups: the worker stores each click's place, the "
            "edge reads the country for targeting rules."
        ),
    )


class WebhookSettings(CoreSettings):
    """Where webhooks may be sent: admin checks an endpoint's URL, the worker every delivery."""

    webhook_allowed_networks: Annotated[list[Network], NoDecode] = Field(
        default_factory=list,
        description=(
            "Comma-separated CIDRs webhooks may reach although they are not public (private, loopback, "
            "link-local): for receivers inside your own network. Empty: public addresses only."
        ),
    )

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _networks_csv(cls, value: object) -> object:
        return _split_csv(value)


class PublicSettings(CoreSettings):
    """Where visitors reach the edge, and which proxies in front of Hop are believed."""

    edge_host: str = Field("127.0.0.1", description="Edge bind address.")
    edge_port: int = Field(8000, ge=1, le=65535, description="Edge port.")
    short_base_url: AnyUrl | None = Field(
        None, description="Public base URL of short links, e.g. https://sho.rt (default: the edge's own address)."
    )
    trusted_proxies: Annotated[list[Network], NoDecode] = Field(
        default_factory=list, description="Comma-separated CIDRs whose X-Forwarded-For is believed."
    )
    database_read_url: str | None = Field(
        None,
        description="Read-only Postgres, a streaming replica of HOP_DATABASE_URL, for the analytics queries and "
        "the edge's read-through (unset: they use HOP_DATABASE_URL). What they read is as old as its lag.",
    )

    @field_validator("database_read_url")
    @classmethod
    def _read_scheme(cls, value: str | None) -> str | None:
        return _postgres_url(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies_csv(cls, value: object) -> object:
        return _split_csv(value)

    @property
    def short_base(self) -> str:
        """The short-link base URL without a trailing slash."""
        if self.short_base_url is None:
            return f"http://{self.edge_host}:{self.edge_port}"
        return str(self.short_base_url).rstrip("/")


class EdgeSettings(PublicSettings, ClickStreamSettings):
    """What `hop edge` reads."""

    edge_workers: int = Field(1, ge=1, le=64, description="Edge Granian worker processes.")
    edge_backlog: int = Field(2048, ge=128, le=65535, description="Edge listen backlog.")
    edge_max_connections: int = Field(
        8_192,
        ge=16,
        le=1_000_000,
        description="Open connections one edge worker holds; beyond it new ones wait in the listen backlog.",
    )
    edge_header_timeout: float = Field(
        10.0,
        ge=0.1,
        le=60,
        description="Seconds a connection may take to send a request's headers, and may stay idle between requests.",
    )
    edge_not_found_rate: float = Field(
        10.0, ge=0, le=100_000, description="404s per second one client address may get (then 429); 0 disables."
    )
    edge_not_found_burst: int = Field(
        100, ge=1, le=1_000_000, description="404s one client address may get at once before the rate applies."
    )
    edge_orphan_visits_per_second: float = Field(
        10.0,
        ge=0,
        le=10_000,
        description="404s (unknown codes, the bare domain, other paths) one edge process records as orphan "
        "visits per second at most; the rest are only counted. 0 records none.",
    )
    cache_ttl: float = Field(
        10.0, gt=0, le=3600, description="Seconds a link stays in an edge process's memory; pub/sub evicts sooner."
    )
    cache_max_entries: int = Field(200_000, ge=1_000, description="Links one edge process keeps in memory.")
    cache_warmup_links: int = Field(
        20_000,
        ge=0,
        le=1_000_000,
        description="Links an edge process caches before it serves: those with the most clicks in the last hour "
        "(at most HOP_CACHE_MAX_ENTRIES, for 2 s at most); 0 disables.",
    )
    negative_ttl: float = Field(5.0, gt=0, le=3600, description="Seconds an unknown code is remembered as unknown.")
    click_flush_interval: float = Field(
        0.01, gt=0, le=5, description="Most seconds a click waits in the edge buffer before its XADD."
    )
    click_flush_size: int = Field(2_000, ge=1, le=100_000, description="Clicks packed into one XADD at most.")
    click_buffer_max: int = Field(
        200_000,
        ge=1_000,
        description="Clicks an edge process holds while Redis is down; beyond it they are counted dropped.",
    )
    click_stream_maxlen: int = Field(
        1_000_000,
        ge=100,
        description="Entries a click stream keeps at most (XADD MAXLEN ~): memory bound while no worker runs; "
        "entries trimmed before the worker applied them are recorded as a gap (click_stream_gaps).",
    )
    country_header: str | None = Field(
        None, description="Header a trusted proxy sets with the visitor's ISO country (e.g. CF-IPCountry)."
    )
    edge_metrics_port: int = Field(
        9180, ge=0, le=65535, description="Edge Prometheus /metrics (all workers summed); 0 disables."
    )
    metrics_interval: float = Field(
        1.0, gt=0, le=60, description="Seconds between an edge worker's hand-overs of its counters to the metrics."
    )
    link_unlock_secret: str = Field(
        DEFAULT_LINK_UNLOCK_SECRET,
        min_length=32,
        description="Key that signs the cookie a visitor gets for entering a protected link's password; "
        "changing it asks every visitor again.",
    )
    link_unlock_ttl: int = Field(
        3_600, ge=60, le=30 * 86_400, description="Seconds a protected link stays unlocked for a visitor."
    )
    link_unlock_attempts: int = Field(
        10, ge=1, le=1_000, description="Password attempts per client address and protected link per 15 minutes."
    )
    edge_unknown_host: str = Field(
        "default",
        description="What a request whose Host is no short domain gets: `default` (served as the default "
        "domain, HOP_SHORT_BASE_URL's), `not_found` (a 404), or an http(s) URL it is redirected to.",
    )

    @field_validator("edge_unknown_host")
    @classmethod
    def _unknown_host(cls, value: str) -> str:
        if value in ("default", "not_found"):
            return value
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or any(ord(c) < 0x21 for c in value):
            raise ValueError("must be `default`, `not_found` or an absolute http(s) URL")
        return value

    @model_validator(mode="after")
    def _edge_secrets(self) -> EdgeSettings:
        _refuse_default(self.environment, self.link_unlock_secret, DEFAULT_LINK_UNLOCK_SECRET, "LINK_UNLOCK_SECRET")
        return self


class AdminSettings(PublicSettings, WebhookSettings):
    """What `hop admin` and the admin commands (`hop link`, `hop user`) read."""

    admin_host: str = Field("127.0.0.1", description="Admin API bind address.")
    admin_port: int = Field(8001, ge=1, le=65535, description="Admin API port.")
    admin_workers: int = Field(1, ge=1, le=64, description="Admin API Granian worker processes.")
    admin_max_connections: int = Field(
        2_048,
        ge=16,
        le=1_000_000,
        description="Open connections one admin worker holds; beyond it new ones wait in the listen backlog.",
    )
    admin_header_timeout: float = Field(
        10.0,
        ge=0.1,
        le=60,
        description="Seconds a connection may take to send a request's headers, and may stay idle between requests.",
    )
    admin_body_timeout: float = Field(
        30.0,
        ge=0.1,
        le=3_600,
        description="Seconds a request body may take to arrive in whole, counted from its headers (then 408).",
    )
    admin_body_idle_timeout: float = Field(
        10.0,
        ge=0.1,
        le=3_600,
        description="Seconds a request body may pause between two chunks (then 408).",
    )
    feed_max_streams: int = Field(
        200,
        ge=1,
        le=10_000,
        description="Live click feeds (Server-Sent Events) one admin worker serves at once, each on a Redis connection",
    )
    feed_heartbeat: float = Field(
        15.0, ge=0.1, le=60, description="Seconds between a live click feed's heartbeats while no click comes."
    )
    jwt_secret: str = Field(DEFAULT_JWT_SECRET, min_length=32, description="HS256 key for access tokens, >= 32 bytes.")
    jwt_previous_secret: str | None = Field(
        None,
        min_length=32,
        description="The HOP_JWT_SECRET before a rotation: its tokens stay valid until they expire and its sessions "
        "go on under the new key. Unset: a rotation ends every session at once.",
    )
    jwt_issuer: str = Field("hop", description="`iss` of access tokens.")
    jwt_audience: str = Field("hop-admin", description="`aud` of access tokens.")
    access_token_ttl: int = Field(900, ge=60, le=86_400, description="Access token lifetime, seconds.")
    refresh_token_ttl: int = Field(30 * 86_400, ge=3_600, description="Refresh token lifetime, seconds.")
    open_registration: bool = Field(True, description="Anyone may register; false: only admins create users.")
    code_length: int = Field(7, ge=4, le=32, description="Length of generated short codes.")
    blocked_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated target domains (and their subdomains) refused."
    )
    smtp_host: str | None = Field(None, description="SMTP server for password-reset mail; unset: mail is logged.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_tls: Literal["none", "starttls", "tls"] = Field("starttls", description="SMTP transport security.")
    smtp_username: str | None = Field(None, description="SMTP user.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    mail_from: str = Field("hop@localhost", description="From address of mail Hop sends.")
    password_reset_ttl: int = Field(3_600, ge=300, le=86_400, description="Password-reset token lifetime, seconds.")
    public_admin_url: AnyUrl | None = Field(
        None,
        description="Public base URL of the admin (API and dashboard) that links in mail point to, e.g. "
        "https://admin.sho.rt (default: the admin's own address). Never taken from a request's Host header.",
    )
    admin_metrics_port: int = Field(
        9181, ge=0, le=65535, description="Admin Prometheus /metrics (all workers summed); 0 disables."
    )
    admin_docs: bool = Field(
        True, description="Serve the interactive API docs at /docs and /redoc (turn off in production)."
    )
    admin_dashboard_dir: Path | None = Field(
        None,
        validate_default=True,
        description="Directory of the built dashboard (index.html and assets/) the admin serves at `/`. Unset: the "
        "checkout's dashboard/dist when it is built; empty: no dashboard.",
    )
    link_create_per_minute: int = Field(
        1_000, ge=0, le=1_000_000, description="Links one user may create per minute (bulk items count); 0: no limit."
    )
    link_create_per_day: int = Field(
        10_000, ge=0, le=10_000_000, description="Links one user may create per day (bulk items count); 0: no limit."
    )

    @field_validator("blocked_domains", mode="before")
    @classmethod
    def _domains_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("blocked_domains")
    @classmethod
    def _domains_canonical(cls, value: list[str]) -> list[str]:
        # Matched against canonical target hosts, so `Blocked.Example.` must mean blocked.example.
        return list(dict.fromkeys(canonical_domain(entry) for entry in value))

    @field_validator("admin_dashboard_dir", mode="before")
    @classmethod
    def _dashboard_default(cls, value: object) -> object:
        if value is None:
            return REPOSITORY_DASHBOARD if (REPOSITORY_DASHBOARD / "index.html").is_file() else None
        return None if value == "" else value

    @field_validator("admin_dashboard_dir")
    @classmethod
    def _dashboard_built(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        if not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        if not (value / "index.html").is_file():
            raise ValueError(f"{value} holds no index.html: not a built dashboard (`make dashboard` builds one)")
        return value.resolve()

    @model_validator(mode="after")
    def _admin_secrets(self) -> AdminSettings:
        _refuse_default(self.environment, self.jwt_secret, DEFAULT_JWT_SECRET, "JWT_SECRET")
        return self

    # --- accounts and sessions (docs/security.md)
    @model_validator(mode="after")
    def _previous_jwt_secret(self) -> AdminSettings:
        previous = self.jwt_previous_secret
        if previous is not None and previous == self.jwt_secret:
            raise ValueError(f"{ENV_PREFIX}JWT_PREVIOUS_SECRET must differ from {ENV_PREFIX}JWT_SECRET")
        if previous is not None:
            # The default key is public: accepting tokens signed with it would let anyone forge one.
            _refuse_default(self.environment, previous, DEFAULT_JWT_SECRET, "JWT_PREVIOUS_SECRET")
        return self

    @field_validator("public_admin_url")
    @classmethod
    def _public_admin_url(cls, value: AnyUrl | None) -> AnyUrl | None:
        if value is None:
            return None
        if value.scheme not in {"http", "https"}:
            raise ValueError("use an http:// or https:// URL")
        if value.query or value.fragment or value.username or value.password:
            raise ValueError("use a base URL without credentials, query or fragment")
        return value

    @property
    def public_admin_base(self) -> str:
        """The admin's public base URL without a trailing slash: every URL in mail starts with it."""
        if self.public_admin_url is None:
            return f"http://{self.admin_host}:{self.admin_port}"
        return str(self.public_admin_url).rstrip("/")


class WorkerSettings(ClickStreamSettings, WebhookSettings):
    """What `hop worker` reads."""

    worker_batch_size: int = Field(500, ge=1, le=10_000, description="Stream entries one worker transaction applies.")
    worker_block_ms: int = Field(
        200, ge=1, le=60_000, description="How long one XREAD waits for new clicks, milliseconds."
    )
    store_full_ip: bool = Field(False, description="Keep visitors' full IP addresses (default: truncated only).")
    visitor_salt_secret: str = Field(
        DEFAULT_VISITOR_SALT_SECRET,
        min_length=16,
        description=(
            "Secret keying the visitor hashes: the daily one stored with each click, and the one unique "
            "visitors are counted with (rotating it starts new visitor counts)."
        ),
    )
    click_retention_months: int = Field(25, ge=1, le=600, description="Monthly click partitions kept.")
    worker_metrics_port: int = Field(
        9182, ge=0, le=65535, description="Worker Prometheus /metrics, /healthz and /readyz; 0 disables."
    )
    edge_sync_replay_interval: float = Field(
        2.0,
        gt=0,
        le=300,
        description="Seconds between the worker's replays of link changes whose Redis write-through failed.",
    )
    webhook_retry_base: float = Field(
        10.0,
        gt=0,
        le=3_600,
        description="Seconds before a failed webhook delivery's first retry; each further one waits twice as long.",
    )
    webhook_max_attempts: int = Field(
        10, ge=1, le=50, description="Attempts at one webhook delivery before it is marked failed."
    )
    webhook_disable_after: int = Field(
        50,
        ge=1,
        le=10_000,
        description="Consecutive failed attempts after which a webhook endpoint is disabled (its owner re-enables it).",
    )

    @model_validator(mode="after")
    def _worker_secrets(self) -> WorkerSettings:
        _refuse_default(self.environment, self.visitor_salt_secret, DEFAULT_VISITOR_SALT_SECRET, "VISITOR_SALT_SECRET")
        return self


class Settings(EdgeSettings, AdminSettings, WorkerSettings):
    """Every setting: what `hop dev` runs the whole product with (and what the docs and tests use)."""

    data_dir: Path = Field(Path(".hop"), description="Where `hop dev` keeps the embedded Valkey and Postgres data.")
    dev_redis_port: int = Field(
        6390,
        ge=1,
        le=65535,
        description="Port of the embedded Valkey `hop dev` starts: fixed, so the URL in data_dir/dev-stores.json "
        "(which other `hop` commands read) stays the same between runs.",
    )
    dev_dashboard_port: int = Field(
        5173, ge=1, le=65535, description="Port of the Vite dev server `hop dev --hmr` starts (dashboard with HMR)."
    )


# Which process reads each setting, for the docs: the classes above, in the order the docs list them.
PROCESS_SETTINGS: dict[str, type[CoreSettings]] = {
    "edge": EdgeSettings,
    "admin": AdminSettings,
    "worker": WorkerSettings,
}

AnySettings = TypeVar("AnySettings", bound=CoreSettings)


def settings_environment(settings: CoreSettings, base: Mapping[str, str], **extra: object) -> dict[str, str]:
    """``base`` without its HOP_* variables, plus those that make a child process load ``settings``
    (with ``extra`` fields overridden): how `hop dev`, tests and benchmarks start Hop processes.
    """
    env = {key: value for key, value in base.items() if not key.startswith(ENV_PREFIX)}
    values = settings.model_dump(mode="json") | extra
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(str(item) for item in value)
        env[f"{ENV_PREFIX}{name.upper()}"] = str(value)
    return env


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each offending HOP_* variable and what is wrong with it."""
    parts = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) if item["loc"] else ""
        name = f"{ENV_PREFIX}{field.upper()}" if field else "settings"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{name}: {message}")
    return "invalid settings: " + "; ".join(parts)


def load_settings(kind: type[AnySettings], **overrides: Any) -> AnySettings:
    """Read ``kind`` from the environment; ``overrides`` (field names) win over it.

    Raises:
        SettingsError: with a one-line message naming the bad variable.
    """
    try:
        return kind(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None


def load_settings_or_exit(kind: type[AnySettings]) -> AnySettings:
    """``load_settings`` for process entry points: a bad setting prints one line and exits 1."""
    try:
        return load_settings(kind)
    except SettingsError as error:
        print(f"hop: {error}", file=sys.stderr)
        raise SystemExit(1) from None
