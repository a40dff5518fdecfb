"""``GET /api/traces`` (summaries, filtered), ``GET /api/traces/{trace_id}`` (the tree),
``GET /api/traces/{trace_id}/waterfall`` (every span's waterfall columns, compact: a trace
of 100,000 spans in one answer; with ``limit``, only the first rows', to draw them first)
and ``GET /api/traces/{trace_id}/spans/{span_id}`` (one span, whole: what the console shows
for the span a user selects).

Each trace says how its run ended (``outcome``: ``failed``, ``recovered``, ``interrupted``
or ``ok``; see ``swarmscope.api_words.Outcome``): a trace whose spans had errors the run got
over (a retried 429) is ``recovered``, not failed. The list leaves out traces that are one
HTTP request and nothing more (polls, probes) unless ``plain_requests=true``.

Each span of a tree has the agent model's columns (operation, agent, tool, model, provider,
tokens, ``cost_usd`` as sent or priced at intake, session, handoff ends, wait) and, for an
LLM call whose instrumentor captured them, its ``messages`` as ``[{role, content,
tool_calls?}]``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, HTTPException, Query, Response

from swarmscope.api_words import TRACE, TRACE_SPAN, TRACE_WATERFALL, TRACES, Outcome, time_ns
from swarmscope.conventions.messages import event_messages, messages
from swarmscope.conventions.spans import EVENT_CHOICE, EVENT_INFERENCE_DETAILS, MESSAGE_EVENTS
from swarmscope.exceptions import BadParameter
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.traces import (
    TraceFilters,
    trace_events,
    trace_outcome,
    trace_span,
    trace_spans,
    trace_summaries,
)
from swarmscope.server.waterfall import tree_order, waterfall


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["traces"])

    @router.get(TRACES, summary="Traces, newest first")
    async def list_traces(
        service: str | None = None,
        agent: str | None = None,
        status: Annotated[
            Literal["ok", "error"] | None,
            Query(description="error: some span ended in error (recovered runs too)"),
        ] = None,
        outcome: Annotated[Outcome | None, Query(description="how the run ended")] = None,
        min_duration_ms: Annotated[float | None, Query(ge=0, allow_inf_nan=False)] = None,
        start: Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")] = None,
        end: Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")] = None,
        attribute: Annotated[
            str | None, Query(description="key=value: a span of the trace has it")
        ] = None,
        plain_requests: Annotated[
            bool, Query(description="also traces that are one HTTP request alone (polls)")
        ] = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> Response:
        match = None
        if attribute is not None:
            key, equals, value = attribute.partition("=")
            if not equals or not key:
                raise BadParameter("attribute must be key=value")
            match = (key, value)
        wanted = TraceFilters(
            service=service,
            agent=agent,
            status=status,
            outcome=outcome,
            min_duration_ms=min_duration_ms,
            since_ns=time_ns("start", start),
            until_ns=time_ns("end", end),
            attribute=match,
            plain_requests=plain_requests,
        )

        def answer() -> bytes:
            # Encoded in the worker thread by orjson, not on the event loop by FastAPI.
            traces = trace_summaries(context.store, wanted, limit)
            return orjson.dumps({"traces": traces, "count": len(traces)})

        return Response(await asyncio.to_thread(answer), media_type="application/json")

    @router.get(TRACE, summary="The span tree of one trace")
    async def get_trace(trace_id: str) -> dict[str, Any]:
        trace_id = trace_id.lower()
        spans = await asyncio.to_thread(spans_with_messages, context.store, trace_id)
        if not spans:
            raise HTTPException(404, f"unknown trace {trace_id}")
        depth = nesting(spans)
        if depth > MAX_TREE_DEPTH:
            raise HTTPException(
                422,
                f"trace {trace_id} nests spans {depth:,} deep, deeper than a tree answer"
                f" can ({MAX_TREE_DEPTH}): read {TRACE_WATERFALL.format(trace_id=trace_id)}",
            )
        outcome = await asyncio.to_thread(trace_outcome, context.store, trace_id)
        return {"trace_id": trace_id, "spans": len(spans), "outcome": outcome, "tree": tree(spans)}

    @router.get(TRACE_WATERFALL, summary="Every span of one trace, as waterfall columns")
    async def get_waterfall(
        trace_id: str,
        limit: Annotated[
            int | None,
            Query(ge=1, description="only the first rows' spans (spans still counts all)"),
        ] = None,
    ) -> Response:
        trace_id = trace_id.lower()
        answer = await asyncio.to_thread(waterfall, context.store, trace_id, limit)
        if answer is None:
            raise HTTPException(404, f"unknown trace {trace_id}")
        return Response(answer, media_type="application/json")

    @router.get(TRACE_SPAN, summary="One span, with attributes, events and messages")
    async def get_span(trace_id: str, span_id: str) -> dict[str, Any]:
        trace_id, span_id = trace_id.lower(), span_id.lower()
        span = await asyncio.to_thread(span_with_messages, context.store, trace_id, span_id)
        if span is None:
            raise HTTPException(404, f"trace {trace_id} has no span {span_id}")
        return span

    return router


# The deepest tree ``GET /api/traces/{trace_id}`` nests: the JSON encoder refuses deeper
# nesting (at about 126 levels of spans), and a deeper trace is a generated one, read whole
# from the waterfall.
MAX_TREE_DEPTH = 100

# The log records that carry an LLM call's messages, in either GenAI generation.
_MESSAGE_RECORDS = [EVENT_INFERENCE_DETAILS, EVENT_CHOICE, *MESSAGE_EVENTS]


def spans_with_messages(store: Store, trace_id: str) -> list[dict[str, Any]]:
    """The trace's spans, each with its LLM messages (``add_messages``)."""
    spans = trace_spans(store, trace_id)
    if spans:
        add_messages(spans, trace_events(store, trace_id, _MESSAGE_RECORDS))
    return spans


