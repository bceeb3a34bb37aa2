"""The monitor behind ``corpus serve``: Prometheus metrics, probes, a JSON API and the dashboard."""
