"""Voice Guard's own words: what no Home Assistant translation category holds.

The panel's words, the logbook entries, the privacy report's sentences, the category and
pipeline-stage names live in words/<language>.json (English and German), one flat object
of templates with {placeholders}. Translations proper (entities, errors, repairs, forms)
stay in translations/ where Home Assistant expects them. A word missing in a language is
the English one; a language Voice Guard does not speak ("fr", "de-CH" falls back to "de")
is English.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
import re

from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

FOLDER = Path(__file__).parent / "words"
# ICU's plural, as far as English and German need it: one / other.
_PLURAL = re.compile(r"\{(?P<name>\w+), plural, (?P<forms>(?:\w+ \{[^{}]*\} ?)+)\}")
_FORM = re.compile(r"(\w+) \{([^{}]*)\}")
_CACHE: HassKey[dict[str, Words]] = HassKey("voice_guard_words")


@dataclass(frozen=True, slots=True)
class Words:
    """The words of one language, English where one is missing."""

    templates: dict[str, str]

    def __call__(self, key: str, /, **placeholders: str) -> str:
        """Return the template of key filled in (the key itself if it has none).

        A count takes its noun's form as ICU messages write it: "{hosts, plural, one {#
        host} other {# hosts}}" (# is the number); the rest are {placeholders}.
        """
        template = self.templates.get(key, key)

        def plural(found: re.Match[str]) -> str:
            value = placeholders.get(found["name"], "")
            forms: dict[str, str] = dict(_FORM.findall(found["forms"]))
            form = forms.get("one") if value == "1" else None
            chosen: str = form if form is not None else forms.get("other", "")
            return chosen.replace("#", value)

        return _PLURAL.sub(plural, template).format(**placeholders)

    def starting(self, prefix: str) -> dict[str, str]:
        """Return the templates whose keys start with prefix (the panel's, say)."""
        return {k: v for k, v in self.templates.items() if k.startswith(prefix)}


def _read(language: str) -> dict[str, str]:
    """Read words/<language>.json ({} where there is none)."""
    try:
        return dict(json.loads((FOLDER / f"{language}.json").read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}


def _spoken(language: str) -> list[str]:
    """Return the files to read for a language tag, most general first."""
    primary = language.split("-", 1)[0].lower()
    return list(dict.fromkeys(["en", primary, language]))


async def async_words(hass: HomeAssistant, language: str | None = None) -> Words:
    """Return the words of a language (the home's by default), read once."""
    tag = language or hass.config.language
    cache = hass.data.setdefault(_CACHE, {})
    if (words := cache.get(tag)) is None:

        def load() -> dict[str, str]:
            merged: dict[str, str] = {}
            for name in _spoken(tag):
                if (FOLDER / f"{name}.json").resolve().parent == FOLDER.resolve():
                    merged.update(_read(name))
            return merged

        words = cache[tag] = Words(await hass.async_add_executor_job(load))
    return words
