"""`load-report`: a Locust run's CSV statistics as p50/p95/p99 latency and requests per second.

Locust writes `<prefix>_stats.csv` (one row per request name and an `Aggregated` row) when run
with `--csv <prefix>`. The summary keeps the shape of `load-test`'s JSON (`runs` with
`throughput_rps` and `latency_ms`), so that `capacity` reads either. Locust users think between
requests, so the requests in flight are not the user count: the summary's `concurrency` is the
mean in flight by Little's law, requests/s x mean latency, rounded up.
"""

import csv
import math
from pathlib import Path

from . import PerformanceError

AGGREGATED = "Aggregated"


def _number(row: dict, column: str) -> float | None:
    """The cell as a number; None where Locust writes N/A (no request of that name)."""
    value = row.get(column, "")
    if value in ("N/A", ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise PerformanceError(f"column {column!r} holds {value!r}, not a number: not a Locust stats file") from None


def stats_file(prefix: Path) -> Path:
    path = Path(f"{prefix}_stats.csv")
    if not path.is_file():
        raise PerformanceError(f"{path} not found: run locust with --csv {prefix}")
    return path


def summarize(prefix: Path) -> dict:
    """p50/p95/p99/max latency (ms), requests/s and failures, per request name and over all of them."""
    with stats_file(prefix).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise PerformanceError(f"{stats_file(prefix)} holds no rows: the run sent no request")

    def entry(row: dict) -> dict:
        count, failures = int(_number(row, "Request Count") or 0), int(_number(row, "Failure Count") or 0)
        return {
            "requests": count,
            "failures": failures,
            "failure_share": round(failures / count, 4) if count else 0.0,
            "throughput_rps": round(_number(row, "Requests/s") or 0.0, 2),
            "latency_ms": {
                "p50": _number(row, "50%"),
                "p95": _number(row, "95%"),
                "p99": _number(row, "99%"),
                "max": _number(row, "Max Response Time"),
            },
        }

    by_name = {f"{row['Type']} {row['Name']}".strip(): entry(row) for row in rows if row["Name"] != AGGREGATED}
    [total] = [entry(row) for row in rows if row["Name"] == AGGREGATED] or [None]
    if total is None:
        raise PerformanceError(f"{stats_file(prefix)} has no {AGGREGATED} row: not a Locust stats file")
    [aggregated] = [row for row in rows if row["Name"] == AGGREGATED]
    in_flight = total["throughput_rps"] * (_number(aggregated, "Average Response Time") or 0) / 1000
    run = {"concurrency": max(1, math.ceil(in_flight)), "errors": total["failures"], **total}
    return {"source": str(stats_file(prefix)), "runs": [run], "requests_by_name": by_name}
