"""Phrase mode's decision: which action of the home, if any, an utterance asks for.

The exact grammar's decoder gives its n best hypotheses with their scores (log
likelihoods). Each hypothesis gets a posterior, softmax(ALPHA * score) over the list, and
the posteriors are added up by *action*: what Home Assistant would do with the sentence,
its intent and the entities and areas its slots resolve to (PhraseSet.meaning). Two
wordings of the same action ("거실 불 꺼", "거실의 등 꺼") support each other instead of
being rivals; on and off of the same target are two actions, so they compete. Garbage
words (speech that is no command) are one more outcome, "no command".

An action is acted on only when its posterior reaches the threshold of the user's
*strictness*: higher means fewer wrong actions and more "not recognised". ALPHA and the
thresholds were chosen on the calibration half of bench/roundtrip.py and reported on its
evaluation half (README, Performance).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
import math
from typing import Any

# Scale of Vosk's scores in the softmax, and the posterior an action needs per strictness,
# from bench/roundtrip.py (2026-12-07). The thresholds were chosen on the calibration half
# of the 12-entity home at this ALPHA: the highest recall whose wrong actions and
# non-commands acted on stay within 10 % (relaxed), 6 % (balanced) and 2 % with no on/off
# flip (strict). ALPHA 0.1 to 0.5 traded recall for errors alike on the benchmark; below
# 0.5 the posterior becomes a vote of the 30 hypotheses, which caps a clearly spoken
# command in a home of several areas near 0.6 (its wordings for the other areas share
# the vote), so 0.5.
ALPHA = 0.5
STRICTNESS: dict[str, float] = {"relaxed": 0.85, "balanced": 0.92, "strict": 0.99}
DEFAULT_STRICTNESS = "balanced"


def threshold(strictness: str) -> float:
    """Return the posterior a strictness needs (the default's for an unknown one)."""
    return STRICTNESS.get(strictness, STRICTNESS[DEFAULT_STRICTNESS])


# A hypothesis weighing less than this share is not looked at (hassil takes a millisecond
# or two per sentence; 30 hypotheses are mostly variants far behind the best).
NEGLIGIBLE = 1e-3

type Action = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, slots=True)
class Decision:
    """What phrase mode makes of an utterance (never stored or logged above debug)."""

    command: str | None  # the sentence handed to Assist; None: no command
    action: Action | None  # the most probable action, acted on or not
    posterior: float  # that action's posterior (0 when no hypothesis is a command)
    no_command: float  # the posterior of "no command" (garbage words, nothing heard)


def action_posteriors(
    hypotheses: Sequence[tuple[str, float]],
    meaning: Callable[[str], Action | None],
    *,
    alpha: float = ALPHA,
) -> tuple[list[tuple[Action, float, str]], float]:
    """Return each action's posterior (best first, with its best wording) and no command's.

    hypotheses are (text, score), in any order; meaning tells a text's action (None for
    no command).
    """
    if not hypotheses:
        return [], 1.0
    best = max(score for _, score in hypotheses)
    weights = [math.exp(alpha * (score - best)) for _, score in hypotheses]
    total = sum(weights)
    actions: dict[Action, list[Any]] = {}
    nothing = 0.0
    for (text, _), weight in zip(hypotheses, weights, strict=True):
        if weight / total < NEGLIGIBLE:
            continue
        action = meaning(text)
        if action is None:
            nothing += weight / total
            continue
        found = actions.setdefault(action, [0.0, text])
        found[0] += weight / total
    ranked = sorted(
        ((action, float(p), str(text)) for action, (p, text) in actions.items()),
        key=lambda item: -item[1],
    )
    return ranked, nothing


def decide(
    hypotheses: Sequence[tuple[str, float]],
    meaning: Callable[[str], Action | None],
    match: Callable[[str], str | None],
    *,
    threshold: float,
    alpha: float = ALPHA,
) -> Decision:
    """Return the action whose posterior reaches threshold, as the sentence to act on."""
    ranked, nothing = action_posteriors(hypotheses, meaning, alpha=alpha)
    if not ranked:
        return Decision(None, None, 0.0, nothing)
    action, posterior, text = ranked[0]
    command = match(text) if posterior >= threshold else None
    return Decision(command, action, posterior, nothing)
