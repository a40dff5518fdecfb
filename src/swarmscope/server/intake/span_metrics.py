"""The catalog's agent, tool, handoff and LLM families, derived from the spans that arrive.

An app instrumented by OpenInference, OpenLLMetry, the Agents SDK or a Node SDK sends spans
and no swarmscope metrics, and the dashboards and alerts read metrics. So the writer counts
what each commit's spans say in the families our SDK would have pushed, under the same
names and labels: an agent run adds one to ``agent_sessions_total`` and its duration to
``agent_session_duration_seconds``, a tool call to the tool families, an LLM call to the
request, duration, token and cost families, a handoff to the handoff families.

Each commit's counts are one delta point per series, stamped with the commit's time and
added to a running total by the delta accumulator (``metric_delta``) like any sender's
deltas, so derived series are cumulative, survive restarts and are read by the same engine.
They are stored with ``source`` ``spans`` under a series key of their own, so they never
mix with a pushed series of the same name: where a service pushes a family itself (our SDK
does, beside its spans), queries read the pushed one and leave the derived one out
(``store.queries.series``), so a run is never counted twice.

The metric name's prefix is the span's ``service.namespace``, or the SDK's default when the
resource has none, written as a Prometheus name (other characters become ``_``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from swarmscope.conventions.attributes import (
    SERVICE_NAMESPACE,
    SWARMSCOPE_HANDOFF_FROM_AGENT,
    SWARMSCOPE_HANDOFF_TO_AGENT,
)
from swarmscope.conventions.catalog import (
    DEFAULT_BUCKETS,
    FAILURE,
    METRICS_BY_NAME,
    SUCCESS,
    MetricSpec,
)
from swarmscope.conventions.spans import EXECUTE_TOOL, HANDOFF, INVOKE_AGENT, LLM_OPERATIONS
from swarmscope.server.namespaces import DEFAULT_NAMESPACE
from swarmscope.server.store.rows import DERIVED_FROM_SPANS, DeltaRow, arrow_batch

# What a label reads when the span does not say (Prometheus reads a missing label as "").
UNKNOWN = ""
_NOT_A_NAME = re.compile(r"[^a-zA-Z0-9_]")
_COLUMNS = (
    "span_id",
    "parent_span_id",
    "service",
    "resource_id",
    "operation",
    "agent",
    "tool",
    "model",
    "status",
    "duration_ms",
    "input_tokens",
    "output_tokens",
    "attributes",
)
# How far up a span's parents the agent of a tool or LLM call is looked for.
_MAX_DEPTH = 32
_DERIVED = pa.array([INVOKE_AGENT, EXECUTE_TOOL, HANDOFF, *LLM_OPERATIONS])


@dataclass
class _Series:
    """One derived series' counts in one commit."""

    spec: MetricSpec
    service: str
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float = 0.0
    count: int = 0
    total: float = 0.0
    buckets: list[float] = field(default_factory=list)


