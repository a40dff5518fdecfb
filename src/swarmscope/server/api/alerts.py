"""``GET /api/alerts`` (the server's own alerts, and Alertmanager's) and
``POST /api/alertmanager/webhook`` (where the ops bundle's Alertmanager sends every alert)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel, Field

from swarmscope.server.alerting import Alerting
from swarmscope.server.alerting.notify import timestamp

State = Literal["firing", "pending", "error", "unsupported", "inactive"]


class WebhookAlert(BaseModel):
    """One alert of Alertmanager's webhook message."""

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: AwareDatetime
    endsAt: AwareDatetime
    generatorURL: str = ""
    fingerprint: str = ""


class WebhookMessage(BaseModel):
    """Alertmanager's webhook payload (version 4)."""

    version: str
    groupKey: str
    status: Literal["firing", "resolved"]
    receiver: str
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    truncatedAlerts: int = 0
    alerts: list[WebhookAlert] = Field(min_length=1)


def _lone_surrogate(value: Any) -> bool:
    """Whether any text in ``value`` holds a lone surrogate (JSON's ``"\\ud800"`` decodes to
    one), which no UTF-8 answer can carry."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_lone_surrogate(key) or _lone_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(item) for item in value)
    return False


def _instant(moment: datetime) -> str:
    if moment.year == 1:  # Go's zero time: a firing alert has no end yet
        return timestamp(None)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def routes(alerting: Alerting) -> APIRouter:
    router = APIRouter(tags=["alerts"])

    @router.get("/api/alerts", summary="Alerts: the server's own rules, and Alertmanager's")
    async def list_alerts(
        state: Annotated[State | None, Query(description="only alerts in this state")] = None,
        name: Annotated[str | None, Query(description="only this rule's alerts")] = None,
    ) -> dict[str, Any]:
        snapshot = alerting.snapshot()
        snapshot["alerts"] = [
            alert
            for alert in snapshot["alerts"]
            if (state is None or alert["state"] == state)
            and (name is None or alert["name"] == name)
        ]
        return {**snapshot, "received": alerting.inbox.alerts()}

    @router.post(
        "/api/alertmanager/webhook",
        summary="Receive Alertmanager's webhook notifications",
        status_code=200,
    )
    async def alertmanager_webhook(message: WebhookMessage) -> dict[str, Any]:
        # Refused at the door: kept in the inbox, such an alert made every later
        # GET /api/alerts fail to encode its answer (a 500 until the server restarted).
        if _lone_surrogate(message.model_dump()):
            raise HTTPException(
                400, "the message's text must be valid Unicode: it has a lone surrogate"
            )
        alerts = [
            {
                **alert.model_dump(exclude={"startsAt", "endsAt"}),
                "startsAt": _instant(alert.startsAt),
                "endsAt": _instant(alert.endsAt),
            }
            for alert in message.alerts
        ]
        alerting.inbox.add(message.receiver, alerts, timestamp(time.time()))
        return {"received": len(alerts)}

    return router
