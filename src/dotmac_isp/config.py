"""Settings: one class, read from DOTMAC_* environment variables and an optional .env file."""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "change-me-dotmac-isp-development-secret-key"
# Where the site is usually served over plain http on localhost (and the demo runs).
INSECURE_COOKIE_ENVIRONMENTS = frozenset({"development", "test"})


class RadiusSettings(BaseModel):
    """The RADIUS AAA server (DOTMAC_RADIUS__*)."""

    enabled: bool = True  # `serve` starts the RADIUS server beside the HTTP API
    host: str = "127.0.0.1"  # set DOTMAC_RADIUS__HOST=0.0.0.0 to serve real NASes
    auth_port: int = Field(1812, ge=0, le=65535)  # 0: any free port
    acct_port: int = Field(1813, ge=0, le=65535)
    suspended_policy: Literal["walled_garden", "reject"] = "walled_garden"
    walled_garden_address_list: str = "walled-garden"  # Mikrotik-Address-List
    walled_garden_pool: str = ""  # Framed-Pool, when the NAS has a garden pool
    walled_garden_filter: str = ""  # Filter-Id
    walled_garden_rate_kbps: int = Field(1024, ge=8)
    walled_garden_session_timeout: int = Field(3600, ge=60)
    default_simultaneous_use: int = Field(1, ge=0)  # 0: no limit
    juniper_service_profile: str = "dotmac-rate"
    # MS-CHAP accepts carry MPPE keys, as FreeRADIUS's mschap module (use_mppe,
    # require_encryption, require_strong); a plan's RADIUS attributes may set policy and types
    mschap_use_mppe: bool = True
    mschap_require_encryption: bool = False  # MS-MPPE-Encryption-Policy 2, else 1 (allowed)
    mschap_require_strong: bool = False  # MS-MPPE-Encryption-Types 4 (128-bit), else 6
    refresh_seconds: float = Field(2.0, gt=0)
    full_reload_seconds: float = Field(900.0, gt=0)
    acct_batch_ms: float = Field(1.0, ge=0)
    acct_batch_max: int = Field(200, ge=1)
    acct_writers: int = Field(8, ge=1, le=32)  # batches committing at the same time
    duplicate_cache_seconds: float = Field(30.0, ge=0)
    # Replies kept for retransmissions; past this many the oldest go first. Enough for
    # duplicate_cache_seconds of the peak request rate (250-400 bytes each).
    duplicate_cache_entries: int = Field(200_000, ge=1000)
    # Accounting-Requests waiting for a commit; past this the NAS is not answered and resends
    # (a stalled database then costs a bounded amount of memory).
    acct_queue_limit: int = Field(20_000, ge=1)
    # Open sessions remembered per subscriber for Simultaneous-Use; keep it above the highest
    # limit a plan sets.
    sessions_per_subscriber: int = Field(64, ge=1)
    receive_buffer_bytes: int = Field(8 * 1024 * 1024, ge=65536)
    postauth_log: bool = True
    stale_session_minutes: int = Field(30, ge=1)
    coa_timeout_seconds: float = Field(3.0, gt=0)
    coa_retries: int = Field(2, ge=0)
    coa_max_attempts: int = Field(5, ge=1)
    coa_concurrency: int = Field(16, ge=1, le=256)  # requests in flight at once per sender
    coa_batch_size: int = Field(1000, ge=1, le=100_000)  # most requests one job run sends
    use_uvloop: bool = True
    # `radius serve` starts this many worker processes on the same ports (SO_REUSEPORT)
    processes: int = Field(1, ge=1, le=64)
    # Each worker of `radius serve` serves /metrics on metrics_port + its index (0: off)
    metrics_port: int = Field(0, ge=0, le=65535)
    trace_sample_ratio: float = Field(0.01, ge=0, le=1)  # requests traced over OTLP; 0: none


