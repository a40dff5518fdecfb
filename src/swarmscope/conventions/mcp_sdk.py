"""What the ``mcp`` package (2.x) writes on its own spans, and the scopes that trace MCP.

The MCP SDK traces every request itself (client and server) under one instrumentation scope;
its client spans are named ``MCP send {method}[ {target}]`` where the MCP semantic conventions
say ``{method}[ {target}]``. OpenInference's MCP instrumentor only carries trace context over
the transports and starts no span of its own; its scope is listed so that, should it start
some, they are not counted beside ours.

Only standard-library imports, so importing this costs microseconds.
"""

from __future__ import annotations

# The tracer name of the MCP SDK's spans (mcp/shared/_otel.py in mcp 2.3).
MCP_SDK_SCOPE = "mcp-python-sdk"
# OpenInference's MCP instrumentor (openinference-instrumentation-mcp).
OPENINFERENCE_MCP_SCOPE = "openinference.instrumentation.mcp"
MCP_SCOPES = frozenset({MCP_SDK_SCOPE, OPENINFERENCE_MCP_SCOPE})

# What the MCP SDK puts before the semantic conventions' name on its client spans.
MCP_SDK_CLIENT_PREFIX = "MCP send "
# error.type on the SDK's server span of a tools/call whose result says isError.
MCP_SDK_TOOL_ERROR = "tool_error"

# JSON-RPC's own error codes (and MCP's reserved range): an error the protocol raised, as
# opposed to a tool's failure, which travels as a result with isError.
JSONRPC_PROTOCOL_ERRORS = frozenset({-32700, -32600, -32601, -32602, -32603})
# MCP's codes for a closed connection and a request that timed out.
MCP_CONNECTION_CLOSED = -32000
MCP_REQUEST_TIMEOUT = -32001
