"""The API's Prometheus metrics. Their names are a contract with observability/prometheus (alert
rules, SLOs) and observability/grafana (the dashboard): a test fails when one of those uses a name
the app does not export, so rename here and there together.

    http_requests_total{method, route, status}               requests answered (route: the template)
    http_request_duration_seconds{method, route, status}     latency, from first byte in to last byte out
    http_requests_in_progress                                requests being answered now
    model_ready                                              1 once a model is loaded and answering
    model_info{model, checkpoint, version, backend, device}  what is served (1 per model)
    model_inference_seconds{variant}                         the serving strategy's answer, queue included
    model_predictions_total{variant, label}                  top-1 labels
    model_prediction_confidence{variant}                     top-1 probabilities
    model_micro_batch_size{model}                            images per shared forward pass
    model_micro_batch_queue_depth{model}                     requests waiting for a batch
    model_drift_detected, model_drift_psi{feature}, model_drift_ks_statistic{feature},
    model_drift_feature_drifted{feature}, model_drift_report_timestamp_seconds
                                                             the latest `drift` report, when there is one
    process_*, python_*                                      the process (CPU, memory, file descriptors, GC)

One registry per app (not the library's global one), so tests and tools can build several apps.
"""

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, InfoMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

log = logging.getLogger(__name__)

# Request latency and inference time, in seconds. 0.5 is the latency SLO's threshold
# (observability/sli_slo/slos.yaml): an SLO threshold must be a bucket boundary.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
UNMATCHED = "unmatched"  # the route label of requests no route matched (never the raw path: unbounded)


class ApiMetrics:
    """The HTTP metrics the middleware records, and the collectors that read the app's state."""

    def __init__(self, serving: Callable[[], object | None], drift_report: Path, checkpoint: str):
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        labels = ("method", "route", "status")
        self.requests = Counter("http_requests", "HTTP requests answered", labels, registry=self.registry)
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency in seconds",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_progress = Gauge("http_requests_in_progress", "HTTP requests being answered", registry=self.registry)
        self.registry.register(ServingCollector(serving, checkpoint))
        self.registry.register(DriftCollector(drift_report))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)


def model_slots(serving) -> Iterator[tuple[str, object]]:
    """("primary", model), then ("candidate", model) for any other model the strategy runs."""
    yield "primary", serving.primary
    for model in serving.models:
        if model is not serving.primary:
            yield "candidate", model


class ServingCollector:
    """Reads the serving strategy at scrape time: readiness, what is served, micro-batching, and
    the answers the instrumented strategy counted."""

    def __init__(self, serving: Callable[[], object | None], checkpoint: str):
        self.serving = serving
        self.checkpoint = checkpoint

    def describe(self):
        return []  # families depend on what is loaded: collected, not declared

    def collect(self):
        serving = self.serving()
        yield GaugeMetricFamily(
            "model_ready", "1 once a model is loaded and answering", value=0 if serving is None else 1
        )
        if serving is None:
            return
        versions = getattr(serving, "versions", {})
        info = InfoMetricFamily("model", "The models being served", labels=("model",))
        sizes = HistogramMetricFamily("model_micro_batch_size", "Images per shared forward pass", labels=("model",))
        depth = GaugeMetricFamily("model_micro_batch_queue_depth", "Requests waiting for a batch", labels=("model",))
        batching = False
        for slot, model in model_slots(serving):
            details = {
                "checkpoint": self.checkpoint if slot == "primary" else "",
                "version": versions.get(id(model), ""),
                "backend": model.backend,
                "device": str(model.device),
            }
            info.add_metric([slot], details)
            batcher = model.batcher
            if batcher is not None:
                batching = True
                counts = dict(batcher.batch_sizes)  # a copy: the batcher's thread keeps counting
                cumulative = [(str(float(b)), sum(n for size, n in counts.items() if size <= b)) for b in BATCH_BUCKETS]
                cumulative.append(("+Inf", sum(counts.values())))
                sizes.add_metric([slot], cumulative, sum(size * n for size, n in counts.items()))
                depth.add_metric([slot], batcher.queue_depth)
        yield info
        if batching:
            yield sizes
            yield depth
        collect = getattr(serving, "collect", None)
        if collect is not None:
            yield from collect()


class DriftCollector:
    """The latest drift report (the mlops tier's `drift --out`), read at scrape time when it exists."""

    def __init__(self, report: Path):
        self.report = Path(report)

    def describe(self):
        return []

    def collect(self):
        try:
            stamp = self.report.stat().st_mtime
            report = json.loads(self.report.read_text())
            features = report["features"]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("drift report %s is unreadable: %s", self.report, error)
            return
        yield GaugeMetricFamily(
            "model_drift_detected", "1 when the latest drift report found drift", value=int(bool(report.get("drift")))
        )
        yield GaugeMetricFamily(
            "model_drift_report_timestamp_seconds", "When the drift report was written", value=stamp
        )
        psi = GaugeMetricFamily("model_drift_psi", "Population stability index per feature", labels=("feature",))
        ks = GaugeMetricFamily(
            "model_drift_ks_statistic", "Kolmogorov-Smirnov statistic per feature", labels=("feature",)
        )
        drifted = GaugeMetricFamily("model_drift_feature_drifted", "1 when the feature drifted", labels=("feature",))
        for name, result in sorted(features.items()):
            psi.add_metric([name], float(result["psi"]))
            ks.add_metric([name], float(result["ks_statistic"]))
            drifted.add_metric([name], int(bool(result["drift"])))
        yield from (psi, ks, drifted)
