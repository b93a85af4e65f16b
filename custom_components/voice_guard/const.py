"""Constants for Voice Guard."""

from __future__ import annotations

import logging
import os
from typing import Final

DOMAIN: Final = "voice_guard"
NAME: Final = "Voice Guard"
LOGGER = logging.getLogger(__package__)

# Options of the main entry (speech-to-text settings).
CONF_MAX_DECODERS: Final = "max_decoders"
CONF_SILENCE_MS: Final = "silence_ms"
CONF_MAX_SECONDS: Final = "max_seconds"

DEFAULT_MAX_DECODERS: Final = max(1, os.cpu_count() or 1)
DEFAULT_SILENCE_MS: Final = 300
DEFAULT_MAX_SECONDS: Final = 30

MIN_SILENCE_MS: Final = 150
MAX_SILENCE_MS: Final = 3000
MIN_MAX_SECONDS: Final = 5
MAX_MAX_SECONDS: Final = 120
MAX_MAX_DECODERS: Final = 32
