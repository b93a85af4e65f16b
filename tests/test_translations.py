"""Every translation string obeys the rules of hassfest and of the frontend's formatter.

hassfest (Home Assistant's validator) refuses strings that look like HTML, placeholders
in single quotes, combined references, padded strings and URLs with a domain name (they
belong in description placeholders). The frontend formats strings as ICU messages: a
`<word>` reads as an unclosed tag ("Translation error: UNCLOSED_TAG") and braces must be
placeholders. Both languages must offer the same placeholders for the same key.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.helpers import config_validation as cv
import pytest

TRANSLATIONS = Path(__file__).parent.parent / "custom_components" / "voice_guard" / "translations"
LANGUAGES = ("en", "de")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLURAL = re.compile(r"\{(\w+), plural, (?:\w+ \{[^{}]*\} ?)+\}")
SINGLE_QUOTED_PLACEHOLDER = re.compile(r"'\{\w+\}'")
COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
# A URL whose host has a letter in it (an IP address is fine as an example).
URL_WITH_DOMAIN = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/]*[a-z]", re.IGNORECASE)
TAG_LIKE = re.compile(r"</?[A-Za-z][^>]*>?")


def _strings(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _strings(value, path)
        else:
            yield path, value


def _load(language: str) -> dict[str, str]:
    return dict(_strings(json.loads((TRANSLATIONS / f"{language}.json").read_text())))


ALL = {language: _load(language) for language in LANGUAGES}
# Voice Guard's own words (panel, logbook, report sentences): words/<language>.json.
WORDS_FOLDER = TRANSLATIONS.parent / "words"
WORDS = {
    language: json.loads((WORDS_FOLDER / f"{language}.json").read_text()) for language in LANGUAGES
}


def _problems(text: str) -> list[str]:
    problems = []
    try:
        cv.string_with_no_html(text)
    except Exception:  # noqa: BLE001 - voluptuous or probatio, by version
        problems.append("looks like HTML")
    if TAG_LIKE.search(text):
        problems.append("reads as a tag in the frontend")
    if SINGLE_QUOTED_PLACEHOLDER.search(text):
        problems.append("placeholder in single quotes")
    if COMBINED_REFERENCE.search(text) or "[%key:" in text:
        problems.append("reference (works only in core)")
    if text != text.strip():
        problems.append("leading or trailing space")
    if URL_WITH_DOMAIN.search(text):
        problems.append("URL outside a placeholder")
    if PLACEHOLDER.sub("", text).count("{") or PLACEHOLDER.sub("", text).count("}"):
        problems.append("brace that is no placeholder")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_passes_hassfest_and_the_frontend(language: str) -> None:
    """No string would be refused by hassfest or shown as a translation error."""
    bad = {key: problems for key, text in ALL[language].items() if (problems := _problems(text))}
    assert bad == {}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    """A key missing in one language, or a placeholder only one uses, is a defect."""
    en, de = ALL["en"], ALL["de"]
    assert set(en) == set(de)
    differ = {
        key: (sorted(set(PLACEHOLDER.findall(en[key]))), sorted(set(PLACEHOLDER.findall(de[key]))))
        for key in en
        if set(PLACEHOLDER.findall(en[key])) != set(PLACEHOLDER.findall(de[key]))
    }
    assert differ == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_our_own_words_are_clean_and_complete(language: str) -> None:
    """The words files obey the same rules, with the same keys and placeholders as English."""
    words = WORDS[language]
    # A count's ICU plural ({n, plural, one {# host} other {# hosts}}) is ours to format.
    bad = {
        key: problems
        for key, text in words.items()
        if (problems := _problems(PLURAL.sub(r"{\1}", text)))
    }
    assert bad == {}
    assert set(words) == set(WORDS["en"])

    def names(text: str) -> set[str]:
        return set(PLACEHOLDER.findall(PLURAL.sub(r"{\1}", text)))

    for key, text in words.items():
        assert names(text) == names(WORDS["en"][key]), key


def test_exceptions_hold_only_errors() -> None:
    """What Home Assistant shows as an error is an error: panel and report words are ours."""
    others = ("panel_", "summary_", "logbook_", "category_", "stage_")
    assert not [k for k in ALL["en"] if k.startswith("exceptions.") and k[11:].startswith(others)]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Folders named vosk-model-<language>", "reads as a tag in the frontend"),
        ("Usually http://pi.hole", "URL outside a placeholder"),
        ("The '{name}' device", "placeholder in single quotes"),
        ("Trailing ", "leading or trailing space"),
        ("A {brace", "brace that is no placeholder"),
    ],
)
def test_the_rules_catch_what_hassfest_refused(text: str, problem: str) -> None:
    """The checks find the strings hassfest and the frontend refused before."""
    assert problem in _problems(text)
    assert _problems("Usually {example_url}, for example http://192.168.1.2") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_device_triggers_name_no_entity(language: str) -> None:
    """Guarded devices' triggers have no entity: "{entity_name}" reads "<unknown entity>"."""
    strings = _load(language)
    triggers = {k: v for k, v in strings.items() if k.startswith("device_automation.")}
    assert triggers
    for key, text in triggers.items():
        assert "{entity_name}" not in text, key
