"""The observability tier: Prometheus metrics, JSON logs and optional OpenTelemetry traces.

The API exports its metrics at `/metrics`, writes one log line per request and, when an OTLP
endpoint is set, a trace per request; batch `train` and `predict` write their metrics to a
node-exporter textfile or a Pushgateway. The core never imports this package: `extension.py` plugs
it into the seam. Its operational half (Prometheus rules, SLOs, a Grafana dashboard, a Compose
stack) is the top-level `observability/` folder.
"""

from ..errors import ProjectError


class ObservabilityError(ProjectError, ValueError):
    """A setting or an observability file is not what the tier needs; the message says why."""
