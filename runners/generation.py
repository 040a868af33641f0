"""Generation of decoder models, timed token by token: prefill, per-token decode, end to end.

``generate()`` hands every new token to a streamer's ``put`` (after copying it to the host,
which waits for the device), so the clock read there marks when each token existed. One
iteration gives: the prefill (from the call to the first new token: the prompt's forward pass
and the first token's choice), ``new_tokens - 1`` decode steps (token to token, with the KV
cache), and the whole call. Three Results per configuration come from the same iterations:
scenario ``prefill`` (prompt tokens/s), ``decode`` (one sample per decode step; tokens/s of
the batch) and ``generate`` (the whole call; new tokens/s).
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any, Callable

from benchwh.runners.loading import Device, LoadedModel, generate_kwargs, synchronize

PREFILL, DECODE, GENERATE = "prefill", "decode", "generate"


class TokenClock:
    """A ``generate`` streamer that only reads the clock: the first ``put`` is the prompt."""

    def __init__(self) -> None:
        self.times: list[int] = []

    def put(self, value: Any) -> None:
        self.times.append(time.perf_counter_ns())

    def end(self) -> None:
        pass


def timed_generation(lm: LoadedModel, inputs: dict, new_tokens: int, device: Device,
                     torch: ModuleType, iterations: int, warmup: int) -> dict[str, list[float]]:
    """``iterations`` timed ``generate`` calls after ``warmup`` untimed ones; samples in ms:
    ``{"prefill": [...], "decode": [...], "generate": [...]}``. Raises when a call did not
    produce exactly ``new_tokens`` tokens (the decode samples would not be what they say)."""
    kw = generate_kwargs(lm, new_tokens)
    model = lm.model

    def once() -> tuple[int, TokenClock, int]:
        clock = TokenClock()
        synchronize(device, torch)
        t0 = time.perf_counter_ns()
        model.generate(**inputs, **kw, streamer=clock)
        synchronize(device, torch)
        return t0, clock, time.perf_counter_ns()

    for _ in range(warmup):
        once()
    out: dict[str, list[float]] = {PREFILL: [], DECODE: [], GENERATE: []}
    for _ in range(iterations):
        t0, clock, t1 = once()
        tokens = clock.times[1:]  # times[0]: the prompt handed over before the first step
        if len(tokens) != new_tokens:
            raise RuntimeError(f"generate produced {len(tokens)} new token(s), expected {new_tokens}")
        out[PREFILL].append((tokens[0] - t0) / 1e6)
        out[DECODE].extend((b - a) / 1e6 for a, b in zip(tokens, tokens[1:]))
        out[GENERATE].append((t1 - t0) / 1e6)
    return out


def prompt_tokens(inputs: dict, batch: int) -> int | None:
    """Tokens the prefill reads for the whole batch (text and image placeholders alike)."""
    ids = inputs.get("input_ids")
    return int(ids.shape[0] * ids.shape[1]) if ids is not None else None


def rates(scenario: str, batch: int, new_tokens: int, prompt: int | None,
          mean_ms: float, per_second: Callable) -> tuple[float | None, float | None]:
    """(items/s, tokens/s) of one generation scenario's mean latency."""
    if scenario == PREFILL:
        return per_second(batch, mean_ms), per_second(prompt, mean_ms) if prompt else None
    if scenario == DECODE:
        return None, per_second(batch, mean_ms)
    return per_second(batch, mean_ms), per_second(batch * new_tokens, mean_ms)
