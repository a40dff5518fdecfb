"""A simulated LLM with an OpenAI-shaped client: ``client.chat.completions.create(...)``.

Answers are deterministic for a seed and a prompt; latency grows with output tokens; with
the ``llm-errors`` fault a share of calls fail, and a few always time out.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from dataclasses import dataclass, field

from account_manager.world import DemoConfig


class LLMError(RuntimeError):
    """The model provider answered with an error (500, overloaded)."""


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class Choice:
    index: int
    message: Message
    finish_reason: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class ChatCompletion:
    id: str
    model: str
    choices: list[Choice]
    usage: Usage


@dataclass
class _Completions:
    config: DemoConfig
    calls: int = field(default=0)

    async def create(
        self, *, model: str, messages: list[dict[str, str]], timeout: float = 10.0
    ) -> ChatCompletion:
        self.calls += 1
        prompt = "\n".join(m["content"] for m in messages)
        digest = hashlib.sha256(f"{self.config.seed}:{self.calls}:{model}:{prompt}".encode())
        rng = random.Random(digest.digest())
        prompt_tokens = max(8, len(prompt) // 4)
        completion_tokens = rng.randint(40, 320)
        latency = (0.02 + completion_tokens * 0.0002) * self.config.speed
        if self.config.has("llm-slow"):
            latency *= 6
        if rng.random() < 0.01:
            latency = float("inf")
        error_chance = 0.35 if self.config.has("llm-errors") else 0.02
        if latency > timeout:
            await asyncio.sleep(timeout * self.config.speed)
            raise TimeoutError(f"{model} did not answer within {timeout}s")
        await asyncio.sleep(latency)
        if rng.random() < error_chance:
            raise LLMError(f"{model}: 500 internal error from provider")
        words = ["churn", "renewal", "expansion", "risk", "usage", "support", "pricing"]
        content = " ".join(rng.choice(words) for _ in range(completion_tokens // 8))
        return ChatCompletion(
            id=f"chatcmpl-{digest.hexdigest()[:12]}",
            model=f"{model}-sim",
            choices=[Choice(0, Message("assistant", content), "stop")],
            usage=Usage(prompt_tokens, completion_tokens, prompt_tokens + completion_tokens),
        )


@dataclass
class _Chat:
    completions: _Completions


class SimulatedLLM:
    """``SimulatedLLM(config).chat.completions.create(model=..., messages=[...])``."""

    def __init__(self, config: DemoConfig) -> None:
        self.chat = _Chat(_Completions(config))
