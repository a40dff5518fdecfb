"""Workflows and their nodes (LangGraph-style graphs), and the routing decisions between them."""

from __future__ import annotations

from typing import Any

from swarmscope.conventions.attributes import SWARMSCOPE_WORKFLOW_NAME, SWARMSCOPE_WORKFLOW_NODE
from swarmscope.conventions.spans import WORKFLOW, WORKFLOW_NODE
from swarmscope.instrument.operation import NOT_ERRORS, Operation, error_fields, safely
from swarmscope.telemetry.runtime import Runtime, current


class Workflow(Operation):
    """One execution of a named workflow."""

    where = "workflow"

    def __init__(self, name: str, **attrs: Any) -> None:
        self.name = name
        self.attrs = attrs

    def span_name(self) -> str:
        return f"{WORKFLOW} {self.name}"

    def span_attributes(self) -> dict[str, Any]:
        return {SWARMSCOPE_WORKFLOW_NAME: self.name, **self.attrs}

    def on_start(self, rt: Runtime) -> None:
        self.event(rt, "workflow_started", {"workflow_name": self.name, **self.attrs})

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        rt.metrics["workflow_executions_total"].child(self.name, status).inc()
        rt.metrics["workflow_duration_seconds"].child(self.name).observe(self.duration)
        fields: dict[str, Any] = {
            "workflow_name": self.name,
            "status": status,
            "duration_ms": self.duration_ms,
        }
        fields |= error_fields(error)
        self.event(rt, "workflow_completed" if status in NOT_ERRORS else "workflow_failed", fields)


class WorkflowNode(Operation):
    """One node of a workflow graph; also a decorator for node functions."""

    where = "workflow_node"

    def __init__(self, workflow: str, node: str, **attrs: Any) -> None:
        self.workflow = workflow
        self.node = node
        self.attrs = attrs

    def span_name(self) -> str:
        return f"{WORKFLOW_NODE} {self.node}"

    def span_attributes(self) -> dict[str, Any]:
        return {
            SWARMSCOPE_WORKFLOW_NAME: self.workflow,
            SWARMSCOPE_WORKFLOW_NODE: self.node,
            **self.attrs,
        }

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        rt.metrics["workflow_nodes_executed_total"].child(self.workflow, self.node, status).inc()
        rt.metrics["workflow_node_duration_seconds"].child(self.workflow, self.node).observe(
            self.duration
        )
        fields: dict[str, Any] = {
            "workflow_name": self.workflow,
            "node_name": self.node,
            "status": status,
            "duration_ms": self.duration_ms,
        }
        fields |= error_fields(error)
        name = "workflow_node_completed" if status in NOT_ERRORS else "workflow_node_failed"
        self.event(rt, name, fields)


def workflow(name: str, **attrs: Any) -> Workflow:
    """Instrument one workflow execution (context manager or decorator)."""
    return Workflow(name, **attrs)


def workflow_node(workflow: str, node: str, **attrs: Any) -> WorkflowNode:
    """Instrument one workflow node (context manager or decorator)."""
    return WorkflowNode(workflow, node, **attrs)


def route(workflow: str, route_name: str, confidence: float | None = None, **fields: Any) -> None:
    """A router chose ``route_name``; ``confidence`` feeds the routing confidence histogram."""

    def record() -> None:
        rt = current()
        rt.metrics["routing_decisions_total"].child(workflow, route_name).inc()
        if confidence is not None:
            rt.metrics["routing_confidence"].child(workflow).observe(confidence)
        rt.event(
            "routing_decision",
            {"workflow_name": workflow, "route": route_name, "confidence": confidence, **fields},
        )

    safely("route", record)
