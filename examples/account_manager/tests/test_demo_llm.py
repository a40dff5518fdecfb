"""The demo's simulated LLM: an OpenAI-shaped client, repeatable for a seed, with faults."""

from __future__ import annotations

import asyncio
from collections import Counter
from types import SimpleNamespace

import pytest

from account_manager import llm
from account_manager.llm import LLMError, SimulatedLLM
from account_manager.world import DemoConfig

PROMPTS = [f"Summarise account ACC-{n:05d}" for n in range(1, 301)]


def outcomes(config: DemoConfig) -> list[object]:
    """Each prompt asked once, in order: the completion, or the exception it raised."""

    async def ask_all() -> list[object]:
        llm = SimulatedLLM(config)
        results: list[object] = []
        for prompt in PROMPTS:
            try:
                results.append(
                    await llm.chat.completions.create(
                        model="gpt-4o", messages=[{"role": "user", "content": prompt}], timeout=5.0
                    )
                )
            except (LLMError, TimeoutError) as error:
                results.append(error)
        return results

    return asyncio.run(ask_all())


def kinds(results: list[object]) -> Counter[str]:
    return Counter(type(r).__name__ for r in results)


def test_openai_shape_and_token_counts():
    [first, *_] = [r for r in outcomes(DemoConfig(seed=5, speed=0)) if not isinstance(r, Exception)]
    assert first.id.startswith("chatcmpl-") and first.model == "gpt-4o-sim"
    [choice] = first.choices
    assert (choice.index, choice.message.role, choice.finish_reason) == (0, "assistant", "stop")
    assert choice.message.content
    usage = first.usage
    assert usage.prompt_tokens == max(8, len(PROMPTS[0]) // 4)
    assert 40 <= usage.completion_tokens <= 320
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_same_seed_same_answers_and_failures_other_seed_not():
    def fingerprint(seed: int) -> list[tuple[str, object]]:
        return [
            (type(r).__name__, str(r) if isinstance(r, Exception) else (r.id, r.usage, r.choices))
            for r in outcomes(DemoConfig(seed=seed, speed=0))
        ]

    assert fingerprint(5) == fingerprint(5)
    assert fingerprint(5) != fingerprint(6)


def test_errors_are_occasional_and_the_llm_errors_fault_makes_them_common():
    calm = kinds(outcomes(DemoConfig(seed=5, speed=0)))
    faulty = kinds(outcomes(DemoConfig(seed=5, speed=0, faults=frozenset({"llm-errors"}))))
    assert calm["ChatCompletion"] > 0.9 * len(PROMPTS), calm
    assert 0 < calm["LLMError"] < 0.06 * len(PROMPTS), calm
    assert calm["TimeoutError"] > 0, calm  # a few calls never answer and hit the timeout
    assert 0.25 * len(PROMPTS) < faulty["LLMError"] < 0.45 * len(PROMPTS), faulty


def test_latency_grows_with_the_answer_and_llm_slow_multiplies_it(monkeypatch):
    """The latency each call takes is the one it decides, exactly; the call waits at least
    that long. Only a lower bound is asked of the clock: a loaded machine makes every wait
    longer by its own amount, which is no property of the simulated LLM."""
    decided: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        decided.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(llm, "asyncio", SimpleNamespace(sleep=sleep))

    async def timed(config: DemoConfig) -> list[tuple[int, float, float]]:
        """(completion tokens, latency decided, seconds waited) of each call that answered."""
        client = SimulatedLLM(config)
        loop = asyncio.get_running_loop()
        found = []
        for prompt in PROMPTS[:12]:
            decided.clear()
            started = loop.time()
            try:
                answer = await client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
                )
            except (LLMError, TimeoutError):
                continue
            [latency] = decided
            found.append((answer.usage.completion_tokens, latency, loop.time() - started))
        return found

    normal = asyncio.run(timed(DemoConfig(seed=9, speed=0.2)))
    slow = asyncio.run(timed(DemoConfig(seed=9, speed=0.2, faults=frozenset({"llm-slow"}))))
    assert len(normal) >= 10, "most calls answer"
    for tokens, latency, waited in normal:  # 20 ms plus 0.2 ms a token, times the speed factor
        assert latency == pytest.approx((0.02 + tokens * 0.0002) * 0.2)
        assert waited >= latency * 0.95
    # The same seed gives the same answers; llm-slow makes each one six times as slow.
    assert [tokens for tokens, _, _ in slow] == [tokens for tokens, _, _ in normal]
    for (_, latency, _), (_, slower, waited) in zip(normal, slow, strict=True):
        assert slower == pytest.approx(6 * latency)
        assert waited >= slower * 0.95
