"""The front end's side: CopilotKit actions, AG-UI events, SSE connections and messages."""

from __future__ import annotations

from typing import Any

from swarmscope.conventions.attributes import (
    SWARMSCOPE_COPILOTKIT_ACTION,
    SWARMSCOPE_SSE_MESSAGES,
    SWARMSCOPE_SSE_STREAM,
)
from swarmscope.conventions.spans import COPILOTKIT_ACTION, SSE
from swarmscope.instrument.operation import Operation, current_agent, error_fields, safely
from swarmscope.telemetry.runtime import Runtime, current


class CopilotKitAction(Operation):
    """One CopilotKit action (``useCopilotAction`` on the page, its handler on the server)."""

    where = "copilotkit"

    def __init__(self, action: str, **attrs: Any) -> None:
        self.action = action
        self.attrs = attrs

    def span_name(self) -> str:
        return f"{COPILOTKIT_ACTION} {self.action}"

    def span_attributes(self) -> dict[str, Any]:
        return {SWARMSCOPE_COPILOTKIT_ACTION: self.action, **self.attrs}

    def on_start(self, rt: Runtime) -> None:
        if rt.logs_at("debug"):
            self.event(rt, "copilot_action_started", {"action_name": self.action})

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        rt.metrics["copilotkit_actions_total"].child(self.action, status).inc()
        rt.metrics["copilotkit_action_duration_seconds"].child(self.action).observe(self.duration)
        fields: dict[str, Any] = {
            "action_name": self.action,
            "status": status,
            "duration_ms": self.duration_ms,
        }
        fields |= error_fields(error)
        name = "copilot_action_completed" if status == "success" else "copilot_action_failed"
        self.event(rt, name, fields)


def copilotkit_action(action: str, **attrs: Any) -> CopilotKitAction:
    """Instrument one CopilotKit action."""
    return CopilotKitAction(action, **attrs)


class SseConnection(Operation):
    """An open server-sent-events stream; ``sent(message_type)`` counts each message sent,
    ``received(message_type)`` logs each one read when this side is the stream's client."""

    where = "sse"

    def __init__(self, stream: str = "events", **attrs: Any) -> None:
        self.stream = stream
        self.attrs = attrs
        self.messages = 0
        self.received_messages = 0

    def span_name(self) -> str:
        return f"{SSE} {self.stream}"

    def span_attributes(self) -> dict[str, Any]:
        return {SWARMSCOPE_SSE_STREAM: self.stream, **self.attrs}

    def on_start(self, rt: Runtime) -> None:
        rt.metrics["sse_connections_active"].child().inc()
        self.event(rt, "sse_connection_opened", {"stream": self.stream, **self.attrs})

    def sent(self, message_type: str) -> None:
        self.messages += 1
        safely(
            self.where,
            lambda: current().metrics["sse_messages_sent_total"].child(message_type).inc(),
        )

    def received(self, message_type: str, **fields: Any) -> None:
        """Log ``sse_message_received`` (debug level), inside the stream's span."""
        self.received_messages += 1
        rt = self._rt
        if rt is not None and rt.logs_at("debug"):
            event = {"stream": self.stream, "message_type": message_type, **fields}
            safely(self.where, lambda: self.event(rt, "sse_message_received", event))

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        rt.metrics["sse_connections_active"].child().dec()
        rt.metrics["sse_connection_duration_seconds"].child().observe(self.duration)
        self.set_attribute(SWARMSCOPE_SSE_MESSAGES, self.messages)
        self.event(
            rt,
            "sse_connection_closed",
            {
                "stream": self.stream,
                "status": status,
                "messages": self.messages,
                "messages_received": self.received_messages,
                "duration_ms": self.duration_ms,
            },
        )


def sse_connection(stream: str = "events", **attrs: Any) -> SseConnection:
    """Instrument one SSE stream for as long as it is open."""
    return SseConnection(stream, **attrs)


def ag_ui_event(event_type: str, agent: str | None = None, **fields: Any) -> None:
    """An AG-UI protocol event the backend emitted (RUN_STARTED, TOOL_CALL_START...)."""

    def record() -> None:
        rt = current()
        name = agent or current_agent.get()
        rt.metrics["ag_ui_events_emitted_total"].child(event_type, name).inc()
        if rt.logs_at("debug"):
            rt.event("ag_ui_event_emitted", {"event_type": event_type, "agent_id": name, **fields})

    safely("ag_ui", record)


def frontend_event(event_type: str, **fields: Any) -> None:
    """An AG-UI event the browser reports it received (the page's client posts these)."""

    def record() -> None:
        rt = current()
        rt.metrics["ag_ui_events_received_total"].child(event_type).inc()
        if rt.logs_at("debug"):
            rt.event("ag_ui_event_received", {"event_type": event_type, **fields})

    safely("ag_ui", record)


def user_action(action: str, **fields: Any) -> None:
    """Log ``user_action_triggered``: a person clicked something that starts work."""
    safely("ui", lambda: current().event("user_action_triggered", {"action": action, **fields}))
