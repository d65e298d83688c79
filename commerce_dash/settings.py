"""One settings object for the app, Alembic, the jobs and the CLI.

Values come from environment variables (prefix ``COMMERCE_``; ``DATABASE_URL`` is also read
as is) or from a ``.env`` file in the working directory. Secrets are ``SecretStr`` so they never
appear in logs or reprs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Values that mark a secret as "not really set"; production refuses to start with them.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "dev-secret-change-me", "changeme", "secret"})


class ConfigurationError(RuntimeError):
    """The settings cannot be used in the current environment."""


class Settings(BaseSettings):
    """Application settings. Every field is documented in README.md."""

    model_config = SettingsConfigDict(
        env_prefix="COMMERCE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'commerce_dash.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "COMMERCE_DATABASE_URL"),
    )
    sql_echo: bool = False
    secret_key: SecretStr = SecretStr("dev-secret-change-me")
    public_url: str = "http://127.0.0.1:3000"

    # Money and locale
    settlement_currency: str = "USD"
    default_locale: str = "en_US"
    display_timezone: str = "UTC"

    # Accounts
    session_ttl_hours: int = Field(default=24 * 7, ge=1)
    # a session unused this long ends (admins' sooner); use is noted at most every 5 minutes
    session_idle_minutes: int = Field(default=12 * 60, ge=10)
    admin_session_idle_minutes: int = Field(default=30, ge=10)
    # a session works only from the browser (User-Agent) that opened it; binding it to the
    # address too breaks on mobile networks, so that one is off unless asked for
    session_bind_user_agent: bool = True
    session_bind_client_ip: bool = False
    # admin roles act only in sessions that passed a second factor (TOTP or a recovery code)
    require_second_factor_for_admins: bool = False
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=20, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    # an account's attempts from addresses it never signed in from wait 1, 2, 4 ... seconds
    # past its free failures, at most this long (its known addresses never wait)
    login_max_delay_seconds: int = Field(default=60, ge=1)
    # failed sign-ins a minute across every account before unknown addresses must wait
    login_global_failures_per_minute: int = Field(default=300, ge=1)
    register_per_client_per_hour: int = Field(default=10, ge=1)
    # reverse proxies in front of the app (each appends to X-Forwarded-For): the client is
    # the entry the outermost one wrote; 0 ignores the header (it is the client's own)
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)
    password_min_length: int = Field(default=8, ge=6)
    # argon2id cost; tests lower it to stay fast, production keeps the library defaults.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost_kib: int = Field(default=65536, ge=8)

    # Outbox and jobs
    outbox_max_attempts: int = Field(default=8, ge=1, le=50)
    outbox_backoff_base_seconds: int = Field(default=30, ge=1)
    outbox_batch_size: int = Field(default=50, ge=1, le=1000)
    outbox_lease_seconds: int = Field(default=60, ge=5)
    scheduler_enabled: bool = True  # run jobs inside the app process
    job_lease_seconds: int = Field(default=300, ge=5)

    # Email
    email_provider: Literal["smtp", "file", "sendgrid"] = "file"
    email_from: str = "Commerce Dash <no-reply@example.com>"
    email_file_dir: str = str(PROJECT_ROOT / "var" / "mail")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: int = 20
    sendgrid_api_key: SecretStr = SecretStr("")
    sendgrid_api_host: str = ""  # empty: the client's default

    # Outbound webhooks
    webhook_timeout_seconds: int = 10

    # Cart and checkout
    cart_ttl_hours: int = Field(default=72, ge=1)
    # a signed-in learner's cart left this long untouched gets one reminder email (0: never)
    cart_reminder_after_hours: int = Field(default=24, ge=0, le=720)
    price_lock_minutes: int = Field(default=30, ge=1)
    display_currencies: str = "USD,EUR,GBP,JPY,CAD"  # offered to learners (need an FX rate)
    checkout_rate_limit_per_minute: int = Field(default=20, ge=1)
    payment_rate_limit_per_minute: int = Field(default=30, ge=1)
    client_rate_limit_per_minute: int = Field(default=600, ge=1)
    code_attempts_per_minute: int = Field(default=10, ge=1)  # per client and per cart
    payment_failures_for_review: int = Field(default=5, ge=2)
    payment_failure_window_hours: int = Field(default=24, ge=1)
    # where a learner held for payment review writes to have the hold looked at ("": the
    # message says only that the billing team lifts it)
    payment_review_contact: str = Field(default="", max_length=254)
    payment_janitor_after_minutes: int = Field(default=15, ge=1)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)

    # Revenue: the card fee recorded in the ledger (processors here report none), and the
    # payout platform that receives payment.completed / refund.issued (empty: not sent).
    processor_fee_bps: int = Field(default=290, ge=0, le=10_000)
    processor_fee_fixed: int = Field(default=30, ge=0)
    # Processors that keep their fee when a payment is refunded (each publishes so: Stripe
    # since 2017, Razorpay, Square since 2023, Elavon): a refund's ledger reversal gives no
    # fee back and the platform bears it. The sandbox gives it back, as processors once did.
    refund_fee_kept_by: list[str] = ["stripe", "razorpay", "square", "elavon"]
    payout_webhook_url: str = ""
    payout_connector_key: str = ""
    refund_retry_after_minutes: int = Field(default=5, ge=1)

    # Certificates: public verification lookups per client address per minute.
    verify_rate_limit_per_minute: int = Field(default=30, ge=1)

    # Payment processors: "auto" picks stripe when a secret key is set, else the sandbox.
    payment_processor: Literal["auto", "stripe", "sandbox", "razorpay", "square",
                               "elavon"] = "auto"
    # Per department code, e.g. {"ENG": "stripe", "ART": "razorpay"} (JSON in the env var).
    processor_by_department: dict[str, Literal["stripe", "sandbox", "razorpay", "square",
                                               "elavon"]] = {}
    stripe_secret_key: SecretStr = SecretStr("")
    stripe_publishable_key: str = ""
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_api_base: str = ""  # empty: the SDK's default; tests point it at localstripe
    stripe_js_url: str = "https://js.stripe.com/v3/"
    sandbox_webhook_secret: SecretStr = SecretStr("")  # empty: derived from secret_key
    # Razorpay (cards, UPI, net banking, wallets; INR in paise): the key id is public (the
    # checkout page hands it to Razorpay Checkout), the key secret signs API calls and the
    # checkout handler's signature, the webhook secret the webhooks' X-Razorpay-Signature.
    razorpay_key_id: str = ""
    razorpay_key_secret: SecretStr = SecretStr("")
    razorpay_webhook_secret: SecretStr = SecretStr("")
    razorpay_api_base: str = ""  # empty: the SDK's default; tests point it at a loopback fake
    razorpay_checkout_js_url: str = "https://checkout.razorpay.com/v1/checkout.js"
    # Square (cards and Google Pay through the Web Payments SDK; Apple Pay where the page is
    # served over HTTPS on a domain verified with Square): the access token signs API calls,
    # the application and location ids are public (the page hands them to the SDK), the
    # webhook signature key checks x-square-hmacsha256-signature over the notification URL
    # (empty: this app's webhook route under COMMERCE_PUBLIC_URL) and the body. The API base
    # is Square's production host unless set (https://connect.squareupsandbox.com: sandbox).
    square_access_token: SecretStr = SecretStr("")
    square_location_id: str = ""
    square_application_id: str = ""
    square_webhook_signature_key: SecretStr = SecretStr("")
    square_webhook_url: str = ""
    square_api_base: str = ""
    square_web_sdk_url: str = "https://web.squarecdn.com/v1/square.js"
    # Elavon Converge (Lightbox hosted payments): merchant id, user id and PIN of the API
    # user; the host is https://api.demo.convergepay.com for the demo environment.
    elavon_merchant_id: str = ""
    elavon_user_id: str = ""
    elavon_pin: SecretStr = SecretStr("")
    elavon_api_host: str = "https://api.convergepay.com"

    # Subscriptions: after a failed renewal the learner keeps access for the grace period
    # while the processor retries on these days after the failure; then access is
    # suspended and the subscription cancelled. Cancelling at once gives back the unused
    # part of the paid period only when refunds on cancel are allowed: ``queue`` opens a
    # refund request for a billing admin, ``off`` gives nothing back.
    subscription_grace_days: int = Field(default=7, ge=0, le=60)
    subscription_retry_days: list[int] = [1, 3, 5]
    subscription_cancel_refund: Literal["queue", "off"] = "queue"
    # days before a trial ends when the learner is reminded
    subscription_trial_reminder_days: int = Field(default=3, ge=0, le=30)
    # Live sessions: a booking cancelled at least this many hours before the start gives its
    # credit back; later, the credit is spent. A freed seat goes to the first learner on
    # the waitlist at once (0) or as an offer they accept within this many hours.
    booking_cancel_cutoff_hours: int = Field(default=24, ge=0, le=720)
    waitlist_offer_hours: int = Field(default=0, ge=0, le=168)
    # how long before a session its reminder email goes out
    session_reminder_hours: int = Field(default=24, ge=1, le=168)

    # Tax: the manual rate table by default, or TaxJar.
    tax_provider: Literal["manual", "taxjar"] = "manual"
    taxjar_api_key: SecretStr = SecretStr("")
    taxjar_api_url: str = ""  # empty: the client's default
    taxjar_from_country: str = "US"
    taxjar_from_zip: str = ""
    taxjar_from_state: str = ""

    # LMS connector: with both set, approval sends an enrollment request to the LMS (signed
    # with the connector's secret) and the enrollment stays pending until the LMS answers.
    lms_enrollment_url: str = ""
    lms_connector_key: str = ""
    # When the LMS refuses a paid enrollment: ``queue`` opens a refund request for a billing
    # admin to approve (ADR-001), ``auto`` pays it back at once.
    lms_rejection_refund: Literal["queue", "auto"] = "queue"
    # When an enrollment admin rejects a paid registration (US-024): ``queue`` opens a
    # refund request for a billing admin to approve, ``automatic`` pays it back at once.
    refund_on_reject: Literal["queue", "automatic"] = "queue"
    # Four-eyes on refunds a billing admin asks for: True, another billing admin (or a
    # super-admin) must approve them, so the one-call refund API
    # (POST /api/v2/admin/payments/{id}/refund) only opens the request; False, that call
    # asks and approves at once (both audited). Nobody ever decides a refund on their own order.
    refund_four_eyes: bool = True

    # HTTP hardening: request body limits in bytes (a larger body is refused with 413 before
    # more than the limit is read), and how long browsers must keep to HTTPS (HSTS, sent in
    # production only). CORS and the Content-Security-Policy follow public_url and
    # stripe_js_url.
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_image_bytes: int = Field(default=2_000_000, ge=1024, le=50_000_000)
    max_connector_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    hsts_max_age_seconds: int = Field(default=31_536_000, ge=0)
    # the interactive API docs and the OpenAPI document: on by default outside production,
    # off in production unless asked for (they map every route for whoever asks)
    api_docs: bool | None = None

    # Observability (issue 20): GET /metrics (Prometheus text) answers a caller with
    # "Authorization: Bearer <metrics_token>"; with no token set, only a caller on this
    # machine (a loopback address, no proxy's forwarding header) gets an answer, others a 404.
    # Production refuses a token shorter than 32 characters. Logs are JSON lines (with the
    # request id) or plain text; "auto" is JSON in production, text elsewhere.
    metrics_token: SecretStr = SecretStr("")
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # The funnel (issue 20): course page views and cart adds are added up in each process's
    # memory (no write per view) and flushed every funnel_flush_seconds (0: only by the
    # funnel_flush job and at exit) into the database, or, with a Redis URL
    # (redis://host:6379/0), into a Redis hash per day that the funnel_flush job moves into
    # the database every minute.
    funnel_redis_url: SecretStr = SecretStr("")
    funnel_flush_seconds: int = Field(default=60, ge=0, le=3600)

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (self.log_format == "auto"
                                             and self.env == "production")

    @property
    def api_docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.env != "production"

    # Demo data: `make run` loads it into an empty database (seed --if-empty); production
    # refuses the command, and refuses to start while a demo account has this password.
    demo_password: SecretStr = SecretStr("demo-pass-2026")

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # The psycopg 3 driver is the one installed; accept the common spellings.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("subscription_retry_days")
    @classmethod
    def _retry_days(cls, value: list[int]) -> list[int]:
        # the sandbox retries a failed renewal on these days after the failure
        if len(value) > 10 or any(isinstance(d, bool) or not 1 <= d <= 60 for d in value):
            raise ValueError("COMMERCE_SUBSCRIPTION_RETRY_DAYS: up to 10 days, each 1 to 60")
        return sorted(set(value))

    @field_validator("settlement_currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        return value.strip().upper()

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        problems = self.unsafe_settings()
        if self.env == "production" and problems:
            raise ConfigurationError(
                "Production refuses to start with unsafe settings:\n- " + "\n- ".join(problems))
        return self

    def unsafe_settings(self) -> list[str]:
        """What production refuses, each naming its setting (development only warns of the
        Stripe webhook secret, see :meth:`warnings`)."""
        problems: list[str] = []
        secret = self.secret_key.get_secret_value()
        if secret in PLACEHOLDER_SECRETS or len(secret) < 32:
            problems.append("COMMERCE_SECRET_KEY must be set to a random value of at least 32 "
                            "characters")
        problems += self.warnings()
        stripe_key = bool(self.stripe_secret_key.get_secret_value())
        if self.payment_processor == "sandbox" or (self.payment_processor == "auto"
                                                   and not stripe_key):
            problems.append("COMMERCE_PAYMENT_PROCESSOR: the sandbox (test cards, no money) would "
                            "take every order; set COMMERCE_STRIPE_SECRET_KEY and use stripe")
        sandboxed = sorted(code for code, name in self.processor_by_department.items()
                           if name == "sandbox")
        if sandboxed:
            problems.append("COMMERCE_PROCESSOR_BY_DEPARTMENT names the sandbox for "
                            f"{', '.join(sandboxed)}: test cards would buy their courses")
        problems += self._test_mode_keys()
        if self.smtp_username and not (self.smtp_starttls or self.smtp_ssl):
            problems.append("COMMERCE_SMTP_USERNAME is set without COMMERCE_SMTP_STARTTLS or "
                            "COMMERCE_SMTP_SSL: the SMTP password would cross the network in "
                            "clear text")
        metrics_token = self.metrics_token.get_secret_value()
        if metrics_token and (metrics_token in PLACEHOLDER_SECRETS or len(metrics_token) < 32):
            problems.append("COMMERCE_METRICS_TOKEN must be a random value of at least 32 "
                            "characters (or empty: /metrics then answers only this machine)")
        if not self.public_url.startswith("https://"):
            problems.append(f"COMMERCE_PUBLIC_URL ({self.public_url}) is not https://: sign-in "
                            "cookies and links must travel encrypted")
        return problems

    def _test_mode_keys(self) -> list[str]:
        """Processors set up with test-mode keys or hosts: no real money would be taken."""
        out = []
        if self.stripe_secret_key.get_secret_value().startswith("sk_test_"):
            out.append("COMMERCE_STRIPE_SECRET_KEY is a test key (sk_test_): Stripe would take "
                       "no real money")
        if self.razorpay_key_id.startswith("rzp_test_"):
            out.append("COMMERCE_RAZORPAY_KEY_ID is a test key (rzp_test_): Razorpay would take "
                       "no real money")
        if self.square_application_id.startswith("sandbox-") or \
                "squareupsandbox" in self.square_api_base:
            out.append("COMMERCE_SQUARE_APPLICATION_ID / COMMERCE_SQUARE_API_BASE are Square's "
                       "sandbox: Square would take no real money")
        if self.elavon_merchant_id and "demo" in self.elavon_api_host:
            out.append(f"COMMERCE_ELAVON_API_HOST ({self.elavon_api_host}) is Converge's demo "
                       "environment: Elavon would take no real money")
        return out

    def warnings(self) -> list[str]:
        """Settings that work but lose something; development starts with them, logged."""
        out = []
        if self.stripe_secret_key.get_secret_value() and \
                not self.stripe_webhook_secret.get_secret_value():
            out.append("COMMERCE_STRIPE_WEBHOOK_SECRET is empty while COMMERCE_STRIPE_SECRET_KEY "
                       "is set: Stripe's webhooks are all refused, so payments complete only "
                       "when the janitor asks Stripe")
        if self.razorpay_key_secret.get_secret_value() and \
                not self.razorpay_webhook_secret.get_secret_value():
            out.append("COMMERCE_RAZORPAY_WEBHOOK_SECRET is empty while "
                       "COMMERCE_RAZORPAY_KEY_SECRET is set: Razorpay's webhooks are all "
                       "refused, so payments complete only when the page or the janitor asks "
                       "Razorpay")
        if self.square_access_token.get_secret_value() and \
                not self.square_webhook_signature_key.get_secret_value():
            out.append("COMMERCE_SQUARE_WEBHOOK_SIGNATURE_KEY is empty while "
                       "COMMERCE_SQUARE_ACCESS_TOKEN is set: Square's webhooks are all refused, "
                       "so payments complete only when the page or the janitor asks Square")
        return out

    def advice(self) -> list[str]:
        """Safer choices that are not forced (logged at start, listed by ``cli check``)."""
        out = []
        if self.env == "production" and not self.require_second_factor_for_admins:
            out.append("COMMERCE_REQUIRE_SECOND_FACTOR_FOR_ADMINS is off: an admin's password "
                       "alone opens the admin pages")
        if not self.session_bind_user_agent:
            out.append("COMMERCE_SESSION_BIND_USER_AGENT is off: a stolen session cookie "
                       "works from any browser")
        return out

    @property
    def offered_display_currencies(self) -> list[str]:
        codes = [c.strip().upper() for c in self.display_currencies.split(",") if c.strip()]
        if self.settlement_currency not in codes:
            codes.insert(0, self.settlement_currency)
        return codes

    def processor_for(self, department_code: str | None) -> str:
        """The processor configured for a department (its code), else the default."""
        if department_code and department_code in self.processor_by_department:
            return self.processor_by_department[department_code]
        if self.payment_processor != "auto":
            return self.payment_processor
        return "stripe" if self.stripe_secret_key.get_secret_value() else "sandbox"

    @property
    def lms_mode(self) -> bool:
        return bool(self.lms_enrollment_url.strip() and self.lms_connector_key.strip())

    @property
    def payout_enabled(self) -> bool:
        return bool(self.payout_webhook_url.strip() and self.payout_connector_key.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
