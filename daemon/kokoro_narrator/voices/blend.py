"""Voice blends: `"af_bella*0.6 + af_sky*0.4"`, or `"af_bella+af_sky"` for equal weights.

A blend is the weighted mean of its voices' packs (Kokoro's style vectors, one row per
utterance length), as Kokoro-FastAPI and abogen blend them. Anywhere a voice is named (the
config, a sidecar, front matter, a voice folder) a blend may be. Its canonical spelling
(`af_bella*0.6+af_sky*0.4`: no spaces, weights as given) is what a job records, so the blend
is part of the job's identity and the same blend spelled twice is one job.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

PART = re.compile(r"^\s*([^*+\s]+)\s*(?:\*\s*([^*+\s]+)\s*)?$")


class BlendError(ValueError):
    """A blend that cannot be used; the message says which part and why."""


@dataclass(frozen=True)
class Blend:
    parts: tuple[tuple[str, float], ...]
    """(voice name, weight) in the order written; weights are positive."""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parts)

    @property
    def canonical(self) -> str:
        if len(self.parts) == 1 and self.parts[0][1] == 1.0:
            return self.parts[0][0]
        if len({weight for _, weight in self.parts}) == 1:
            return "+".join(self.names)
        return "+".join(f"{name}*{weight:g}" for name, weight in self.parts)


def is_blend(voice: str) -> bool:
    return "+" in voice or "*" in voice


def parse_blend(voice: str) -> Blend:
    """Given a voice or a blend as written, return its parts; raise BlendError naming what is wrong."""
    parts = []
    for piece in voice.split("+"):
        match = PART.match(piece)
        if not match:
            raise BlendError(f"{piece.strip() or '(empty)'!r} is not `voice` or `voice*weight` "
                             "(a blend is written af_bella*0.6 + af_sky*0.4, or af_bella+af_sky)")
        name, weight = match.group(1), match.group(2)
        try:
            value = 1.0 if weight is None else float(weight)
        except ValueError:
            raise BlendError(f"{name}: weight {weight!r} is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise BlendError(f"{name}: weight {weight} must be a number above 0")
        parts.append((name, value))
    names = [name for name, _ in parts]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise BlendError(f"a voice is named twice in the blend: {', '.join(twice)}")
    return Blend(tuple(parts))


def canonical_voice(voice: str) -> str:
    """A voice as a job records it: a blend in its canonical spelling (as written when it does not parse:
    the engine then refuses it with the reason), any other voice as it is."""
    if not is_blend(voice):
        return voice
    try:
        return parse_blend(voice).canonical
    except BlendError:
        return voice


def mix(packs: list, weights: list[float]):
    """The weighted mean of voice packs (torch tensors of one shape), summed in the order given."""
    total = sum(weights)
    mixed = packs[0] * (weights[0] / total)
    for pack, weight in zip(packs[1:], weights[1:]):
        if pack.shape != packs[0].shape:
            raise BlendError(f"voice packs of different shapes cannot be blended: {tuple(packs[0].shape)} and "
                             f"{tuple(pack.shape)}")
        mixed = mixed + pack * (weight / total)
    return mixed
