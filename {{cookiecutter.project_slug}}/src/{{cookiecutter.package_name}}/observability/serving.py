"""A wrapper around the serving strategy that measures each answer: time, top-1 label, confidence.

It wraps whatever the strategy is by then (the single model, or a rollout), so the variant label
says which model answered, and the served model's `version` (a digest of its weights, the one
`/ready` reports) labels `model_info` and every request's log line.
"""

import time

import numpy as np

from ..api.serving import PRIMARY, Answer
from .metrics import CONFIDENCE_BUCKETS, LATENCY_BUCKETS, model_slots

try:
    from prometheus_client import Counter, Histogram
except ModuleNotFoundError as error:  # pragma: no cover - the message is the point
    from ..errors import ProjectError

    raise ProjectError(f"metrics need {error.name}: pip install -e '.[observability]'") from None


class InstrumentedServing:
    """The strategy it wraps, measured. Everything else is the wrapped strategy's."""

    def __init__(self, inner, tracer=None):
        self.inner = inner
        self.tracer = tracer
        self.primary = inner.primary
        self.models = inner.models
        self.versions = {id(model): model.version for model in inner.models}
        self.by_variant = {variant: self.versions[id(model)] for variant, model in model_slots(inner)}
        self.inference = Histogram(
            "model_inference_seconds",
            "Time the serving strategy took to answer, micro-batch queue included",
            ("variant",),
            buckets=LATENCY_BUCKETS,
            registry=None,
        )
        self.predictions = Counter("model_predictions", "Top-1 labels answered", ("variant", "label"), registry=None)
        self.confidence = Histogram(
            "model_prediction_confidence",
            "Top-1 probability of each answer",
            ("variant",),
            buckets=CONFIDENCE_BUCKETS,
            registry=None,
        )
        self.inference.labels(PRIMARY)
        self.confidence.labels(PRIMARY)
        for label in self.primary.class_names:  # every class from the start: rates need a zero to start from
            self.predictions.labels(PRIMARY, label)

    def predict(self, request_id: str, image: np.ndarray, top_k: int) -> Answer:
        if self.tracer is None:
            return self._measured(request_id, image, top_k)
        with self.tracer.start_as_current_span("inference", attributes={"request.id": request_id}) as span:
            answer = self._measured(request_id, image, top_k)
            span.set_attribute("model.variant", answer.variant)
            span.set_attribute("model.version", self.version_of(answer.variant) or "")
            return answer

    def _measured(self, request_id: str, image: np.ndarray, top_k: int) -> Answer:
        started = time.perf_counter()
        answer = self.inner.predict(request_id, image, top_k)
        self.inference.labels(answer.variant).observe(time.perf_counter() - started)
        if answer.predictions:
            top = answer.predictions[0]
            self.predictions.labels(answer.variant, top["label"]).inc()
            self.confidence.labels(answer.variant).observe(top["probability"])
        return answer

    def version_of(self, variant: str | None) -> str | None:
        """The version of the model that answered as `variant` (the primary's when none did)."""
        return self.by_variant.get(variant or PRIMARY, self.by_variant.get(PRIMARY))

    def collect(self):
        for metric in (self.inference, self.predictions, self.confidence):
            yield from metric.collect()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)
