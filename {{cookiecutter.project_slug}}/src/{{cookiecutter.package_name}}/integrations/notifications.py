"""Announcements of the seam's events: a Slack-compatible webhook and SMTP email.

Each channel retries a network error, a 5xx or a 429 with exponential backoff (honouring a
`Retry-After` up to the backoff ceiling), and every attempt has a timeout. A channel that still
fails is logged and given up: a notification never fails the job that triggered it. Secrets stay
out of logs: a webhook is shown as its host only, and messages of errors have every configured
secret masked. The webhook is posted with urllib, which logs nothing by itself (httpx would log the
full URL, token included, at INFO).
"""

import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any

from .. import PROJECT_NAME
from .settings import NotificationSettings

log = logging.getLogger(__name__)
MAX_RETRY_AFTER_S = 60.0


class Retryable(Exception):
    """A failure worth another attempt; `wait` is what the server asked for (seconds), if anything."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.wait = wait


def describe(event: str, details: Mapping[str, Any]) -> tuple[str, str]:
    """(one-line summary, body) for an event; unknown events are described by their details."""
    d = dict(details)
    if event == "training_finished":
        accuracy = d.get("best_accuracy", float("nan"))
        summary = f"training finished: best val accuracy {accuracy:.4f} after {d.get('epochs')} epochs"
    elif event == "drift_detected":
        summary = f"data drift detected in {', '.join(d.get('drifted_features') or ['?'])}"
    elif event == "validation_failed":
        summary = "data validation failed" + (f": {d['reason']}" if d.get("reason") else "")
    elif event == "model_promoted":
        summary = (
            f"model {d.get('name')}@{d.get('alias')} -> version {d.get('version')} (was {d.get('previous') or 'unset'})"
        )
    else:
        summary = event.replace("_", " ")
    body = "\n".join(f"{key}: {value}" for key, value in sorted(d.items()))
    return f"{PROJECT_NAME}: {summary}", body


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def shown_url(url: str) -> str:
    """A webhook URL as it may appear in logs: scheme and host, never the path that holds the token."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/..."


def with_retries(send: Callable[[], None], s: NotificationSettings, channel: str, secrets: list[str]) -> bool:
    """Run `send` until it succeeds or the retries are spent; True if it got through."""
    for attempt in range(s.retries + 1):
        try:
            send()
            if attempt:
                log.info("%s: delivered on attempt %d", channel, attempt + 1)
            return True
        except Retryable as error:
            reason, wait = redact(str(error), secrets), error.wait
        except Exception as error:  # anything else will not get better by trying again
            log.warning(
                "%s: notification not sent (%s: %s)", channel, type(error).__name__, redact(str(error), secrets)
            )
            return False
        if attempt == s.retries:
            break
        backoff = s.backoff_s * 2**attempt
        delay = min(max(wait or 0, backoff), max(backoff, MAX_RETRY_AFTER_S))
        log.info("%s: attempt %d failed (%s); retrying in %.1fs", channel, attempt + 1, reason, delay)
        time.sleep(delay)
    log.warning("%s: notification not sent after %d attempts (%s)", channel, s.retries + 1, reason)
    return False


def post_webhook(url: str, summary: str, body: str, timeout: float) -> None:
    """POST `{"text": ...}`, the payload Slack, Mattermost, Rocket.Chat and Zulip's Slack endpoint read."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("the webhook URL must be http(s)")
    payload = json.dumps({"text": f"*{summary}*\n```\n{body}\n```" if body else summary}).encode()
    request = urllib.request.Request(url, data=payload, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310
            response.read()
    except urllib.error.HTTPError as error:
        if error.code == 429 or error.code >= 500:
            retry_after = error.headers.get("Retry-After")
            wait = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
            raise Retryable(f"HTTP {error.code}", wait) from None
        raise RuntimeError(f"HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise Retryable(type(getattr(error, "reason", error)).__name__) from None


def send_email(s: NotificationSettings, summary: str, body: str) -> None:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = summary, s.email_from, ", ".join(s.email_to)
    message.set_content(body or summary)
    try:
        if s.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout_s)
        with client:
            if s.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                try:
                    client.login(s.smtp_user, s.smtp_password or "")
                except smtplib.SMTPException as error:  # wrong credentials do not get better by retrying
                    raise RuntimeError(f"login refused ({getattr(error, 'smtp_code', type(error).__name__)})") from None
            client.send_message(message)
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:  # 4xx: transient by definition
            raise Retryable(f"SMTP {error.smtp_code}") from None
        raise RuntimeError(f"SMTP {error.smtp_code}") from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as error:
        raise Retryable(type(error).__name__) from None


def notify(event: str, details: Mapping[str, Any], s: NotificationSettings | None = None) -> dict[str, bool]:
    """Announce `event` on every configured channel; {channel: delivered}. Never raises."""
    from .. import settings

    try:
        s = s or settings.load(NotificationSettings)
    except Exception as error:  # a bad setting must not fail the job either
        log.warning("notifications are misconfigured, nothing sent: %s", error)
        return {}
    if event not in s.events:
        return {}
    summary, body = describe(event, details)
    secrets = [value for value in (s.webhook_url, s.smtp_password) if value]
    results = {}
    if s.webhook_url:
        channel = f"webhook {shown_url(s.webhook_url)}"
        results["webhook"] = with_retries(
            lambda: post_webhook(s.webhook_url, summary, body, s.timeout_s), s, channel, secrets
        )
    if s.smtp_host:
        channel = f"email via {s.smtp_host}:{s.smtp_port}"
        results["email"] = with_retries(lambda: send_email(s, summary, body), s, channel, secrets)
    return results


def on_event(event: str, details: Mapping[str, Any]) -> None:
    """The seam's listener: `extensions.emit` calls it for every event."""
    try:
        notify(event, details)
    except Exception:  # notify never raises by design; this is the last line of that promise
        log.exception("notification of %s failed", event)
