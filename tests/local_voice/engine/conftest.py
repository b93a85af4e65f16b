"""Shared fixtures of the speech engine's tests (against real Vosk)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import home_assistant_intents
import pytest

from custom_components.voice_guard.local_voice.engine.phrases import PhraseSet, build_phrase_set
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine

from ...speech import MODEL_PATH


@pytest.fixture
async def engine() -> AsyncIterator[VoskEngine]:
    """A loaded embedded engine with the Korean model and two decoders."""
    vosk = VoskEngine(MODEL_PATH, "ko", max_decoders=2)
    await vosk.async_load()
    yield vosk
    await vosk.async_close()


@pytest.fixture
async def phrases(engine: VoskEngine) -> PhraseSet:
    """A home with lights in four areas, switched on and off by its own sentences.

    The engine's mechanics are tested with a small custom-sentence grammar: with all of
    Home Assistant's Korean light templates (about 800-1,700 phrases, depending on the
    version) the decoder drifts on this synthetic speech — measured, see the README.
    """
    areas = {area: [f"area.{n}"] for n, area in enumerate(("거실", "부엌", "침실", "현관"))}
    sentences = {
        "language": "ko",
        "intents": {
            "HassTurnOn": {
                "data": [{"sentences": ["{area} (불|조명) 켜줘"], "slots": {"domain": "light"}}]
            },
            "HassTurnOff": {
                "data": [{"sentences": ["{area} (불|조명) 꺼"], "slots": {"domain": "light"}}]
            },
        },
    }
    return build_phrase_set(
        "ko",
        sentences,
        {},
        areas,
        known_word=engine.known_word,
        language_data=home_assistant_intents.get_intents("ko"),
    )
