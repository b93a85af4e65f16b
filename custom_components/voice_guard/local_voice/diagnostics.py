"""Diagnostics of the speech entry: settings, the engine's timings, the phrase set's size.

Never audio or text: the engine and the phrase manager report figures only.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data

from ..const import TO_REDACT
from .data import SpeechConfigEntry


def speech_diagnostics(entry: SpeechConfigEntry) -> dict[str, Any]:
    """Return the speech entry's diagnostics."""
    runtime = entry.runtime_data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "speech_settings": asdict(runtime.speech),
        "engine": async_redact_data(runtime.engine.diagnostics(), TO_REDACT),
        "phrases": runtime.phrases.diagnostics() if runtime.phrases else None,
    }
