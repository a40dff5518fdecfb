"""The production stack's files, written from the definitions (``swarmscope stack export``).

Prometheus scrape config and rules, Alertmanager routing, Grafana dashboards, the
OpenTelemetry Collector, log shipping and a compose file, with promtool unit tests.
"""
