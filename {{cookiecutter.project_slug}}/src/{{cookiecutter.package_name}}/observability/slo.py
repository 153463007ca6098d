"""Prometheus rules that enforce the SLOs, generated from observability/sli_slo/slos.yaml.

For each objective: recording rules of its error ratio (the share of bad requests) over the
windows the alerts read, and the multiwindow, multi-burn-rate alerts of the Google SRE workbook
(chapter "Alerting on SLOs"). A burn rate of 1 spends the error budget (1 - target) exactly over
the SLO period; the alerts fire when both a long and a short window burn faster than:

    page     14.4x over 1h and 5m     (2% of a 30-day budget gone in an hour)
             6x    over 6h and 30m    (5% in six hours)
    ticket   3x    over 1d and 2h     (10% in a day)
             1x    over 3d and 6h     (10% in three days)

plus a plain alert when the p99 latency stays above the latency threshold for 10 minutes.
"""

from pathlib import Path

import yaml

from . import ObservabilityError
from .metrics import LATENCY_BUCKETS

BURN_ALERTS = (  # (severity, [(burn rate, long window, short window), ...])
    ("page", [(14.4, "1h", "5m"), (6, "6h", "30m")]),
    ("ticket", [(3, "1d", "2h"), (1, "3d", "6h")]),
)
RUNBOOK = "observability/sli_slo/README.md"
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
HEADER = """\
# GENERATED from observability/sli_slo/slos.yaml by `python -m {package} slo-rules`: edit that file
# and run the command again (tests/observability fails when this file and its source disagree).
"""


def read_slos(path: Path) -> dict:
    spec = yaml.safe_load(Path(path).read_text())
    try:
        objectives = spec["objectives"]
        for name in ("availability", "latency"):
            target = float(objectives[name]["target"])
            if not 0 < target < 1:
                raise ObservabilityError(f"{path}: objectives.{name}.target must be between 0 and 1, got {target}")
        threshold = float(objectives["latency"]["threshold_seconds"])
        missing = [key for key in ("job", "route") if not spec.get(key)]
        if missing:
            raise KeyError(", ".join(missing))
    except (KeyError, TypeError, ValueError) as error:
        raise ObservabilityError(f"{path}: needs job, route and objectives.availability/latency ({error})") from None
    if threshold not in LATENCY_BUCKETS:
        raise ObservabilityError(
            f"{path}: the latency threshold {threshold}s must be a bucket boundary of "
            f"http_request_duration_seconds ({', '.join(map(str, LATENCY_BUCKETS))})"
        )
    return spec


def _bound(seconds: float) -> str:
    from prometheus_client.utils import floatToGoString

    return floatToGoString(seconds)


def series(name: str, *matchers: str) -> str:
    """`name{a="1",b="2"}`, written without braces in an f-string (this file is a Jinja template)."""
    return name + "{" + ",".join(matchers) + "}"


def rate(name: str, matchers: list[str], window: str) -> str:
    return f"sum(rate({series(name, *matchers)}[{window}]))"


def error_ratio(slo: str, spec: dict, window: str) -> str:
    """The share of bad requests over `window`: server errors, or answers slower than the threshold."""
    selector = [f'job="{spec["job"]}"', f'route="{spec["route"]}"']
    if slo == "availability":
        # `or vector(0)`: before the first server error there is no 5xx series, and the ratio is 0, not empty
        bad = rate("http_requests_total", [*selector, 'status=~"5.."'], window)
        return f"({bad} or vector(0))\n/\n{rate('http_requests_total', selector, window)}"
    le = _bound(float(spec["objectives"]["latency"]["threshold_seconds"]))
    fast = rate("http_request_duration_seconds_bucket", [*selector, f'le="{le}"'], window)
    total = rate("http_request_duration_seconds_count", selector, window)
    return f"1 - (\n  {fast}\n  /\n  {total}\n)"


def rules(spec: dict) -> dict:
    records, alerts = [], []
    for slo in ("availability", "latency"):
        objective = spec["objectives"][slo]
        budget = round(1 - float(objective["target"]), 10)
        for window in WINDOWS:
            records.append(
                {
                    "record": f"slo:sli_error:ratio_rate{window}",
                    "expr": error_ratio(slo, spec, window),
                    "labels": {"slo": slo},
                }
            )
        for severity, pairs in BURN_ALERTS:
            label = f'slo="{slo}"'
            conditions = [
                f"({series(f'slo:sli_error:ratio_rate{long}', label)} > {burn * budget:.6g}"
                f" and {series(f'slo:sli_error:ratio_rate{short}', label)} > {burn * budget:.6g})"
                for burn, long, short in pairs
            ]
            speed = "Fast" if severity == "page" else "Slow"
            rates = " or ".join(f"{burn:g}x over {long}" for burn, long, _ in pairs)
            alerts.append(
                {
                    "alert": f"{slo.capitalize()}BudgetBurn{speed}",
                    "expr": "\n or ".join(conditions),
                    "labels": {"severity": severity, "slo": slo},
                    "annotations": {
                        "summary": f"The {slo} SLO ({objective['target']:.2%} of {spec['route']}) burns its error "
                        f"budget at {rates} the rate that would spend it in {spec.get('period_days', 30)} days",
                        "runbook": RUNBOOK,
                    },
                }
            )
    threshold = float(spec["objectives"]["latency"]["threshold_seconds"])
    selector = [f'job="{spec["job"]}"', f'route="{spec["route"]}"']
    buckets = series("http_request_duration_seconds_bucket", *selector)
    alerts.append(
        {
            "alert": "LatencyP99High",
            "expr": (f"histogram_quantile(0.99, sum by (le) (rate({buckets}[5m]))) > {_bound(threshold)}"),
            "for": "10m",
            "labels": {"severity": "ticket", "slo": "latency"},
            "annotations": {
                "summary": f"p99 latency of {spec['route']} above {threshold}s for 10 minutes",
                "runbook": RUNBOOK,
            },
        }
    )
    return {"groups": [{"name": "slo-records", "rules": records}, {"name": "slo-alerts", "rules": alerts}]}


class _Literal(str):
    pass


def _literal(dumper: yaml.SafeDumper, text: _Literal):
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")


def render(spec: dict, package: str) -> str:
    """The rules file's text: multi-line expressions as YAML block scalars, keys in a fixed order."""
    tree = rules(spec)
    for group in tree["groups"]:
        for rule in group["rules"]:
            if "\n" in rule["expr"]:
                rule["expr"] = _Literal(rule["expr"])
    dumper = type("Dumper", (yaml.SafeDumper,), {})
    dumper.add_representer(_Literal, _literal)
    body = yaml.dump(tree, Dumper=dumper, sort_keys=False, width=120, allow_unicode=True)
    return HEADER.format(package=package) + body
