"""Local voice's forms: the speech settings' schema and what each field accepts.

config_flow.py holds only the steps; ranges, languages and the models on offer are here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import ipaddress
from pathlib import Path
import re
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
)

from ..compat import vol
from ..const import (
    CONF_ENGINE,
    CONF_MAX_DECODERS,
    CONF_MAX_SECONDS,
    CONF_MODE,
    CONF_MODEL_NAME,
    CONF_MODEL_PATH,
    CONF_SILENCE_MS,
    CONF_STRICTNESS,
    ENGINE_WYOMING,
    MAX_MAX_DECODERS,
    MAX_MAX_SECONDS,
    MAX_SILENCE_MS,
    MIN_MAX_SECONDS,
    MIN_SILENCE_MS,
    MODELS_FOLDER,
    NAME,
)
from ..text import is_language_tag
from .data import SpeechSettings
from .engine.base import MODES
from .engine.decision import STRICTNESS
from .engine.models import model_name, packaged_models

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
MAX_HOST = 253
# What a Wyoming server's refusal says in the form (anything else: cannot connect).
WYOMING_ERRORS = frozenset({"no_asr", "not_wyoming"})


def host_error(host: str) -> str | None:
    """Check a server's host: a host name or an IP address, one printable word."""
    text = host.strip()
    if text.startswith("[") != text.endswith("]"):
        return "invalid_host"
    text = text.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(text)
    except ValueError:
        labels = text.rstrip(".").split(".")
        if len(text) > MAX_HOST or not all(_HOST_LABEL.match(label) for label in labels):
            return "invalid_host"
    return None


def wyoming_error(reason: str) -> str:
    """Return the form's error for a Wyoming server's refusal."""
    return reason if reason in WYOMING_ERRORS else "cannot_connect"


LARGEST = 10**15  # past any range here; beyond it a number is invalid data


def whole_number() -> Callable[[Any], int]:
    """Coerce a form's number to an int; infinity and NaN are refused, not a 500.

    Built of validators the frontend can serialise (a plain function cannot be sent).
    """
    coerce: Callable[[Any], int] = vol.All(
        vol.Coerce(float), vol.Range(min=-LARGEST, max=LARGEST), vol.Coerce(int)
    )
    return coerce


def language_error(language: Any) -> str | None:
    """Check a language tag: one of a pipeline's, never empty, a control character or 10k."""
    return None if is_language_tag(language) else "invalid_language"


# The number settings and their ranges. The range is checked in the step, not by the
# selector, so that a value out of range gets a translated error that names the range.
SPEECH_RANGES: dict[str, tuple[int, int]] = {
    CONF_MAX_DECODERS: (1, MAX_MAX_DECODERS),
    CONF_SILENCE_MS: (MIN_SILENCE_MS, MAX_SILENCE_MS),
    CONF_MAX_SECONDS: (MIN_MAX_SECONDS, MAX_MAX_SECONDS),
}
SPEECH_RANGE_PLACEHOLDERS = {
    f"{bound}_{key}": str(value)
    for key, (low, high) in SPEECH_RANGES.items()
    for bound, value in (("min", low), ("max", high))
}


def speech_title(data: Mapping[str, Any]) -> str:
    """Title the speech entry by what it is, next to the filter entries' titles."""
    if data[CONF_ENGINE] == ENGINE_WYOMING:
        return f"{NAME} speech-to-text (Wyoming, {data[CONF_HOST]}:{data[CONF_PORT]})"
    name = data.get(CONF_MODEL_NAME) or model_name(Path(data[CONF_MODEL_PATH]))
    return f"{NAME} speech-to-text (Vosk, {str(name).replace('_', '-')})"


def speech_schema(current: SpeechSettings) -> vol.Schema:
    """Build the speech settings form, pre-filled with the current values."""

    def _number(step: int, unit: str | None) -> NumberSelector:
        config = NumberSelectorConfig(step=step, mode=NumberSelectorMode.BOX)
        if unit is not None:
            config["unit_of_measurement"] = unit
        return NumberSelector(config)

    return vol.Schema(
        {
            vol.Required(CONF_MODE, default=current.mode): SelectSelector(
                SelectSelectorConfig(options=list(MODES), translation_key=CONF_MODE)
            ),
            vol.Required(CONF_STRICTNESS, default=current.strictness): SelectSelector(
                SelectSelectorConfig(options=list(STRICTNESS), translation_key=CONF_STRICTNESS)
            ),
            vol.Required(CONF_MAX_DECODERS, default=current.max_decoders): vol.All(
                _number(1, None), whole_number()
            ),
            vol.Required(CONF_SILENCE_MS, default=current.silence_ms): vol.All(
                _number(50, "ms"), whole_number()
            ),
            vol.Required(CONF_MAX_SECONDS, default=current.max_seconds): vol.All(
                _number(1, "s"), whole_number()
            ),
        }
    )


def out_of_range(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Errors for the speech settings outside their range (the message names the range)."""
    return {
        key: f"{key}_out_of_range"
        for key, (low, high) in SPEECH_RANGES.items()
        if key in user_input and not low <= user_input[key] <= high
    }


def installed_models(models_dir: Path) -> list[tuple[Path, str]]:
    """List packaged and downloaded models on this machine, with a label (blocking)."""
    # "(Python)" reads the same in every language of the UI; the form says what it means.
    found = [(model.path, f"{model.package} (Python)") for model in packaged_models()]
    if models_dir.is_dir():
        found.extend(
            (path, f"{path.name} ({MODELS_FOLDER})")
            for path in sorted(models_dir.iterdir())
            if path.is_dir() and not path.name.startswith(".")
        )
    return found
