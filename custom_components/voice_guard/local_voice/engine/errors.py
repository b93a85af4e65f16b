"""Errors of the speech engine, each with a stable reason code for translations."""

from __future__ import annotations


class SpeechError(Exception):
    """A recognition or engine failure, with a machine-readable reason."""

    reason = "speech_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        """Describe the failure; reason defaults to the class's."""
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class AudioError(SpeechError):
    """The audio stream cannot be recognised (empty, malformed, too long...)."""

    reason = "bad_audio"


class EngineUnavailableError(SpeechError):
    """The engine cannot be used (library missing, server unreachable, closed)."""

    reason = "engine_unavailable"


class ModelError(SpeechError):
    """A model folder is missing, incomplete or cannot be loaded."""

    reason = "invalid_model"
