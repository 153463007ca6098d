"""The backup command's settings, each default defined once (see the core's settings.py)."""

import dataclasses
from pathlib import Path

from ..settings import Settings, SettingsError, setting


@dataclasses.dataclass(frozen=True)
class BackupSettings(Settings):
    """Where archives go, what goes into them, and how many are kept."""

    destination: str = setting(
        "backups", "folder or fsspec URL (s3://bucket/backups, ...) of the archives", "BACKUP_DESTINATION"
    )
    sources: Path = setting(Path("backup/backup.yaml"), "what to archive: glob patterns by kind", "BACKUP_SOURCES")
    keep_daily: int = setting(
        7, "keep the newest archive of each of the last N days that have one", "BACKUP_KEEP_DAILY"
    )
    keep_weekly: int = setting(4, "and of each of the last N ISO weeks that have one", "BACKUP_KEEP_WEEKLY")
    verify_images: Path | None = setting(None, "images to check restored models on (default: 8 synthetic ones)")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.at_least("keep_daily", 0)
        self.at_least("keep_weekly", 0)
        if self.keep_daily + self.keep_weekly == 0:
            raise SettingsError("keep_daily and keep_weekly are both 0: retention would delete every archive")