class AuthSettings(BaseModel):
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(30, ge=1, le=365)
    lockout_threshold: int = Field(5, ge=1, le=100)
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    password_reset_minutes: int = Field(60, ge=5, le=7 * 24 * 60)
    min_password_length: int = Field(10, ge=8, le=128)


class MailSettings(BaseModel):
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    sender: str = "DotMac ISP <noreply@localhost>"
    timeout_seconds: float = 10.0
    smtp_connections: int = Field(4, ge=1, le=64)  # open at once by one sender (the job)
    smtp_messages_per_connection: int = Field(100, ge=1)  # then it reconnects


class HttpSettings(BaseModel):
    """Request limits (DOTMAC_HTTP__*)."""

    max_body_bytes: int = Field(1024 * 1024, ge=1024)  # JSON and form bodies
    # Multipart uploads and file bodies (CSV imports); each endpoint has its own limit below.
    max_upload_bytes: int = Field(25 * 1024 * 1024, ge=1024)


class IPAMSettings(BaseModel):
    release_hold_hours: int = Field(24, ge=0, le=24 * 365)  # after a subscription ends


class TopologySettings(BaseModel):
    """Neighbour discovery over LLDP/CDP (DOTMAC_TOPOLOGY__*)."""

    discovery_interval_minutes: int = Field(60, ge=1, le=7 * 24 * 60)  # per device
    # A link no reading has shown for this long is dropped, once one of its managed ends
    # has been read since without it (a device that cannot be read keeps its last links).
    link_max_age_hours: int = Field(24, ge=1, le=24 * 365)
    concurrency: int = Field(16, ge=1, le=256)  # devices read at once
    batch_limit: int = Field(500, ge=1, le=100_000)  # devices read per job run


class MapSettings(BaseModel):
    """The network map (DOTMAC_MAP__*); tile server and geocoder are each tenant's settings."""

    # Most features one layer sends the browser for one view; past it the page says to zoom in
    max_features: int = Field(2000, ge=1, le=50_000)
    geocode_batch: int = Field(50, ge=1, le=3600)  # addresses per map.geocode_missing run
    geocode_retry_hours: int = Field(24, ge=1, le=24 * 365)  # after a failed attempt


class SalesSettings(BaseModel):
    """Leads, the public enquiry form and quote links (DOTMAC_SALES__*); each tenant's sales
    address and quote terms are its own settings."""

    # An enquiry posted sooner than this after the form was served is refused (bots are fast)
    enquiry_min_seconds: float = Field(3.0, ge=0, le=600)
    enquiry_max_age_hours: int = Field(24, ge=1, le=24 * 30)  # then the form must be reloaded
    # Enquiries stored per client address per hour (across tenants); more are refused
    enquiries_per_hour: int = Field(5, ge=1, le=10_000)
    quote_link_days: int = Field(30, ge=1, le=365)  # a quote's emailed link works this long


class RetentionSettings(BaseModel):
    """How long history is kept (DOTMAC_RETENTION__*); the jobs delete in batches."""

    radacct_days: int = Field(365, ge=1)  # closed accounting sessions, after their stop
    postauth_days: int = Field(90, ge=1)  # the authentication log
    delivery_log_days: int = Field(180, ge=1)  # sent and failed notification deliveries
    job_history_days: int = Field(30, ge=1)  # job runs and tenants' job failures
    batch_size: int = Field(5000, ge=1, le=100_000)  # rows per transaction


class JobsSettings(BaseModel):
    """Background jobs (DOTMAC_JOBS__*): the in-process scheduler, leases, Celery tasks."""

    concurrency: int = Field(4, ge=1, le=64)  # jobs the in-process scheduler runs at once
    lease_seconds: float = Field(60.0, ge=1)  # renewed every third of it while a job runs
    max_retries: int = Field(3, ge=0, le=20)  # Celery: a job that raises is retried ...
    retry_backoff_seconds: float = Field(10.0, gt=0)  # ... after 10 s, 20 s, 40 s ...
    retry_backoff_max_seconds: float = Field(600.0, gt=0)
    soft_time_limit_seconds: int = Field(3300, ge=1)  # Celery: the job is asked to stop
    time_limit_seconds: int = Field(3600, ge=1)  # Celery: the worker child is killed
    # The tenant (slug) whose staff run the platform and see every run's summary, error and
    # log at /admin/jobs. Unset: the only tenant, while there is one.
    operator_tenant: str | None = None
    log_lines: int = Field(200, ge=0, le=5000)  # log lines kept with each run


