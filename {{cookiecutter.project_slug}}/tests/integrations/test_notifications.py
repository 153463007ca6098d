"""Notifications: a Slack-compatible webhook and SMTP email, against local servers the tests start;
retries with backoff, timeouts, no secret in the logs, and never a failed job."""

import json
import logging
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from {{ cookiecutter.package_name }} import extensions
from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.integrations.notifications import notify
from {{ cookiecutter.package_name }}.integrations.settings import NotificationSettings

TOKEN = "T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX"  # pragma: allowlist secret
PASSWORD = "smtp-secret-pa55"  # pragma: allowlist secret


def webhook(url: str, **extra) -> NotificationSettings:
    return NotificationSettings(webhook_url=f"{url}/services/{TOKEN}", backoff_s=0.01, timeout_s=2, **extra)


def test_a_finished_training_run_is_posted_to_the_webhook_as_slack_text(recorder):
    assert notify("training_finished", {"best_accuracy": 0.9375, "epochs": 6, "output_dir": "models/run"},
                  webhook(recorder.url)) == {"webhook": True}  # fmt: skip
    [request] = recorder.requests
    assert request["path"] == f"/services/{TOKEN}"
    text = json.loads(request["body"])["text"]
    assert "training finished: best val accuracy 0.9375 after 6 epochs" in text and "models/run" in text


def test_server_errors_are_retried_with_backoff_until_delivered(recorder, caplog):
    recorder.script = [(500, {}, {}, 0), (429, {}, {"Retry-After": "0"}, 0)]
    caplog.set_level(logging.DEBUG)
    assert notify("model_promoted", {"name": "shapes", "alias": "production", "version": "3"}, webhook(recorder.url))
    assert len(recorder.requests) == 3
    assert "delivered on attempt 3" in caplog.text


def test_a_client_error_is_not_retried_and_the_job_goes_on(recorder):
    recorder.script = [(404, {}, {}, 0)]
    assert notify("drift_detected", {"drifted_features": ["brightness"]}, webhook(recorder.url)) == {"webhook": False}
    assert len(recorder.requests) == 1


def test_a_hanging_webhook_is_given_up_after_its_timeouts(recorder):
    recorder.default = (200, {}, {}, 3.0)
    started = time.monotonic()
    settings = NotificationSettings(webhook_url=f"{recorder.url}/hook", timeout_s=0.3, retries=1, backoff_s=0.01)
    assert notify("training_finished", {"best_accuracy": 0.5, "epochs": 1}, settings) == {"webhook": False}
    assert time.monotonic() - started < 2.5, "two attempts of 0.3 s, not the server's 3 s each"


def test_an_unreachable_webhook_never_fails_the_job_and_its_token_stays_out_of_the_logs(caplog, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", f"{closed}/services/{TOKEN}")
    monkeypatch.setenv("NOTIFY_RETRIES", "1")
    monkeypatch.setenv("NOTIFY_BACKOFF_S", "0")
    extensions.emit("training_finished", best_accuracy=0.5, epochs=1, output_dir="x")  # returns normally
    assert "notification not sent after 2 attempts" in caplog.text
    assert TOKEN not in caplog.text and "/services/" not in caplog.text


def test_events_not_chosen_and_unknown_events_are_not_announced(recorder):
    chosen = webhook(recorder.url, events=("model_promoted",))
    assert notify("training_finished", {"best_accuracy": 1.0, "epochs": 1}, chosen) == {}
    assert recorder.requests == []


def test_the_seam_announces_emitted_events_from_the_environment(recorder, monkeypatch):
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", f"{recorder.url}/services/{TOKEN}")
    extensions.emit("validation_failed", reason="3 corrupt images", dataset="data/raw")
    [request] = recorder.requests
    assert "data validation failed: 3 corrupt images" in json.loads(request["body"])["text"]


class Inbox:
    def __init__(self, fail_first: int = 0):
        self.messages, self.fail_first = [], fail_first

    async def handle_DATA(self, server, session, envelope):
        if self.fail_first:
            self.fail_first -= 1
            return "451 Requested action aborted: try again later"
        self.messages.append(envelope)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"alerts" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server():
    def start(inbox: Inbox) -> Controller:
        with socket.socket() as probe:  # the controller checks its own port, so it cannot take port 0
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticate,
                                auth_require_tls=False)  # fmt: skip
        controller.start()
        started.append(controller)
        return controller

    started = []
    yield start
    for controller in started:
        controller.stop()


def email(controller: Controller, password: str = PASSWORD) -> NotificationSettings:
    return NotificationSettings(
        smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none",
        smtp_user="alerts", smtp_password=password, email_from="ml@example.com", email_to=("team@example.com",),
        backoff_s=0.01, timeout_s=5,
    )  # fmt: skip


def test_an_email_is_sent_through_smtp_with_login(smtp_server):
    inbox = Inbox()
    controller = smtp_server(inbox)
    assert notify("model_promoted", {"name": "shapes", "alias": "production", "version": "4", "previous": "3"},
                  email(controller)) == {"email": True}  # fmt: skip
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == ["team@example.com"]
    content = envelope.content.decode()
    assert "shapes@production -> version 4 (was 3)" in content and "previous: 3" in content


def test_a_transient_smtp_refusal_is_retried(smtp_server):
    inbox = Inbox(fail_first=1)
    assert notify("drift_detected", {"drifted_features": ["width"]}, email(smtp_server(inbox))) == {"email": True}
    assert len(inbox.messages) == 1


def test_a_refused_login_gives_up_at_once_and_the_password_stays_out_of_the_logs(smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    inbox = Inbox()
    wrong = "wrong-" + PASSWORD
    assert notify("training_finished", {"best_accuracy": 0.1, "epochs": 1}, email(smtp_server(inbox), wrong)) == {
        "email": False
    }
    assert inbox.messages == [] and "login refused" in caplog.text
    assert PASSWORD not in caplog.text


def test_the_notify_command_sends_a_test_announcement(recorder, monkeypatch, capsys):
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", f"{recorder.url}/hook")
    main(["notify", "model_promoted", "--detail", "name=shapes", "--detail", "alias=staging", "--detail", "version=2"])
    assert json.loads(capsys.readouterr().out) == {"webhook": True}
    assert "shapes@staging -> version 2" in json.loads(recorder.requests[0]["body"])["text"]


def test_the_notify_command_says_when_nothing_is_configured(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["notify"])
    assert stopped.value.code == 2 and "no channel configured" in capsys.readouterr().err
