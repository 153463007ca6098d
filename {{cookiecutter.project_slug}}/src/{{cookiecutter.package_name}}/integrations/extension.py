"""The integrations tier's part of the seam: notifications hear every event, `s3://` checkpoint
references are downloaded, and the `notify`, `storage` and `suggest-labels` commands. Imports
nothing heavy: fsspec and openai load when they are used."""

from pathlib import Path

from ..extensions import Extension
from .commands import add_commands


def on_event(event: str, details) -> None:
    from .notifications import on_event as announce

    announce(event, details)


def resolve_s3(reference: str, workdir: Path) -> Path:
    from .storage import resolve_checkpoint

    return resolve_checkpoint(reference, workdir)


EXTENSION = Extension(
    name="integrations",
    add_commands=add_commands,
    checkpoint_resolvers={"s3://": resolve_s3},
    on_event=on_event,
    # The core's tests announce nothing and call no LLM, whatever the shell exports.
    test_environment={"NOTIFY_WEBHOOK_URL": "", "NOTIFY_SMTP_HOST": "", "LLM_LABELLING": "off"},
)
