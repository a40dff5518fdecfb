"""Every exception swarmscope raises on purpose, under one base.

``except swarmscope.SwarmscopeError`` catches all of them; each also derives from the
built-in its callers would expect (a bad setting is a ``ValueError``, an open circuit a
``RuntimeError``), so code written against those keeps working. The modules that raise
them re-export them under the names they always had.

    SwarmscopeError
    ├── ConfigError                 a setting swarmscope cannot use            (ValueError)
    ├── CircuitOpenError            a call refused by its open breaker         (RuntimeError)
    ├── StackError                  the production stack cannot start          (RuntimeError)
    ├── CommandError                a CLI failure the user can act on
    │   └── NotFound                the server has no such thing (404)
    ├── StoreError                  the store file cannot be used
    │   └── StoreFull               no room on the disk for a write
    ├── RequestError                an OTLP request the server refuses         (ValueError)
    │   ├── BadPayload              not a valid OTLP request (400)
    │   │   └── TimeOutOfRange      a time past what the store can hold (400)
    │   ├── UnsupportedMediaType    neither protobuf nor JSON (415)
    │   ├── TooLarge                over the size limit, inflated or not (413)
    │   └── NeverFits               larger than the whole queue or budget (413)
    ├── Busy                        the server cannot take it now (503)
    │   ├── Full                    the queue or the byte budget is full
    │   └── WorkerLost              a decode worker died under the request
    ├── BadParameter                a query parameter that cannot be read (400, ValueError)
    └── Unsupported                 alert template syntax outside what is expanded (ValueError)
"""

from __future__ import annotations


class SwarmscopeError(Exception):
    """The base of every exception swarmscope raises on purpose."""


class ConfigError(SwarmscopeError, ValueError):
    """A setting has a value swarmscope cannot use; the message names the setting."""


class CircuitOpenError(SwarmscopeError, RuntimeError):
    """Raised on entering a call whose circuit breaker is open: the call was not attempted."""


class StackError(SwarmscopeError, RuntimeError):
    """The stack cannot start; the message says what to do."""


class CommandError(SwarmscopeError):
    """A failure the user can act on: printed as one line, exit ``code`` (1 by default)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class NotFound(CommandError):
    """The server has no such thing (404); the message is the server's."""


class StoreError(SwarmscopeError):
    """The store file cannot be used (its layout is another version's)."""


class StoreFull(StoreError):
    """The disk (or the quota) has no room for a write; nothing of it was kept. Retrying
    once space is freed succeeds."""


class RequestError(SwarmscopeError, ValueError):
    """An OTLP request the server refuses as sent; the message says why."""


class BadPayload(RequestError):
    """The body is not a valid OTLP request; the message says why (answered with 400)."""


class TimeOutOfRange(BadPayload):
    """An OTLP time past the last one the store can hold: the request is refused (400) with
    this reason, as storing it would overflow the column and a clamped time would be a
    made-up one."""


class UnsupportedMediaType(RequestError):
    """Neither protobuf nor JSON (answered with 415)."""


class TooLarge(RequestError):
    """The body, once decompressed, is over the limit (answered with 413)."""


class NeverFits(RequestError):
    """A request larger than the whole queue or the whole byte budget: it would be refused
    for ever, so it is no 503 but a 413 telling the client to send smaller batches."""


class Busy(SwarmscopeError):
    """The server cannot take the request now; the client should retry later (503)."""


class Full(Busy):
    """The queue holds as many rows, or the server as many request bytes, as it may."""


class WorkerLost(Busy):
    """The request's decode worker died before answering; nothing of it was stored."""


class BadParameter(SwarmscopeError, ValueError):
    """A query parameter that cannot be understood; answered with 400 and the reason."""


class Unsupported(SwarmscopeError, ValueError):
    """Template syntax outside the forms the alert templates expand."""


class AgentsSdkError(SwarmscopeError):
    """An error the OpenAI Agents SDK attached to one of its spans: the SDK reports a message,
    not an exception, and the operation it fails records one."""
