"""Constants for Voice Guard."""

from __future__ import annotations

from datetime import timedelta
import logging
import os
from typing import Final

DOMAIN: Final = "voice_guard"
NAME: Final = "Voice Guard"
LOGGER = logging.getLogger(__package__)

# Data of the main entry: which engine recognises speech.
CONF_ENGINE: Final = "engine"
ENGINE_EMBEDDED: Final = "embedded"
ENGINE_WYOMING: Final = "wyoming"
CONF_MODEL_PATH: Final = "model_path"
CONF_LANGUAGE: Final = "language"
CONF_LANGUAGES: Final = "languages"
CONF_MODEL_NAME: Final = "model_name"
VOSK_REQUIREMENT: Final = "vosk==0.3.45"
MODELS_FOLDER: Final = "voice_guard/models"
# Per-home model folders of the exact grammar, beside the models (hidden: no model list
# shows them).
GRAMMAR_FOLDER: Final = ".home"
# Entry options that override the engine data; dropped when the engine is reconfigured.
ENGINE_OPTIONS: Final = (CONF_MODEL_PATH, CONF_LANGUAGE, CONF_LANGUAGES)
DEFAULT_WYOMING_PORT: Final = 10300

# Options of the main entry (speech-to-text settings).
CONF_MAX_DECODERS: Final = "max_decoders"
CONF_SILENCE_MS: Final = "silence_ms"
CONF_MAX_SECONDS: Final = "max_seconds"
CONF_MODE: Final = "mode"
CONF_STRICTNESS: Final = "strictness"

DEFAULT_MAX_DECODERS: Final = max(1, os.cpu_count() or 1)
DEFAULT_SILENCE_MS: Final = 300
DEFAULT_MAX_SECONDS: Final = 30
# Recognition modes (engine.base): open vocabulary, phrase, or hybrid (phrase first).
DEFAULT_MODE: Final = "hybrid"
# How sure phrase mode must be to act (engine.decision.STRICTNESS).
DEFAULT_STRICTNESS: Final = "balanced"

MIN_SILENCE_MS: Final = 150
MAX_SILENCE_MS: Final = 3000
MIN_MAX_SECONDS: Final = 5
MAX_MAX_SECONDS: Final = 120
MAX_MAX_DECODERS: Final = 32

# Entries come in two kinds: the speech engine, and DNS filters with guarded devices.
CONF_KIND: Final = "kind"
KIND_SPEECH: Final = "speech"
KIND_FILTER: Final = "filter"
CONF_FILTER: Final = "filter"
FILTER_ADGUARD: Final = "adguard_home"
FILTER_PIHOLE: Final = "pihole"

# Guarded devices: subentries of a filter entry.
SUBENTRY_DEVICE: Final = "guarded_device"
CONF_DEVICE_TYPE: Final = "device_type"
CONF_IP: Final = "ip_address"
CONF_MAC: Final = "mac"
CONF_LINKED_DEVICE: Final = "linked_device"
CONF_AREA: Final = "area_id"
CONF_EXTRA_VOICE_HOSTS: Final = "extra_voice_hosts"
CONF_EXTRA_TELEMETRY_HOSTS: Final = "extra_telemetry_hosts"
# Days with rules in force and not one guarded lookup before a repair says the device may
# resolve its cloud elsewhere (per guarded device).
CONF_NO_ATTEMPT_DAYS: Final = "no_attempt_days"
# Extra hosts one guarded device may have per category (each is a rule in the filter).
MAX_EXTRA_HOSTS: Final = 100
DEFAULT_NO_ATTEMPT_DAYS: Final = 3
CONF_INITIAL_BLOCKS: Final = "initial_blocks"

EVENT_REQUEST_BLOCKED: Final = "voice_guard_request_blocked"
EVENT_LOOKUP_ANSWERED: Final = "voice_guard_lookup_answered"
EVENT_NEW_HOST: Final = "voice_guard_new_host"
# A guarded device's logbook entry in words (logbook.py describes it, with its icon).
EVENT_LOGBOOK: Final = "voice_guard_logbook"
GUARD_SCAN_INTERVAL: Final = timedelta(seconds=30)
ATTEMPT_WINDOW: Final = timedelta(minutes=1)
HISTORY_WINDOW: Final = timedelta(hours=24)

# Never in diagnostics: network addresses identify the home's network and its devices,
# and diagnostics are shared in public issues.
TO_REDACT: Final = {"host", "server", "password", "username", "url", CONF_IP, CONF_MAC}

# Sent when the audit of Assist pipelines ran (the cloud pipelines sensor updates).
SIGNAL_AUDIT: Final = f"{DOMAIN}_pipeline_audit"
