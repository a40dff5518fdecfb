"""The server's own alerting: Prometheus's alert states, its annotation strings, delivery to a
webhook and to a real Alertmanager, and the alerts API.

The end-to-end test writes agent-session counters into a store as an app pushing them would,
lets the server evaluate the bundle's rules (time-scaled: five minutes are three seconds),
and checks that the failure spike reaches a webhook through a real Alertmanager with the
labels and annotations Prometheus would have given it, then resolves.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from loopback import free_port, serve
from swarmscope.definitions.alerts import ALERTS, AlertRule
from swarmscope.definitions.query import Current, Series
from swarmscope.definitions.templates import render
from swarmscope.server.alerting import Alerting
from swarmscope.server.alerting.inbox import Inbox
from swarmscope.server.alerting.notify import (
    AlertmanagerNotifier,
    Outgoing,
    WebhookNotifier,
    fingerprint,
)
from swarmscope.server.alerting.rules import compile_rule
from swarmscope.server.alerting.states import RESOLVED_RETENTION_SECONDS, Active, RuleAlerts
from swarmscope.server.app import create_app
from swarmscope.server.intake.otlp import MetricRow
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.stack.local import ALERTMANAGER_BINARIES, stop

SPIKE = next(rule for rule in ALERTS if rule.name == "AgentExecutionFailureSpike")
RUNBOOK = "/runbooks"  # rules compiled on their own link to the server's path
EXTERNAL = "http://console.test:4318"


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {what} within {seconds} s")


# --- the state machine, with a clock the test moves ---


def active(value: float, agent: str = "scout") -> Active:
    labels = {"agent_type": agent, "alertname": "A", "severity": "critical"}
    return Active(labels, {"description": f"{value}"}, value)


def test_pending_fires_once_active_for_the_hold_duration():
    alerts = RuleAlerts(hold_seconds=300)
    alerts.update([active(0.2)], now=1000)
    [alert] = alerts.alerts.values()
    assert (alert.state, alert.active_at, alert.fired_at) == ("pending", 1000, None)
    alerts.update([active(0.3)], now=1299)
    assert alert.state == "pending" and alert.value == 0.3
    alerts.update([active(0.4)], now=1300)
    assert (alert.state, alert.fired_at, alert.value) == ("firing", 1300, 0.4)
    assert alert.annotations == {"description": "0.4"} and alert.active_at == 1000


def test_pending_that_stops_is_dropped_not_resolved():
    alerts = RuleAlerts(hold_seconds=300)
    alerts.update([active(0.2), active(0.5, "writer")], now=0)
    alerts.update([active(0.5, "writer")], now=200)
    assert [a.labels["agent_type"] for a in alerts.alerts.values()] == ["writer"]
    assert alerts.in_state("resolved") == []
    # Back after a gap: the hold starts again from its return.
    alerts.update([active(0.2), active(0.5, "writer")], now=250)
    alerts.update([active(0.2), active(0.5, "writer")], now=500)
    assert {a.labels["agent_type"]: a.state for a in alerts.alerts.values()} == {
        "scout": "pending",
        "writer": "firing",
    }


def test_firing_resolves_is_kept_for_notifiers_then_forgotten():
    alerts = RuleAlerts(hold_seconds=60)
    alerts.update([active(0.2)], now=0)
    alerts.update([active(0.2)], now=60)
    alerts.update([], now=75)
    [alert] = alerts.in_state("resolved")
    assert (alert.fired_at, alert.resolved_at) == (60, 75)
    alerts.update([], now=75 + RESOLVED_RETENTION_SECONDS)
    assert alerts.in_state("resolved") == [alert]
    alerts.update([], now=76 + RESOLVED_RETENTION_SECONDS)
    assert alerts.alerts == {}


def test_resolved_alert_that_returns_starts_over_as_pending():
    alerts = RuleAlerts(hold_seconds=60)
    for now in (0, 60):
        alerts.update([active(0.2)], now=now)
    alerts.update([], now=90)
    alerts.update([active(0.3)], now=100)
    [alert] = alerts.alerts.values()
    assert (alert.state, alert.active_at, alert.fired_at, alert.resolved_at) == (
        "pending",
        100,
        None,
        None,
    )


# --- annotations, as Prometheus renders them ---


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.25, "25%"), (1 / 3, "33.33%"), (0.123456, "12.35%"), (1.0, "100%"), (12.5, "1250%")],
)
def test_humanize_percentage_is_go_percent_4g(value: float, text: str):
    assert render(SPIKE.description, {"agent_type": "scout"}, value) == (
        f"Agent scout fails {text} of its runs"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1500.0, "1500"),
        (0.5, "0.5"),
        (1234567.0, "1.234567e+06"),
        (0.00001, "1e-05"),
        (-75.0, "-75"),
        (float("inf"), "+Inf"),
    ],
)
def test_value_is_go_percent_v(value: float, text: str):
    assert render("{{ $value }} tasks", {}, value) == f"{text} tasks"


def test_missing_label_is_empty_and_dot_forms_work():
    template = "{{ $labels.from_agent }} -> {{ .Labels.to_agent }}: {{humanizePercentage .Value}}"
    assert render(template, {"from_agent": "a"}, 0.5) == "a -> : 50%"


@pytest.mark.parametrize(
    "template",
    [
        "{{ $value | humanize }} per second",
        "{{ if gt $value 1.0 }}high{{ end }}",
        "{{- $value -}}",
        "broken {{ $value",
        "{{ $labels.instance | printf }}",
    ],
)
def test_unknown_template_syntax_is_left_as_written(template: str):
    assert render(template, {"instance": "x"}, 2.0) == template


def test_every_bundle_rule_renders_without_leftover_templates():
    for rule in ALERTS:
        entry = compile_rule(rule, "ns")
        for text in entry.annotations.values():
            rendered = render(text, {label: "L" for label in _labels_of(text)}, 0.5)
            assert "{{" not in rendered, (rule.name, rendered)


def _labels_of(template: str) -> list[str]:
    return [part.split("}}")[0].strip() for part in template.split("$labels.")[1:]]


# --- the rule entry matches the rule file Prometheus gets ---


def test_rule_labels_annotations_and_for_match_the_export():
    rule = compile_rule(SPIKE, "sergas", time_scale=0.01)
    assert rule.labels == {"severity": "critical", "team": "agents"}
    assert rule.annotations == {
        "summary": "High agent execution failure rate",
        "description": SPIKE.description,
        "runbook_url": f"{RUNBOOK}/AgentExecutionFailureSpike.md",
    }
    assert rule.hold_seconds == 3.0
    assert rule.query.numerator.window == "3s" and rule.query.denominator.window == "3s"
    assert rule.expr == (
        "(sum by (agent_type) (rate(sergas_agent_sessions_total"
        '{status!~"success|interrupted"}[3s]))) / '
        "(sum by (agent_type) (rate(sergas_agent_sessions_total"
        '{status!="interrupted"}[3s]))) > 0.1'
    )


# --- notifiers ---


@pytest.fixture
def sink() -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """An HTTP receiver recording ``(path, JSON body)`` of every POST."""
    received: list[tuple[str, Any]] = []

    async def record(request: Request) -> Response:
        received.append((request.url.path, await request.json()))
        return Response()

    with serve(Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])) as url:
        yield url, received


def outgoing(agent: str, ends_at: float | None = None) -> Outgoing:
    labels = {"alertname": "AgentExecutionFailureSpike", "agent_type": agent, "team": "agents"}
    return Outgoing(labels, {"summary": "s", "description": agent}, 1_700_000_000.5, ends_at, "")


def test_fingerprint_is_alertmanagers_fnv1a():
    assert fingerprint({}) == "cbf29ce484222325"  # FNV-1a's offset basis: nothing hashed
    assert fingerprint({"a": "b", "c": "d"}) == fingerprint({"c": "d", "a": "b"})
    assert fingerprint({"a": "bc"}) != fingerprint({"ab": "c"})


def test_webhook_gets_alertmanagers_payload_on_changes_only(sink):
    url, received = sink
    with httpx.Client(timeout=2) as client:
        notifier = WebhookNotifier(f"{url}/hook", client, EXTERNAL)
        notifier.send([outgoing("scout")], now=0)
        notifier.send([outgoing("scout")], now=1)  # nothing new: nothing sent
        notifier.send([outgoing("scout"), outgoing("writer")], now=2)
        notifier.send([outgoing("scout", ends_at=1_700_000_100.0), outgoing("writer")], now=3)
    assert [path for path, _ in received] == ["/hook"] * 3
    first = received[0][1]
    assert first == {
        "version": "4",
        "groupKey": '{}:{alertname="AgentExecutionFailureSpike"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "swarmscope",
        "groupLabels": {"alertname": "AgentExecutionFailureSpike"},
        "commonLabels": outgoing("scout").labels,
        "commonAnnotations": {"summary": "s", "description": "scout"},
        "externalURL": EXTERNAL,
        "alerts": [
            {
                "status": "firing",
                "labels": outgoing("scout").labels,
                "annotations": {"summary": "s", "description": "scout"},
                "startsAt": "2023-11-14T22:13:20.500000Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": fingerprint(outgoing("scout").labels),
            }
        ],
    }
    second, third = received[1][1], received[2][1]
    assert second["commonLabels"] == {"alertname": "AgentExecutionFailureSpike", "team": "agents"}
    assert second["commonAnnotations"] == {"summary": "s"}
    assert [a["labels"]["agent_type"] for a in second["alerts"]] == ["scout", "writer"]
    assert third["status"] == "firing"  # the writer still fires
    assert [(a["labels"]["agent_type"], a["status"], a["endsAt"]) for a in third["alerts"]] == [
        ("scout", "resolved", "2023-11-14T22:15:00Z"),
        ("writer", "firing", "0001-01-01T00:00:00Z"),
    ]


def test_alertmanager_gets_firing_every_round_and_resolved_until_accepted(sink):
    url, received = sink
    down = f"http://127.0.0.1:{free_port()}"
    with httpx.Client(timeout=2) as client:
        unreachable = AlertmanagerNotifier(down, client, valid_for_seconds=240)
        unreachable.send([outgoing("scout", ends_at=5.0)], now=10)  # logged, never raised
        assert unreachable.failing
        notifier = AlertmanagerNotifier(url, client, valid_for_seconds=240)
        notifier.send([outgoing("scout")], now=1_700_000_010)
        notifier.send([outgoing("scout")], now=1_700_000_025)
        notifier.send([outgoing("scout", ends_at=1_700_000_040.0)], now=1_700_000_040)
        notifier.send([outgoing("scout", ends_at=1_700_000_040.0)], now=1_700_000_055)
    assert [path for path, _ in received] == ["/api/v2/alerts"] * 3
    assert received[0][1] == [
        {
            "labels": outgoing("scout").labels,
            "annotations": {"summary": "s", "description": "scout"},
            "startsAt": "2023-11-14T22:13:20.500000Z",
            "endsAt": "2023-11-14T22:17:30Z",
        }
    ]
    assert received[1][1][0]["endsAt"] == "2023-11-14T22:17:45Z"
    assert received[2][1][0]["endsAt"] == "2023-11-14T22:14:00Z"


# --- the engine and the API ---


def rule(name: str, query: Any, threshold: float) -> AlertRule:
    return AlertRule(
        name, query, ">", threshold, "1m", "warning", "agents", "s", "{{ $value }}", "g"
    )


def gauge(store: Store, at: float, agent: str, value: float) -> None:
    name = "t_agent_queue_depth"
    labels = [("agent_type", agent)]
    series = json.dumps(["svc", "", name, labels])
    point = MetricRow(
        int(at * 1e9), 0, "svc", name, "gauge", series, labels, value, None, None, None, None
    )
    store.add("metric_points", [point])


def test_a_rule_that_cannot_be_computed_is_reported_and_the_others_go_on(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    rules = [
        compile_rule(rule("Averaged", Current(Series("agent_queue_depth"), "avg"), 1), "t"),
        compile_rule(
            rule("QueueDeep", Current(Series("agent_queue_depth"), "max", ("agent_type",)), 5), "t"
        ),
    ]
    clock = [1_700_000_000.0]
    alerting = Alerting(store, ServerSettings(namespace="t"), lambda: clock[0], rules)
    try:
        gauge(store, clock[0] - 1, "scout", 9)
        alerting.evaluate()
        clock[0] += 60
        gauge(store, clock[0] - 1, "scout", 12)
        alerting.evaluate()
        view = alerting.snapshot()
        assert view["evaluated_at"] == "2023-11-14T22:14:20Z" and view["rules"] == 2
        firing, unsupported = view["alerts"]
        assert firing == {
            "name": "QueueDeep",
            "severity": "warning",
            "expr": "max by (agent_type) (t_agent_queue_depth) > 5",
            # What the console links to the Metrics view.
            "metrics": [{"name": "t_agent_queue_depth", "match": ""}],
            "state": "firing",
            "labels": {
                "agent_type": "scout",
                "severity": "warning",
                "team": "agents",
                "alertname": "QueueDeep",
            },
            "annotations": {
                "summary": "s",
                "description": "12",
                "runbook_url": _runbook("QueueDeep"),
            },
            "value": 12.0,
            "active_since": "2023-11-14T22:13:20Z",
            "fired_at": "2023-11-14T22:14:20Z",
        }
        assert unsupported["state"] == "unsupported" and unsupported["name"] == "Averaged"
        assert "avg" in unsupported["reason"]
    finally:
        store.close()
    # A store that fails: every rule says so, and the round does not raise.
    alerting.evaluate()
    states = {entry["name"]: entry for entry in alerting.snapshot()["alerts"]}
    assert states["QueueDeep"]["state"] == "error"
    assert "closed" in states["QueueDeep"]["reason"]


def _runbook(name: str) -> str:
    return f"{RUNBOOK}/{name}.md"


def alertmanager_message(status: str, **alert: Any) -> dict[str, Any]:
    labels = {"alertname": "HighErrorRate", "severity": "critical", "team": "backend"}
    return {
        "version": "4",
        "groupKey": '{}/{severity="critical"}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "webhook",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {"summary": "High error rate detected"},
                "startsAt": "2026-01-02T03:04:05.123456789Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": "a1b2c3d4e5f60718",
                **alert,
            }
        ],
    }


def test_alerts_api_and_the_alertmanager_webhook(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    try:
        with serve(create_app(store, ServerSettings(namespace="api"))) as url:
            view = wait_for(
                lambda: (body := httpx.get(f"{url}/api/alerts").json())["evaluated_at"] and body,
                10,
                "first evaluation",
            )
            assert view["rules"] == len(ALERTS) == len(view["alerts"])
            assert {entry["state"] for entry in view["alerts"]} == {"inactive"}
            spike = next(e for e in view["alerts"] if e["name"] == "AgentExecutionFailureSpike")
            assert spike["labels"] == {
                "severity": "critical",
                "team": "agents",
                "alertname": "AgentExecutionFailureSpike",
            }
            assert spike["value"] is None and spike["annotations"]["description"] == (
                SPIKE.description
            )
            only = httpx.get(f"{url}/api/alerts", params={"name": "ServiceDown"}).json()
            assert [entry["name"] for entry in only["alerts"]] == ["ServiceDown"]
            assert httpx.get(f"{url}/api/alerts", params={"state": "firing"}).json()["alerts"] == []

            bad = httpx.get(f"{url}/api/alerts", params={"state": "burning"})
            assert bad.status_code == 400 and bad.json()["status"] == 400
            for garbage in (b"not json", b"{}", json.dumps(alertmanager_message("sizzling"))):
                answer = httpx.post(
                    f"{url}/api/alertmanager/webhook",
                    content=garbage,
                    headers={"Content-Type": "application/json"},
                )
                assert answer.status_code == 400, garbage
                assert answer.json()["status"] == 400 and answer.json()["error"]
            empty = {**alertmanager_message("firing"), "alerts": []}
            assert httpx.post(f"{url}/api/alertmanager/webhook", json=empty).status_code == 400

            hook = f"{url}/api/alertmanager/webhook"
            assert httpx.post(hook, json=alertmanager_message("firing")).json() == {"received": 1}
            resolved = alertmanager_message("resolved", endsAt="2026-01-02T03:09:05+01:00")
            assert httpx.post(hook, json=resolved).status_code == 200
            [received] = httpx.get(f"{url}/api/alerts").json()["received"]
            assert {k: v for k, v in received.items() if k != "received_at"} == {
                "source": "alertmanager",
                "receiver": "webhook",
                "status": "resolved",
                "labels": {"alertname": "HighErrorRate", "severity": "critical", "team": "backend"},
                "annotations": {"summary": "High error rate detected"},
                "startsAt": "2026-01-02T03:04:05.123456Z",
                "endsAt": "2026-01-02T02:09:05Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": "a1b2c3d4e5f60718",
            }
    finally:
        store.close()


def test_inbox_keeps_the_latest_notification_of_the_latest_alerts():
    inbox = Inbox(limit=2)

    def alert(name: str, status: str) -> dict[str, Any]:
        return {"status": status, "labels": {"alertname": name}, "fingerprint": name}

    inbox.add("webhook", [alert("A", "firing"), alert("B", "firing")], "t1")
    inbox.add("webhook", [alert("A", "resolved")], "t2")
    inbox.add("pager", [alert("C", "firing")], "t3")
    kept = [
        (a["fingerprint"], a["status"], a["receiver"], a["received_at"]) for a in inbox.alerts()
    ]
    assert kept == [("C", "firing", "pager", "t3"), ("A", "resolved", "webhook", "t2")]


# --- end to end: store -> server -> real Alertmanager -> webhook ---


class Sessions:
    """Agent-session counters pushed every 0.2 s, failing one run in four until healed."""

    def __init__(self, store: Store, namespace: str) -> None:
        self.store, self.name = store, f"{namespace}_agent_sessions_total"
        self.counts = {"failure": 0.0, "success": 0.0}
        self.failing = True
        self.stop = threading.Event()
        self.start_ns = time.time_ns()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            self.counts["failure"] += 1 if self.failing else 0
            self.counts["success"] += 3 if self.failing else 4
            now = time.time_ns()
            self.store.add(
                "metric_points", [self._point(now, s, v) for s, v in self.counts.items()]
            )

    def _point(self, at_ns: int, status: str, value: float) -> MetricRow:
        labels = [("agent_type", "scout"), ("status", status)]
        series = json.dumps(["agents", "", self.name, labels])
        return MetricRow(
            at_ns, self.start_ns, "agents", self.name, "counter", series, labels, value,
            None, None, None, None,
        )  # fmt: skip


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Callable[[int, list[str]], None]]:
    """Starts the real Alertmanager on a port, every alert routed to the given webhooks."""
    binary = next(filter(None, map(shutil.which, ALERTMANAGER_BINARIES)), None)
    assert binary, "install Debian's prometheus-alertmanager package"
    processes: list[subprocess.Popen[bytes]] = []

    def start(port: int, webhooks: list[str]) -> None:
        config = {
            "route": {
                "receiver": "hooks",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "hooks",
                    "webhook_configs": [{"url": url, "send_resolved": True} for url in webhooks],
                }
            ],
        }
        (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(config))
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp_path / 'alertmanager.yml'}",
                f"--storage.path={tmp_path / 'alertmanager'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, 20, "ready Alertmanager")

    try:
        yield start
    finally:
        stop(processes)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def spike_alerts(received: list[tuple[str, Any]], path: str, status: str) -> list[dict]:
    return [
        alert
        for at, message in received
        if at == path
        for alert in message["alerts"]
        if alert["labels"]["alertname"] == "AgentExecutionFailureSpike"
        and alert["status"] == status
    ]


def test_failure_spike_fires_through_alertmanager_and_resolves(tmp_path: Path, sink, alertmanager):
    hooks, received = sink
    store = Store(tmp_path / "store.duckdb")
    sessions = Sessions(store, "e2e")
    am_port = free_port()
    settings = ServerSettings(
        namespace="e2e",
        alert_interval_seconds=0.25,
        alert_time_scale=0.01,  # windows and `for` of five minutes are three seconds
        alertmanager_url=f"http://127.0.0.1:{am_port}",
        alert_webhook_url=f"{hooks}/server",
        external_url=EXTERNAL,
    )
    labels = {
        "alertname": "AgentExecutionFailureSpike",
        "severity": "critical",
        "team": "agents",
        "agent_type": "scout",
    }
    annotations = {
        "summary": "High agent execution failure rate",
        "description": "Agent scout fails 25% of its runs",
        "runbook_url": f"{EXTERNAL}{_runbook('AgentExecutionFailureSpike')}",
    }
    try:
        with serve(create_app(store, settings)) as url:
            sessions.thread.start()
            # Alertmanager comes up after the server: the server retries until it answers.
            alertmanager(am_port, [f"{hooks}/alertmanager", f"{url}/api/alertmanager/webhook"])

            def firing_in_api() -> dict | None:
                view = httpx.get(f"{url}/api/alerts", params={"state": "firing"}).json()
                return next(iter(view["alerts"]), None)

            shown = wait_for(firing_in_api, 20, "firing alert in /api/alerts")
            assert shown["name"] == "AgentExecutionFailureSpike" and shown["labels"] == labels
            assert shown["value"] == pytest.approx(0.25)
            assert shown["annotations"] == annotations
            [via_am] = wait_for(
                lambda: spike_alerts(received, "/alertmanager", "firing"),
                20,
                "Alertmanager's alert",
            )
            assert via_am["labels"] == labels and via_am["annotations"] == annotations
            # Alertmanager's fingerprint and generator link are the ones the server computed.
            assert via_am["fingerprint"] == fingerprint(labels)
            assert (
                via_am["generatorURL"] == f"{EXTERNAL}/api/alerts?name=AgentExecutionFailureSpike"
            )
            [own] = spike_alerts(received, "/server", "firing")
            assert own["labels"] == labels and own["annotations"] == annotations
            assert own["fingerprint"] == via_am["fingerprint"]
            assert own["startsAt"] == shown["fired_at"]

            sessions.failing = False  # runs stop failing: the share falls under 10%
            [resolved] = wait_for(
                lambda: spike_alerts(received, "/alertmanager", "resolved"), 20, "resolution"
            )
            assert resolved["labels"] == labels and resolved["endsAt"] != "0001-01-01T00:00:00Z"
            [own_resolved] = spike_alerts(received, "/server", "resolved")
            assert instant(own_resolved["endsAt"]) == instant(resolved["endsAt"])
            assert httpx.get(f"{url}/api/alerts", params={"state": "firing"}).json()["alerts"] == []

            # Alertmanager's own notifications come back to the server's webhook too.
            def received_resolved() -> list[dict]:
                seen = httpx.get(f"{url}/api/alerts").json()["received"]
                return [a for a in seen if a["labels"] == labels and a["status"] == "resolved"]

            [back] = wait_for(received_resolved, 10, "Alertmanager's notification in the API")
            assert back["source"] == "alertmanager" and back["fingerprint"] == fingerprint(labels)
    finally:
        sessions.stop.set()
        sessions.thread.join(5)
        store.close()


def test_every_alert_links_to_a_runbook_the_server_serves(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    settings = ServerSettings(namespace="sergas", external_url=EXTERNAL)
    links = {rule.name: rule.annotations["runbook_url"] for rule in Alerting(store, settings).rules}
    assert len(links) == len(ALERTS)
    try:
        with serve(create_app(store, settings)) as url, httpx.Client(base_url=url) as client:
            for name, link in links.items():
                assert link == f"{EXTERNAL}/runbooks/{name}.md"
                answer = client.get(link.removeprefix(EXTERNAL))
                assert answer.status_code == 200, name
                assert answer.headers["content-type"].startswith("text/markdown")
                assert answer.text.startswith(f"# {name}\n")
                assert "sergas_" in answer.text  # the expression, in the server's namespace
            missing = client.get("/runbooks/NoSuchAlert.md")
            assert missing.status_code == 404 and "NoSuchAlert" in missing.json()["error"]
    finally:
        store.close()
