"""``alloy/config.alloy``: Grafana Alloy tails the app's JSON log files into Loki.

For apps that log to files rather than OTLP (Promtail, the usual tool, is end of life on
2026-03-02). Pick one path per app: with both, every line reaches Loki twice.

Only bounded fields become labels (level, service); trace and agent ids go to structured
metadata, which Loki stores per line without creating a stream per id. The line's own
``timestamp`` (RFC 3339, UTC, microseconds) becomes the entry's time, so a batch written
late still lines up with its trace. The SDK also writes ``app.error.log``, a copy of the
error lines: it is excluded, or errors would be counted twice.
"""

from __future__ import annotations

LOG_DIR = "/var/log/swarmscope"
IMAGE = "grafana/alloy:v1.10.2"
CONFIG_PATH = "/etc/alloy/config.alloy"
STORAGE_PATH = "/var/lib/alloy/data"
HTTP_PORT = 12345

# What stage.json extracts: name -> JMESPath into the line ("" means the same name).
JSON_FIELDS = {
    "level": "",
    "event": "",
    "trace_id": "",
    "agent_id": "",
    "service": "",
    "timestamp": "",
}
# Loki label -> extracted field. ``service_name`` is what Loki's OTLP ingest names
# service.name, and what Grafana's trace-to-logs link filters on.
LABELS = {"level": "level", "service_name": "service"}
STRUCTURED_METADATA = {"trace_id": "trace_id", "agent_id": "agent_id"}
TIMESTAMP_FORMAT = "RFC3339Nano"
DROPPED_LEVELS = ("debug",)


def alloy_config(
    loki_push: str = "http://loki:3100/loki/api/v1/push", log_dir: str = LOG_DIR
) -> str:
    """The Alloy configuration, as Alloy syntax text."""
    drops = "\n".join(
        _block(
            "stage.drop",
            None,
            [
                'source = "level"',
                f'value = "{level}"',
                f'drop_counter_reason = "{level}_level"',
            ],
        )
        for level in DROPPED_LEVELS
    )
    stages = [
        _block("stage.json", None, [f"expressions = {_map(JSON_FIELDS)}"]),
        drops,
        _block("stage.labels", None, [f"values = {_map(LABELS)}"]),
        _block("stage.structured_metadata", None, [f"values = {_map(STRUCTURED_METADATA)}"]),
        _block(
            "stage.timestamp",
            None,
            ['source = "timestamp"', f'format = "{TIMESTAMP_FORMAT}"'],
        ),
        "forward_to = [loki.write.loki.receiver]",
    ]
    blocks = [
        _block(
            "local.file_match",
            "swarmscope",
            [
                "path_targets = [{",
                f'  "__path__" = "{log_dir}/*.log",',
                f'  "__path_exclude__" = "{log_dir}/*.error.log",',
                "}]",
                'sync_period = "10s"',
            ],
        ),
        _block(
            "loki.source.file",
            "swarmscope",
            [
                "targets = local.file_match.swarmscope.targets",
                "forward_to = [loki.process.swarmscope.receiver]",
            ],
        ),
        _block("loki.process", "swarmscope", "\n".join(stages).splitlines()),
        _block(
            "loki.write", "loki", _block("endpoint", None, [f'url = "{loki_push}"']).splitlines()
        ),
    ]
    header = "// Written by `swarmscope stack export`; regenerate rather than edit.\n\n"
    return header + "\n\n".join(blocks) + "\n"


def _block(name: str, label: str | None, body: list[str]) -> str:
    opening = f'{name} "{label}" {{' if label else f"{name} {{"
    return "\n".join([opening, *(f"  {line}" if line else "" for line in body), "}"])


def _map(values: dict[str, str]) -> str:
    """An Alloy object literal on one line: ``{ key = "value", ... }``."""
    return "{ " + ", ".join(f'{key} = "{value}"' for key, value in values.items()) + " }"
