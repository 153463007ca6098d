"""Which archives to keep: the newest of each of the last N days, and of each of the last M ISO
weeks, that have a backup (grandfather-father-son). The newest archive is always kept."""

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

STAMP = "%Y%m%dT%H%M%SZ"
UTC = timezone(timedelta(0))  # datetime.UTC is Python 3.11+
ARCHIVE = re.compile(r"^(?P<prefix>.+)-backup-(?P<stamp>\d{8}T\d{6}Z)\.tar\.gz$")


def archive_name(prefix: str, when: datetime) -> str:
    return f"{prefix}-backup-{when.astimezone(UTC).strftime(STAMP)}.tar.gz"


def archive_time(name: str) -> datetime | None:
    match = ARCHIVE.match(name)
    if not match:
        return None
    return datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)


def select_kept(times: Iterable[datetime], daily: int, weekly: int) -> set[datetime]:
    """The backup times to keep of `times`."""
    newest_first = sorted(set(times), reverse=True)
    kept: set[datetime] = set(newest_first[:1])
    for key, count in ((lambda t: t.date(), daily), (lambda t: t.isocalendar()[:2], weekly)):
        periods: dict = {}
        for when in newest_first:
            periods.setdefault(key(when), when)  # the newest of its day (week)
        kept.update(list(periods.values())[:count])
    return kept


def archives_to_delete(names: Iterable[str], daily: int, weekly: int) -> list[str]:
    """Archive names (and their checksum files) that retention removes; other files are never touched."""
    archives = {name: archive_time(name) for name in names if archive_time(name) is not None}
    kept = select_kept(archives.values(), daily, weekly)
    doomed = sorted(name for name, when in archives.items() if when not in kept)
    return [file for name in doomed for file in (name, f"{name}.sha256")]
