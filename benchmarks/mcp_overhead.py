"""What ``ss.instrument_mcp()`` costs an MCP tool call: in-memory ``tools/call`` round trips
(client and server in one process, JSON-RPC over the SDK's in-memory transport), in one run.

Modes, each a pass of ``--calls`` round trips on one open session and a flush of the spans:

* ``sdk``: swarmscope initialised, no integration: the MCP SDK's own spans (it traces every
  request itself, client and server), exported to a discarding exporter;
* ``swarmscope``: ``ss.instrument_mcp()`` on top: the client span renamed and completed, the
  catalog's MCP metrics and log event per call, the server's tool metrics and event;
* ``openinference``: OpenInference's ``MCPInstrumentor`` instead (trace context carried over
  the transports; it starts no span of its own);
* ``both``: the two together.

Passes alternate between modes, so a busy machine slows all of them alike; each is timed
with ``time.process_time`` (the whole process, the export thread included) and the best of
``--repeats`` counts. Reported: microseconds per call and the ratio to ``sdk``.

    python benchmarks/mcp_overhead.py [--calls 2000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from mcp import Client
from mcp.client._memory import InMemoryTransport
from mcp.server.mcpserver import MCPServer
from openinference.instrumentation.mcp import MCPInstrumentor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import swarmscope as ss
from swarmscope.integrations.mcp import uninstrument_mcp

MODES = ("sdk", "swarmscope", "openinference", "both")


class Discard(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def weather_server() -> MCPServer:
    server = MCPServer("weather-tools")

    @server.tool()
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"sunny in {city}"

    return server


async def round_trips(server: MCPServer, calls: int) -> float:
    """CPU seconds for ``calls`` tool calls on one open session, spans flushed."""
    async with Client(InMemoryTransport(server)) as client:
        await client.call_tool("get_weather", {"city": "Paris"})
        started = time.process_time()
        for _ in range(calls):
            await client.call_tool("get_weather", {"city": "Paris"})
        ss.current().flush()
        return time.process_time() - started


def one_pass(mode: str, server: MCPServer, calls: int) -> float:
    openinference = MCPInstrumentor()
    if mode in ("swarmscope", "both"):
        ss.instrument_mcp()
    if mode in ("openinference", "both"):
        openinference.instrument()
    try:
        return asyncio.run(round_trips(server, calls))
    finally:
        if mode in ("openinference", "both"):
            openinference.uninstrument()
        uninstrument_mcp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    ss.init(
        service_name="mcp-overhead",
        namespace="bench",
        span_exporter=Discard(),
        log_stream="none",
        log_level="info",
    )
    server = weather_server()
    best = dict.fromkeys(MODES, float("inf"))
    for _ in range(args.repeats):
        for mode in MODES:
            best[mode] = min(best[mode], one_pass(mode, server, args.calls))
    base = best["sdk"]
    print(f"{args.calls} in-memory tools/call round trips, best of {args.repeats} passes")
    for mode in MODES:
        per_call = best[mode] / args.calls * 1e6
        print(f"  {mode:<14} {per_call:8.1f} us/call  x{best[mode] / base:.3f}")
    ss.shutdown()


if __name__ == "__main__":
    main()
