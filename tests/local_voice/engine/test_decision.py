"""Phrase mode's decision by action posterior (engine.decision), on a phrase set of its own."""

from __future__ import annotations

import math

import pytest

from custom_components.voice_guard.local_voice.engine import decision
from custom_components.voice_guard.local_voice.engine.phrases import (
    MAX_REMEMBERED,
    PhraseSet,
    build_phrase_set,
)

SENTENCES = {
    "language": "ko",
    "intents": {
        "HassTurnOn": {"data": [{"sentences": ["{area}에 있는 {name} 켜줘"]}]},
        "HassTurnOff": {"data": [{"sentences": ["{area}에 있는 {name} 꺼"]}]},
    },
}
ON = "부엌에 있는 스탠드 켜줘"
ON_OTHER_NAME = "부엌에 있는 램프 켜줘"  # the same light by its alias
OFF = "부엌에 있는 스탠드 꺼"
ELSEWHERE = "거실에 있는 스탠드 켜줘"
BALANCED = decision.STRICTNESS["balanced"]


@pytest.fixture(scope="module")
def phrases() -> PhraseSet:
    """A light called 스탠드 and 램프 in two areas."""
    return build_phrase_set(
        "ko",
        SENTENCES,
        {"스탠드": ["light.stand"], "램프": ["light.stand"]},
        {"부엌": ["area.kitchen"], "거실": ["area.living_room"]},
    )


def _decide(phrases: PhraseSet, hypotheses: list[tuple[str, float]], **kwargs: float) -> str | None:
    found = decision.decide(hypotheses, phrases.meaning, phrases.match, **kwargs)
    return found.command


def test_two_names_of_one_light_are_one_action(phrases: PhraseSet) -> None:
    assert phrases.meaning(ON) == phrases.meaning(ON_OTHER_NAME)
    assert phrases.meaning(ON) != phrases.meaning(ELSEWHERE)
    assert phrases.meaning(ON) != phrases.meaning(OFF)


def test_wordings_of_one_action_add_up_where_the_old_margin_gave_up(
    phrases: PhraseSet,
) -> None:
    """Each wording alone is below the threshold; together they carry the action."""
    hypotheses = [(ON, 80.0), (ON_OTHER_NAME, 80.0), (ELSEWHERE, 78.0)]
    ranked, nothing = decision.action_posteriors(hypotheses, phrases.meaning, alpha=1.0)
    (best, posterior, _), (_, rival, _) = ranked
    assert best == phrases.meaning(ON)
    behind = math.exp(-2.0)  # the other area, two points behind
    assert posterior == pytest.approx(2 / (2 + behind))
    assert rival == pytest.approx(behind / (2 + behind))
    assert nothing == 0.0
    assert 1 / (2 + behind) < BALANCED <= posterior  # one wording alone would not do
    assert _decide(phrases, hypotheses, alpha=1.0, threshold=BALANCED) == ON


def test_on_and_off_of_one_light_compete(phrases: PhraseSet) -> None:
    """The opposite close behind is no sure command; far behind, the command is."""
    assert _decide(phrases, [(ON, 80.0), (OFF, 80.0)], alpha=1.0, threshold=BALANCED) is None
    assert _decide(phrases, [(ON, 80.0), (OFF, 70.0)], alpha=1.0, threshold=BALANCED) == ON
    assert _decide(phrases, [(OFF, 80.0), (ON, 70.0)], alpha=1.0, threshold=BALANCED) == OFF


def test_speech_that_is_no_command_carries_its_own_weight(phrases: PhraseSet) -> None:
    """Garbage words ahead of the command: no command."""
    found = decision.decide(
        [("안녕", 80.0), (ON, 79.0)], phrases.meaning, phrases.match, threshold=BALANCED,
        alpha=1.0,
    )  # fmt: skip
    assert found.command is None
    assert found.action == phrases.meaning(ON)
    assert found.no_command > found.posterior
    empty = decision.decide([], phrases.meaning, phrases.match, threshold=0.0)
    assert (empty.command, empty.action, empty.no_command) == (None, None, 1.0)


def test_stricter_levels_need_more_certainty(phrases: PhraseSet) -> None:
    """A posterior of ~0.95 is acted on when relaxed or balanced, not when strict."""
    levels = decision.STRICTNESS
    assert levels["relaxed"] < levels["balanced"] < levels["strict"] < 1
    hypotheses = [(ON, 80.0), (ELSEWHERE, 77.0)]
    posterior = decision.decide(hypotheses, phrases.meaning, phrases.match, threshold=1, alpha=1.0)
    assert levels["balanced"] <= posterior.posterior < levels["strict"]
    assert _decide(phrases, hypotheses, alpha=1.0, threshold=levels["relaxed"]) == ON
    assert _decide(phrases, hypotheses, alpha=1.0, threshold=levels["balanced"]) == ON
    assert _decide(phrases, hypotheses, alpha=1.0, threshold=levels["strict"]) is None


def test_negligible_hypotheses_are_not_even_matched(phrases: PhraseSet) -> None:
    """The matcher is asked only about hypotheses that could matter."""
    asked: list[str] = []

    def meaning(text: str) -> decision.Action | None:
        asked.append(text)
        return phrases.meaning(text)

    decision.action_posteriors([(ON, 80.0), (OFF, 60.0)], meaning, alpha=1.0)
    assert asked == [ON]


def test_the_command_handed_on_is_the_best_wording_as_written(phrases: PhraseSet) -> None:
    found = decision.decide(
        [(ON_OTHER_NAME, 80.0), (ON, 79.0)], phrases.meaning, phrases.match, threshold=0.5
    )
    assert found.command == ON_OTHER_NAME


def test_what_the_matcher_remembers_is_bounded(phrases: PhraseSet) -> None:
    """Every recognition asks about up to 30 new texts: the memory of them cannot grow."""
    for n in range(3 * MAX_REMEMBERED):
        phrases.meaning(f"부엌에 있는 스탠드 켜줘 {n}")
        assert len(phrases._seen) <= MAX_REMEMBERED
    assert phrases.meaning(ON) is not None  # still right after the memory was emptied


def test_a_command_like_sentence_for_an_area_the_home_lacks_is_not_forced(
    phrases: PhraseSet,
) -> None:
    """A study the home has not ("서재에 있는 스탠드 켜줘") decodes to both areas alike.

    Its belief is split between the home's two areas and garbage: no action reaches the
    threshold, so nothing is switched.
    """
    hypotheses = [(ON, 80.0), (ELSEWHERE, 79.8), ("안녕", 79.5)]
    found = decision.decide(hypotheses, phrases.meaning, phrases.match, threshold=BALANCED)
    assert found.command is None
    assert found.posterior < BALANCED
