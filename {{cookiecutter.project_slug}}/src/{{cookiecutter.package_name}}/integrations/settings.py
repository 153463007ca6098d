"""The integrations tier's settings, each default defined once (see the core's settings.py).

Secrets (the webhook URL, which holds its token; the SMTP password; the LLM's API key) come from
environment variables only and are never logged.
"""

import dataclasses

from ..settings import Settings, SettingsError, setting

EVENTS = ("training_finished", "drift_detected", "validation_failed", "model_promoted")
SMTP_SECURITY = ("starttls", "ssl", "none")


@dataclasses.dataclass(frozen=True)
class NotificationSettings(Settings):
    """Where the seam's events are announced: a Slack-compatible webhook and/or email. Both off by default."""

    webhook_url: str | None = setting(None, "Slack-compatible incoming webhook URL (a secret)", "NOTIFY_WEBHOOK_URL")
    smtp_host: str | None = setting(None, "SMTP server for email notifications", "NOTIFY_SMTP_HOST")
    smtp_port: int = setting(587, "SMTP port", "NOTIFY_SMTP_PORT")
    smtp_security: str = setting(
        "starttls", "starttls, ssl (implicit TLS) or none", "NOTIFY_SMTP_SECURITY", SMTP_SECURITY
    )
    smtp_user: str | None = setting(None, "SMTP login user", "NOTIFY_SMTP_USER")
    smtp_password: str | None = setting(None, "SMTP login password (a secret)", "NOTIFY_SMTP_PASSWORD")
    email_from: str | None = setting(None, "sender address", "NOTIFY_EMAIL_FROM")
    email_to: tuple[str, ...] = setting((), "recipient addresses, comma-separated", "NOTIFY_EMAIL_TO")
    events: tuple[str, ...] = setting(EVENTS, "the events announced, comma-separated", "NOTIFY_EVENTS")
    timeout_s: float = setting(10.0, "seconds each attempt may take", "NOTIFY_TIMEOUT_S")
    retries: int = setting(3, "attempts after the first, on a network error, a 5xx or a 429", "NOTIFY_RETRIES")
    backoff_s: float = setting(1.0, "wait before the first retry, doubled each time", "NOTIFY_BACKOFF_S")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("retries", 0)
        self.at_least("backoff_s", 0)
        if self.timeout_s <= 0:
            raise SettingsError(f"timeout_s={self.timeout_s} must be above 0")
        if self.smtp_host and not (self.email_from and self.email_to):
            raise SettingsError(
                "email notifications need NOTIFY_EMAIL_FROM and NOTIFY_EMAIL_TO beside NOTIFY_SMTP_HOST"
            )


@dataclasses.dataclass(frozen=True)
class StorageSettings(Settings):
    """Object storage: the endpoint of an S3-compatible service other than AWS (MinIO, Ceph, ...)."""

    s3_endpoint_url: str | None = setting(None, "S3 endpoint URL; AWS when unset", "S3_ENDPOINT_URL")


@dataclasses.dataclass(frozen=True)
class LabellingSettings(Settings):
    """`suggest-labels`: a vision-capable LLM proposes labels for the images the model is least sure of."""

    enabled: bool = setting(
        False, "allow calls to the LLM (off by default: they cost money and send images out)", "LLM_LABELLING"
    )
    base_url: str | None = setting(None, "OpenAI-compatible API base URL; OpenAI's when unset", "OPENAI_BASE_URL")
    model: str = setting("gpt-4o-mini", "a vision-capable chat model", "LLM_MODEL")
    images: int = setting(20, "how many of the least-sure images to ask about")
    max_cost_usd: float = setting(1.0, "stop asking once the estimated cost reaches this", "LLM_MAX_COST_USD")
    timeout_s: float = setting(30.0, "seconds each attempt may take", "LLM_TIMEOUT_S")
    retries: int = setting(3, "attempts after the first, on a network error, 408/409/429 or 5xx", "LLM_RETRIES")
    image_side: int = setting(512, "longest side, in pixels, of the image sent (smaller costs fewer tokens)")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("images", 1)
        self.at_least("retries", 0)
        self.at_least("image_side", 32)
        if self.timeout_s <= 0 or self.max_cost_usd <= 0:
            raise SettingsError("timeout_s and max_cost_usd must be above 0")
