"""An LLM call's messages, from whichever convention captured them, in one shape.

Instrumentors that capture prompts and answers (all opt-in) write them differently: the
GenAI conventions as JSON (``gen_ai.input.messages`` with typed parts, as attributes or on
the ``gen_ai.client.inference.operation.details`` event), their older generation and
OpenLLMetry as flattened keys per index (``gen_ai.prompt.0.role``), OpenInference as other
flattened keys (``llm.input_messages.0.message.role``), the Vercel AI SDK as its own JSON
(``ai.prompt.messages``). ``messages`` gives ``[{role, content, tool_calls?}]`` for a chat
view. It reads what was stored, scrubbed as it arrived, and never fails on odd input.
"""

from __future__ import annotations

import json
import re
from typing import Any

from swarmscope.conventions import attributes as gen
from swarmscope.conventions import openinference as oi
from swarmscope.conventions import spans
from swarmscope.conventions import vercel_ai as vercel

Message = dict[str, Any]
# "<prefix>.<index>.<rest>" of the flattened conventions.
_INDEXED = re.compile(r"\.(\d+)\.(.+)$")
# The keys inside one flattened message that say its parts, per convention.
_ROLE = ("role", oi.MESSAGE_ROLE)
_CONTENT = ("content", oi.MESSAGE_CONTENT)
_TOOL_CALLS = "tool_calls."


def messages(attrs: dict[str, Any], events: list[dict[str, Any]] | None = None) -> list[Message]:
    """The call's messages, prompt first, then the answer; empty when none were captured."""
    found = _genai_json(attrs)
    if not found and events:
        for event in events:
            if event.get("name") == spans.EVENT_INFERENCE_DETAILS:
                found = _genai_json(event.get("attributes") or {})
                if found:
                    break
    if not found:
        found = _flattened(attrs, gen.GEN_AI_PROMPT) + _flattened(attrs, gen.GEN_AI_COMPLETION)
    if not found:
        found = _flattened(attrs, oi.LLM_INPUT_MESSAGES) + _flattened(attrs, oi.LLM_OUTPUT_MESSAGES)
    if not found:
        found = _vercel(attrs)
    return found


def event_messages(records: list[tuple[str, Any]]) -> list[Message]:
    """Messages from the older GenAI conventions' events, ``(event name, body)`` in the
    order they were written: ``gen_ai.user.message`` and friends, then ``gen_ai.choice``."""
    found: list[Message] = []
    for event, raw in records:
        body = _json(raw)
        if not isinstance(body, dict):
            body = {"content": raw}
        if event == spans.EVENT_CHOICE:
            answer = body.get("message")
            body = answer if isinstance(answer, dict) else body
            role = str(body.get("role") or "assistant")
        elif event in spans.MESSAGE_EVENTS:
            role = str(body.get("role") or spans.MESSAGE_EVENTS[event])
        else:
            continue
        message: Message = {"role": role, "content": _text(body.get("content"))}
        calls = body.get("tool_calls")
        if isinstance(calls, list) and calls:
            message["tool_calls"] = [_openai_call(call) for call in calls if isinstance(call, dict)]
        found.append(message)
    return found


def _openai_call(call: dict[str, Any]) -> dict[str, Any]:
    """A tool call as OpenAI writes it: ``{id, type, function: {name, arguments}}``."""
    function = call.get("function")
    named = function if isinstance(function, dict) else call
    return {
        "name": named.get("name"),
        "arguments": named.get("arguments"),
        "id": call.get("id"),
    }


