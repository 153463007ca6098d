"""Capacity planning: how many replicas, and which batch settings, serve a target load.

The inputs are measurements, never guesses: the JSON of `load-test` (or of `load-report`, the
summary of a Locust run), which says what one replica answers at each number of requests in
flight, and optionally the JSON of `bench`, which says what the model alone could do. The plan
shows every step of its arithmetic, so that a reader can check it and redo it with other numbers.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

from . import PerformanceError
from .settings import CapacitySettings


@dataclass(frozen=True)
class Run:
    """One measured load on one replica."""

    concurrency: int
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def read_runs(path: Path) -> list[Run]:
    """The runs of a `load-test` or `load-report` JSON file."""
    data = json.loads(Path(path).read_text())
    runs = data.get("runs") if isinstance(data, dict) else None
    if not runs:
        raise PerformanceError(f"{path}: no runs found; expected the JSON that `load-test` or `load-report` writes")
    try:
        return [
            Run(
                int(run["concurrency"]),
                float(run["throughput_rps"]),
                float(run["latency_ms"]["p50"]),
                float(run["latency_ms"]["p99"]),
                int(run.get("errors", 0)),
            )
            for run in runs
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise PerformanceError(
            f"{path}: a run lacks {error}; expected concurrency, throughput_rps, latency_ms"
        ) from None


def read_bench(path: Path) -> dict:
    data = json.loads(Path(path).read_text())
    if data.get("mode") != "predict" or "images_per_second" not in data:
        raise PerformanceError(f"{path}: expected the JSON of `bench` in predict mode (not --train)")
    return data


def next_power_of_two(value: float) -> int:
    return 1 << max(0, math.ceil(math.log2(max(value, 1))))


def plan(runs: list[Run], target: CapacitySettings, bench: dict | None = None) -> dict:
    """The plan as data: the chosen measurement, replicas, batch settings and the lines that explain them."""
    lines: list[str] = []
    good = [run for run in runs if run.p99_ms <= target.target_p99_ms and run.errors == 0]
    for run in sorted(runs, key=lambda r: r.concurrency):
        verdict = "meets" if run in good else ("has errors" if run.errors else "misses")
        lines.append(
            f"measured on 1 replica: {run.concurrency} in flight -> {run.throughput_rps:g} req/s, "
            f"p50 {run.p50_ms:g} ms, p99 {run.p99_ms:g} ms ({verdict} p99 <= {target.target_p99_ms:g} ms)"
        )
    if not good:
        fastest = min(runs, key=lambda r: r.p99_ms)
        raise PerformanceError(
            f"no measured load meets p99 <= {target.target_p99_ms:g} ms (best: {fastest.p99_ms:g} ms at "
            f"{fastest.concurrency} in flight): more replicas cannot fix a single request's latency; use a faster "
            "model, backend (quantize) or machine, or relax the target"
        )
    best = max(good, key=lambda r: r.throughput_rps)
    usable = best.throughput_rps * (1 - target.headroom)
    needed = target.target_rps / usable
    replicas = max(target.min_replicas, math.ceil(needed))
    per_replica = target.target_rps / replicas
    in_flight = per_replica * best.p50_ms / 1000
    batch = min(next_power_of_two(in_flight), best.concurrency)
    lines += [
        f"chosen: {best.concurrency} in flight, the highest throughput that meets the p99 target",
        f"usable per replica = {best.throughput_rps:g} req/s x (1 - {target.headroom:g} headroom) = {usable:.2f} req/s",
        f"replicas = max({target.min_replicas} minimum, ceil({target.target_rps:g} / {usable:.2f}) = "
        f"ceil({needed:.2f})) = {replicas}",
        f"load per replica at target = {target.target_rps:g} / {replicas} = {per_replica:.2f} req/s",
        f"requests in flight per replica (Little's law) = {per_replica:.2f} req/s x {best.p50_ms / 1000:.3f} s (p50)"
        f" = {in_flight:.2f}",
        f"max_batch_size = min(power of two >= {in_flight:.2f}, {best.concurrency} in flight measured) = {batch} "
        f"(MAX_BATCH_SIZE={batch})",
        "batch_wait_ms = 0: under load, the requests that arrive during one forward pass form the next batch; "
        "waiting would only add latency (BATCH_WAIT_MS=0)",
        f"limit in flight per replica = {best.concurrency} (load balancer or `uvicorn --limit-concurrency`): "
        "beyond what was measured, p99 is not known",
    ]
    model = None
    if bench is not None:
        model, measured = bench["images_per_second"]["model_only"], bench["settings"]
        lines.append(
            f"model ceiling (bench model_only, batch {measured['batch_size']}, {measured['backend']}): "
            f"{model:g} images/s; one replica answers {best.throughput_rps:g} req/s = "
            f"{best.throughput_rps / model:.0%} of it (the rest is HTTP, decoding and queueing)"
        )
    return {
        "target": {"rps": target.target_rps, "p99_ms": target.target_p99_ms},
        "chosen_run": vars(best),
        "headroom": target.headroom,
        "usable_rps_per_replica": round(usable, 2),
        "replicas": replicas,
        "rps_per_replica": round(per_replica, 2),
        "in_flight_per_replica": round(in_flight, 2),
        "serve": {"max_batch_size": batch, "batch_wait_ms": 0, "limit_concurrency": best.concurrency},
        "model_ceiling_images_per_second": model,
        "arithmetic": lines,
    }