def span_with_messages(store: Store, trace_id: str, span_id: str) -> dict[str, Any] | None:
    """One span of the trace with its LLM messages (``add_messages``); None when the trace
    has no such span."""
    span = trace_span(store, trace_id, span_id)
    if span is not None:
        add_messages([span], trace_events(store, trace_id, _MESSAGE_RECORDS, span_id))
    return span


def add_messages(spans: list[dict[str, Any]], records: list[dict[str, Any]]) -> None:
    """Set each span's LLM messages: from its attributes or span events, or from the log
    records the GenAI instrumentations write them in, which name the call's span
    (``gen_ai.client.inference.operation.details``; before it, one record per message,
    ``gen_ai.user.message``... and ``gen_ai.choice``)."""
    details: dict[str, list[dict[str, Any]]] = {}
    per_message: dict[str, list[tuple[str, Any]]] = {}
    for record in records:
        if record["event"] == EVENT_INFERENCE_DETAILS:
            details.setdefault(record["span_id"], []).append(
                {"name": EVENT_INFERENCE_DETAILS, "attributes": record["attributes"]}
            )
        else:
            per_message.setdefault(record["span_id"], []).append((record["event"], record["body"]))
    for span in spans:
        events = (span["events"] or []) + details.get(span["span_id"], [])
        span["messages"] = messages(span["attributes"] or {}, events) or event_messages(
            per_message.get(span["span_id"], [])
        )


def nesting(spans: list[dict[str, Any]]) -> int:
    """How many spans deep the trace's tree goes."""
    order = tree_order(
        [span["span_id"] for span in spans],
        [span["parent_span_id"] for span in spans],
        [span["start_ns"] for span in spans],
    )
    return max(order.depth) + 1


def tree(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spans nested under their parents; spans whose parent is missing become roots."""
    nodes = {span["span_id"]: {**span, "children": []} for span in spans}
    roots: list[dict[str, Any]] = []
    for node in nodes.values():
        parent = nodes.get(node["parent_span_id"]) if node["parent_span_id"] else None
        (parent["children"] if parent is not None else roots).append(node)
    return roots
