"""What ``a2a-sdk`` (1.x) traces itself, and how its task states are written on our spans.

a2a-sdk wraps its own functions in spans (``a2a.client.transports.jsonrpc.JsonRpcTransport.
send_message``, ``...DefaultRequestHandlerV2.on_message_send``, some eighty per request) with
no attributes and no trace context between client and server: they say nothing a catalog
metric needs, and the integration's spans carry the delegation. Their scope is listed so that
nothing counts them beside ours.

Only standard-library imports, so importing this costs microseconds.
"""

from __future__ import annotations

# The tracer name of a2a-sdk's spans (a2a/utils/telemetry.py, INSTRUMENTING_MODULE_NAME).
A2A_SDK_SCOPE = "a2a-python-sdk"
A2A_SCOPES = frozenset({A2A_SDK_SCOPE})

# a2a-sdk's protobuf TaskState names carry this prefix (TASK_STATE_INPUT_REQUIRED); the value
# written on a2a.task.state is the rest (INPUT_REQUIRED), as the A2A conventions spell it.
TASK_STATE_PREFIX = "TASK_STATE_"
# The approval_type of the human wait an A2A task in a waiting state opens, by state.
WAIT_APPROVAL_TYPE = "a2a_{state}"