class _Counts:
    """A commit's derived series, keyed by service, name and labels."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str, tuple[tuple[str, str], ...]], _Series] = {}

    def _get(self, namespace: str, service: str, family: str, values: Sequence[str]) -> _Series:
        spec = METRICS_BY_NAME[family]
        name = spec.full_name(namespace)
        labels = tuple(sorted(zip(spec.labels, values, strict=True)))
        key = (service, name, labels)
        found = self.series.get(key)
        if found is None:
            found = self.series[key] = _Series(spec, service, name, labels)
            if spec.kind == "histogram":
                found.buckets = [0.0] * (len(_bounds(spec)) + 1)
        return found

    def add(
        self, namespace: str, service: str, family: str, values: Sequence[str], by: float
    ) -> None:
        self._get(namespace, service, family, values).value += by

    def observe(
        self, namespace: str, service: str, family: str, values: Sequence[str], seconds: float
    ) -> None:
        series = self._get(namespace, service, family, values)
        series.count += 1
        series.total += seconds
        bounds = _bounds(series.spec)
        index = next((i for i, bound in enumerate(bounds) if seconds <= bound), len(bounds))
        series.buckets[index] += 1


def _bounds(spec: MetricSpec) -> tuple[float, ...]:
    return spec.buckets or DEFAULT_BUCKETS


def _with_agents(kept: list[dict[str, Any]], batch: pa.Table) -> list[dict[str, Any]]:
    """``kept`` with each tool, LLM or handoff span that names no agent given the agent of
    the nearest agent run above it in the same request.

    Most conventions name the agent on its run only; the catalog's tool and LLM families
    are labelled by agent. A sender exports a trace's spans together (a batch processor),
    so the run is usually in the request; when it is not, the label stays empty.
    """
    if all(row["agent"] is not None for row in kept):
        return kept
    parents: dict[Any, Any] = dict(
        zip(batch["span_id"].to_pylist(), batch["parent_span_id"].to_pylist(), strict=True)
    )
    agents = {
        span_id: agent
        for span_id, agent, operation in zip(
            batch["span_id"].to_pylist(),
            batch["agent"].to_pylist(),
            batch["operation"].to_pylist(),
            strict=True,
        )
        if agent is not None and operation == INVOKE_AGENT
    }
    for row in kept:
        above = row["parent_span_id"]
        for _ in range(_MAX_DEPTH):
            if row["agent"] is not None or above is None:
                break
            row["agent"] = agents.get(above)
            above = parents.get(above)
    return kept


def prometheus_namespace(raw: Any) -> str:
    """A resource's ``service.namespace`` as a metric name prefix, or the SDK's default."""
    if not isinstance(raw, str) or not raw:
        return DEFAULT_NAMESPACE
    name = _NOT_A_NAME.sub("_", raw)
    return name if not name[0].isdigit() else f"_{name}"


class SpanMetrics:
    """Derives a commit's delta points from its spans (see the module's docstring)."""

    def __init__(self) -> None:
        self._namespaces: dict[str, str] = {}
        self._last_ns = 0

    def deltas(self, batches: Iterable[tuple[str, pa.Table]]) -> pa.Table | None:
        """The delta points the commit's ``spans`` batches make, or None when they make none."""
        spans: list[list[dict[str, Any]]] = []
        for table, batch in batches:
            if table == "resources":
                self._learn(batch)
            elif table == "spans" and batch.num_rows:
                wanted = pc.is_in(batch["operation"], value_set=_DERIVED)
                kept = batch.filter(wanted).select(list(_COLUMNS)).to_pylist()
                if kept:
                    spans.append(_with_agents(kept, batch))
        if not spans:
            return None
        counts = _Counts()
        for rows in spans:
            for row in rows:
                self._count(counts, row)
        return self._points(counts)

    def _learn(self, resources: pa.Table) -> None:
        if len(self._namespaces) > 100_000:
            self._namespaces.clear()
        ids = resources["resource_id"].to_pylist()
        texts = resources["attributes"].to_pylist()
        for resource_id, attributes in zip(ids, texts, strict=True):
            if resource_id is not None and attributes and resource_id not in self._namespaces:
                found = orjson.loads(attributes).get(SERVICE_NAMESPACE)
                self._namespaces[resource_id] = prometheus_namespace(found)

    def _count(self, counts: _Counts, span: dict[str, Any]) -> None:
        namespace = self._namespaces.get(span["resource_id"], DEFAULT_NAMESPACE)
        service = span["service"]
        status = FAILURE if span["status"] == "error" else SUCCESS
        seconds = max(span["duration_ms"], 0.0) / 1000
        agent = span["agent"] or UNKNOWN
        operation = span["operation"]
        if operation == INVOKE_AGENT:
            if span["agent"] is None:
                return
            counts.add(namespace, service, "agent_sessions_total", (agent, status, UNKNOWN), 1)
            counts.observe(
                namespace, service, "agent_session_duration_seconds", (agent, UNKNOWN), seconds
            )
        elif operation == EXECUTE_TOOL:
            tool = span["tool"] or UNKNOWN
            counts.add(namespace, service, "agent_tool_calls_total", (agent, tool, status), 1)
            counts.observe(
                namespace, service, "agent_tool_call_duration_seconds", (agent, tool), seconds
            )
        elif operation == HANDOFF:
            attributes = orjson.loads(span["attributes"])
            source = str(attributes.get(SWARMSCOPE_HANDOFF_FROM_AGENT) or agent)
            target = str(attributes.get(SWARMSCOPE_HANDOFF_TO_AGENT) or UNKNOWN)
            counts.add(namespace, service, "agent_handoffs_total", (source, target, status), 1)
            counts.observe(
                namespace, service, "agent_handoff_duration_seconds", (source, target), seconds
            )
        else:
            model, provider = span["model"] or UNKNOWN, UNKNOWN
            labels = (model, provider, agent)
            counts.add(namespace, service, "llm_requests_total", (*labels, status), 1)
            counts.observe(namespace, service, "llm_request_duration_seconds", labels, seconds)
            for token_type, tokens in (
                ("input", span["input_tokens"]),
                ("output", span["output_tokens"]),
            ):
                if tokens:
                    counts.add(
                        namespace, service, "llm_tokens_total", (*labels, token_type), tokens
                    )

    def _points(self, counts: _Counts) -> pa.Table:
        # One time per commit, later than the last: each derived stream adds contiguously.
        now = max(time.time_ns(), self._last_ns + 1)
        self._last_ns = now
        rows = []
        for series in counts.series.values():
            labels = list(series.labels)
            key = json.dumps(
                [series.service, "", series.name, labels, DERIVED_FROM_SPANS], separators=(",", ":")
            )
            histogram = series.spec.kind == "histogram"
            rows.append(
                DeltaRow(
                    time_ns=now,
                    start_ns=0,
                    service=series.service,
                    name=series.name,
                    kind=series.spec.kind,
                    series=key,
                    labels=labels,
                    value=None if histogram else series.value,
                    count=float(series.count) if histogram else None,
                    sum=series.total if histogram else None,
                    bounds=list(_bounds(series.spec)) if histogram else None,
                    buckets=series.buckets if histogram else None,
                    source=DERIVED_FROM_SPANS,
                    scale=None,
                    offset=None,
                )
            )
        return arrow_batch(DeltaRow, rows)
