"""``swarmscope logs search --loki URL``: the same search as LogQL against Loki's HTTP API.

The query follows how the ops bundle ships logs (``ops/logship.py``): Alloy sets the labels
``service_name`` and ``level`` and puts ``trace_id`` and ``agent_id`` in structured metadata.
So the service and the minimum level go in the stream selector (a level is a label: the
selector picks the streams, no parsing needed), the text is a line filter, and the ids are
label filters on structured metadata::

    {service_name=~".+", level=~"error|critical"} |= "CrmUnavailable" | trace_id="4bf9..."

Loki's line filter is case-sensitive, the server's text search is not. Records come back as
the server's ``/api/logs`` shapes them, so both paths print (and ``--json``) the same way.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from swarmscope.api_words import LEVELS, LogQuery, iso
from swarmscope.debug.client import CommandError, reason
from swarmscope.stack.logship import LABELS, STRUCTURED_METADATA

QUERY_RANGE = "/loki/api/v1/query_range"
# Asks Loki 3 to answer structured metadata apart from the stream's labels (as Grafana does);
# older Lokis ignore it and merge them into the labels, which ``record`` reads as well.
CATEGORIZE = {"X-Loki-Response-Encoding-Flags": "categorize-labels"}
# The label and metadata names Alloy writes, looked up rather than repeated.
_SERVICE = next(label for label, field in LABELS.items() if field == "service")
_LEVEL = next(label for label, field in LABELS.items() if field == "level")
_TRACE = next(key for key, field in STRUCTURED_METADATA.items() if field == "trace_id")
_AGENT = next(key for key, field in STRUCTURED_METADATA.items() if field == "agent_id")


def quoted(value: str) -> str:
    """A LogQL double-quoted string (Go's escapes, which JSON's are a subset of)."""
    return json.dumps(value, ensure_ascii=False)


def logql(search: LogQuery) -> str:
    """The search as LogQL; the same filters as the server's ``/api/logs``."""
    matchers = [f"{_SERVICE}={quoted(search.service)}" if search.service else f'{_SERVICE}=~".+"']
    if search.min_rank is not None:
        names = [name for name, rank in LEVELS.items() if rank >= search.min_rank]
        matchers.append(f'{_LEVEL}=~"{"|".join(names)}"')
    query = "{" + ", ".join(matchers) + "}"
    if search.text:
        query += f" |= {quoted(search.text)}"
    if search.trace_id:
        query += f" | {_TRACE}={quoted(search.trace_id.lower())}"
    if search.agent:
        query += f" | {_AGENT}={quoted(search.agent)}"
    return query


def params(search: LogQuery) -> dict[str, str]:
    """The ``query_range`` parameters; without bounds Loki searches the last hour."""
    found = {"query": logql(search), "limit": str(search.limit), "direction": "backward"}
    if search.since_ns is not None:
        found["start"] = str(search.since_ns)
    if search.until_ns is not None:
        found["end"] = str(search.until_ns)
    return found


def search_loki(base_url: str, search: LogQuery, timeout: float = 15.0) -> list[dict[str, Any]]:
    url = base_url.rstrip("/") + QUERY_RANGE
    try:
        response = httpx.get(url, params=params(search), headers=CATEGORIZE, timeout=timeout)
    except httpx.HTTPError as error:
        raise CommandError(f"cannot reach Loki at {base_url} ({reason(error)})") from None
    if response.status_code != 200:
        detail = " ".join(response.text.split())[:300]
        raise CommandError(f"Loki answered {response.status_code}: {detail}")
    try:
        answer = response.json()
        result = answer["data"]["result"]
        kind = answer["data"]["resultType"]
    except (ValueError, KeyError, TypeError):
        raise CommandError(f"{base_url} did not answer like Loki's query_range") from None
    if kind != "streams":
        raise CommandError(f"Loki answered a {kind} result; a log query answers streams")
    records = [record(stream, entry) for stream in result for entry in stream["values"]]
    # Each stream is in order; together they are not.
    records.sort(key=lambda item: item["time_ns"], reverse=True)
    return records[: search.limit]


def record(stream: dict[str, Any], entry: list[Any]) -> dict[str, Any]:
    """One Loki entry as the server's log record shape.

    An entry is ``[ns, line, {structuredMetadata, parsed}]`` from a Loki that categorizes
    labels, ``[ns, line]`` from one that merges structured metadata into the stream's labels.
    """
    time_ns, line = int(entry[0]), entry[1]
    labels = dict(stream.get("stream") or {})
    if len(entry) > 2 and isinstance(entry[2], dict):
        labels |= entry[2].get("structuredMetadata") or {}
        labels |= entry[2].get("parsed") or {}
    try:
        fields = json.loads(line)
    except ValueError:
        fields = None
    fields = fields if isinstance(fields, dict) else {}
    return {
        "time": iso(time_ns),
        "time_ns": time_ns,
        "severity": labels.get(_LEVEL) or fields.get("level"),
        "event": fields.get("event"),
        "body": line if not fields else fields.get("event", ""),
        "service": labels.get(_SERVICE) or fields.get("service"),
        "agent": labels.get(_AGENT) or fields.get("agent_id"),
        "trace_id": labels.get(_TRACE) or fields.get("trace_id"),
        "span_id": fields.get("span_id"),
        "attributes": fields,
    }