def _json(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return None
    return raw


def _genai_json(attrs: dict[str, Any]) -> list[Message]:
    found: list[Message] = []
    system = _json(attrs.get(gen.GEN_AI_SYSTEM_INSTRUCTIONS))
    if isinstance(system, list):
        found.append({"role": "system", "content": _text_of_parts(system)})
    for key in (gen.GEN_AI_INPUT_MESSAGES, gen.GEN_AI_OUTPUT_MESSAGES):
        listed = _json(attrs.get(key))
        if isinstance(listed, list):
            found += [_genai_message(item) for item in listed if isinstance(item, dict)]
    return found


def _genai_message(item: dict[str, Any]) -> Message:
    """One message of the GenAI JSON: ``{role, parts: [{type, content | name, arguments}]}``
    (the current schema) or ``{role, content}`` (earlier ones)."""
    message: Message = {"role": str(item.get("role", "")), "content": ""}
    parts = item.get("parts")
    if isinstance(parts, list):
        message["content"] = _text_of_parts(parts)
        calls = [
            {"name": part.get("name"), "arguments": part.get("arguments"), "id": part.get("id")}
            for part in parts
            if isinstance(part, dict) and part.get("type") == "tool_call"
        ]
        if calls:
            message["tool_calls"] = calls
    else:
        message["content"] = _text(item.get("content"))
    return message


def _text_of_parts(parts: list[Any]) -> str:
    texts = []
    for part in parts:
        if isinstance(part, dict):
            if part.get("type") in (None, "text", "tool_call_response", "reasoning"):
                texts.append(_text(part.get("content", part.get("text", part.get("response")))))
        elif isinstance(part, str):
            texts.append(part)
    return "\n".join(text for text in texts if text)


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        return _text_of_parts(raw)
    return json.dumps(raw, default=str)


def _flattened(attrs: dict[str, Any], prefix: str) -> list[Message]:
    """Messages spread over ``<prefix>.<n>.<field>`` keys, in index order."""
    by_index: dict[int, dict[str, Any]] = {}
    start = prefix + "."
    for key, value in attrs.items():
        if key.startswith(start):
            match = _INDEXED.match(key, len(prefix))
            if match:
                by_index.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [_flat_message(fields) for _, fields in sorted(by_index.items())]


def _flat_message(fields: dict[str, Any]) -> Message:
    role = next((fields[key] for key in _ROLE if key in fields), "")
    content = next((fields[key] for key in _CONTENT if key in fields), None)
    if content is None:  # OpenInference's typed contents: message.contents.N.message_content.text
        content = "\n".join(
            str(value) for key, value in sorted(fields.items()) if key.endswith(".text")
        )
    message: Message = {"role": str(role), "content": _text(content)}
    # gen_ai.completion.N.tool_calls.M.name; OpenInference's
    # message.tool_calls.M.tool_call.function.name
    calls: dict[int, dict[str, Any]] = {}
    for key, value in fields.items():
        _, marker, rest = key.partition(_TOOL_CALLS)
        index, _, path = rest.partition(".")
        field = path.rsplit(".", 1)[-1]
        if marker and index.isdigit() and field in ("name", "arguments", "id"):
            calls.setdefault(int(index), {})[field] = value
    if calls:
        message["tool_calls"] = [call for _, call in sorted(calls.items())]
    return message


def _vercel(attrs: dict[str, Any]) -> list[Message]:
    found: list[Message] = []
    prompt = _json(attrs.get(vercel.AI_PROMPT_MESSAGES))
    if isinstance(prompt, list):
        for item in prompt:
            if isinstance(item, dict):
                content = item.get("content")
                message: Message = {"role": str(item.get("role", "")), "content": _text(content)}
                calls = _vercel_calls(content if isinstance(content, list) else [])
                if calls:
                    message["tool_calls"] = calls
                found.append(message)
    answer = attrs.get(vercel.AI_RESPONSE_TEXT)
    calls = _json(attrs.get(vercel.AI_RESPONSE_TOOL_CALLS))
    answer_calls = _vercel_calls(calls if isinstance(calls, list) else [], typed=False)
    if answer or answer_calls:
        reply: Message = {"role": "assistant", "content": _text(answer)}
        if answer_calls:
            reply["tool_calls"] = answer_calls
        found.append(reply)
    return found


def _vercel_calls(parts: list[Any], typed: bool = True) -> list[dict[str, Any]]:
    return [
        {
            "name": part.get("toolName"),
            "arguments": part.get("input", part.get("args")),
            "id": part.get("toolCallId"),
        }
        for part in parts
        if isinstance(part, dict) and (not typed or part.get("type") == "tool-call")
    ]