class PaymentsSettings(BaseModel):
    """Payment gateways (DOTMAC_PAYMENTS__*); each tenant's keys are kept in its settings."""

    # Stripe's API address; unset: Stripe's own. Set only to run against a stand-in.
    stripe_api_base: str | None = None
    # GoCardless's API address; unset: the account's environment (sandbox or live).
    gocardless_api_base: str | None = None
    gateway_timeout_seconds: float = Field(20.0, gt=0)
    # autopay tries a due invoice this many days after its due date, once each; after a
    # decline on the last one the invoice is left to dunning
    autopay_retry_days: list[int] = Field(default_factory=lambda: [0, 3, 7],
                                          min_length=1, max_length=10)

    @field_validator("autopay_retry_days")
    @classmethod
    def _increasing(cls, days: list[int]) -> list[int]:
        if days[0] < 0 or any(b <= a for a, b in pairwise(days)):
            raise ValueError("autopay_retry_days: increasing days from 0 on")
        return days


class Settings(BaseSettings):
    """Everything the platform reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="DOTMAC_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    database_url: str = "sqlite:///./var/dotmac.db"
    database_echo: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    # API processes `serve` starts on its port (DOTMAC_WEB_CONCURRENCY); jobs and RADIUS run
    # once, in the process that supervises them.
    web_concurrency: int = Field(1, ge=1, le=64)
    public_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    log_json: bool = True
    # Traces over OTLP: the collector's base URL (http://collector:4318) for http/protobuf,
    # or its gRPC address (http://collector:4317 in plain text). Unset: the standard
    # OTEL_EXPORTER_OTLP_* variables, if any, else no tracing.
    otlp_endpoint: str | None = None
    otlp_protocol: Literal["http/protobuf", "grpc"] | None = None  # else OTEL_*, http/protobuf
    otlp_timeout_seconds: float = Field(10.0, gt=0)
    # Share of new traces kept (0-1); a trace started upstream follows the caller's decision.
    # Unset: OTEL_TRACES_SAMPLER, else every trace.
    trace_sample_ratio: float | None = Field(None, ge=0, le=1)
    # Celery's broker (e.g. redis://127.0.0.1:6379/0). Set: jobs run on Celery workers and
    # beat, and `serve` runs no scheduler of its own.
    broker_url: str | None = None
    # Redis for cross-process notifications (RADIUS policy changes); unset: none
    redis_url: str | None = None
    service_name: str = "dotmac-isp"  # each process reports as <name>-api, -worker, -radius ...
    # Send the page session cookie over HTTPS only. Unset: on, except in development and test.
    session_cookie_secure: bool | None = None
    radius: RadiusSettings = Field(default_factory=RadiusSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    ipam: IPAMSettings = Field(default_factory=IPAMSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    topology: TopologySettings = Field(default_factory=TopologySettings)
    map: MapSettings = Field(default_factory=MapSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    payments: PaymentsSettings = Field(default_factory=PaymentsSettings)
    sales: SalesSettings = Field(default_factory=SalesSettings)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production":
            key = self.secret_key.get_secret_value()
            if key == DEFAULT_SECRET_KEY or len(key) < 32:
                raise ValueError(
                    "DOTMAC_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production"
                )
        return self

    @property
    def secure_cookies(self) -> bool:
        """Whether the session cookie carries the Secure flag."""
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.environment not in INSECURE_COOKIE_ENVIRONMENTS

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
