"""Speech-to-text platform: the entity lives with local voice (local_voice/stt.py)."""

from .local_voice.stt import async_setup_entry

# The engine bounds its decoders itself (max_decoders).
PARALLEL_UPDATES = 0

__all__ = ["PARALLEL_UPDATES", "async_setup_entry"]
