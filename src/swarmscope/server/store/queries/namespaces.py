"""What the store says about the namespaces of its senders.

Two witnesses, read separately because they live in different tables: the resources spans
arrive with (``service.namespace``, set by the SDK and by any OpenTelemetry client that
declares one), and the names of metric points (``shop_agent_sessions_total``), which is
all a metric sender that sets no resource attribute leaves. Which names are a namespace
and a family is the caller's business (``server.namespaces``); these return rows.
"""

from __future__ import annotations

from typing import Any

from swarmscope.conventions.attributes import SERVICE_NAMESPACE
from swarmscope.server.store.database import Store

# A JSON path to a key with dots in it: the key quoted, as one member.
_NAMESPACE_PATH = f'$."{SERVICE_NAMESPACE}"'

# Per resource first, so the join reads each resource once, not once per span.
_RESOURCE_NAMESPACES = """
    SELECT json_extract_string(resources.attributes, ?) AS namespace,
           list(DISTINCT service ORDER BY service) FILTER (WHERE service IS NOT NULL)
               AS services,
           max(last_ns) AS last_ns
    FROM (
        SELECT resource_id, service, max(end_ns) AS last_ns FROM spans
        GROUP BY resource_id, service
    ) AS sent
    JOIN resources USING (resource_id)
    WHERE json_extract_string(resources.attributes, ?) IS NOT NULL
    GROUP BY namespace
"""

# The resources table is small (one row per distinct resource), unlike the spans.
_DECLARED = """
    SELECT DISTINCT json_extract_string(attributes, ?) AS namespace FROM resources
    WHERE json_extract_string(attributes, ?) IS NOT NULL
"""

_METRIC_NAMES = """
    SELECT name, list(DISTINCT service ORDER BY service) AS services, max(time_ns) AS last_ns
    FROM metric_points GROUP BY name
"""


def resource_namespaces(store: Store) -> list[dict[str, Any]]:
    """Each ``service.namespace`` spans were sent under: its services and latest span end."""
    return store.rows(_RESOURCE_NAMESPACES, [_NAMESPACE_PATH, _NAMESPACE_PATH])


def declared_namespaces(store: Store) -> set[str]:
    """Every ``service.namespace`` a stored resource declares, without reading the spans."""
    rows = store.rows(_DECLARED, [_NAMESPACE_PATH, _NAMESPACE_PATH])
    return {row["namespace"] for row in rows}


def metric_names(store: Store) -> list[dict[str, Any]]:
    """Each metric name stored: the services that sent it and its latest point's time."""
    return store.rows(_METRIC_NAMES)
