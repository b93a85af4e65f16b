"""Speech-to-text platform: the entity lives with local voice (local_voice/stt.py)."""

from .local_voice.stt import PARALLEL_UPDATES, async_setup_entry

__all__ = ["PARALLEL_UPDATES", "async_setup_entry"]
