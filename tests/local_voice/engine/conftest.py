"""Shared fixtures of the speech engine's tests (against real Vosk)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine

from ...speech import MODEL_PATH


@pytest.fixture
async def engine() -> AsyncIterator[VoskEngine]:
    """A loaded embedded engine with the Korean model and two decoders."""
    vosk = VoskEngine(MODEL_PATH, "ko", max_decoders=2)
    await vosk.async_load()
    yield vosk
    await vosk.async_close()
