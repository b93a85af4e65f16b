"""Phrase mode in Home Assistant: keep the grammar of what this home can say up to date.

The PhraseManager collects the names and aliases of the entities exposed to Assist, the
names and aliases of areas and floors, Home Assistant's sentence templates for the
language and the user's custom sentences, and builds the phrase set (engine.phrases) in
an executor. It rebuilds, debounced, whenever one of these changes, skips the build when
nothing that matters changed, reports words the model cannot say in a repair issue and
tells the phrase sensor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
import functools
import json
from pathlib import Path
from typing import Any

from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    floor_registry as fr,
    issue_registry as ir,
)
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml

from ..const import DOMAIN, LOGGER
from .capabilities import home_capabilities
from .engine.phrases import TEMPLATES, PhraseSet, build_phrase_set

SIGNAL_PHRASES = f"{DOMAIN}_phrases_built"
UNKNOWN_WORDS_ISSUE = "unknown_words"
CUSTOM_SENTENCES = "custom_sentences"
ASSISTANT = "conversation"
REBUILD_COOLDOWN = 2.0  # seconds: a burst of registry changes makes one build
MAX_LISTED_WORDS = 20


@dataclass(frozen=True, slots=True)
class HomeVocabulary:
    """What the people of this home can name: spoken name -> where it comes from."""

    names: dict[str, tuple[str, ...]]
    areas: dict[str, tuple[str, ...]]
    floors: dict[str, tuple[str, ...]]
    domains: frozenset[str]
    # What the exposed entities can do (capabilities.py): templates for anything else
    # are left out of the grammar.
    capabilities: frozenset[str] = frozenset()


def intents_language(language: str, available: list[str]) -> str | None:
    """Return the intents language for a speech language ("en-US" -> "en"), if any."""
    for candidate in (language, _base(language)):
        if candidate in available:
            return candidate
    return None


def _load_intents(language: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Return (templates for the grammar, all intent data of the language) (blocking).

    Where the intents package has a closed-vocabulary set made for speech-to-phrase, that
    is preferred; elsewhere the full templates are used.
    """
    import home_assistant_intents as hai  # noqa: PLC0415 - Home Assistant's requirement

    full_language = intents_language(language, hai.get_languages())
    full = hai.get_intents(full_language) if full_language else None
    get_curated = getattr(hai, "get_speech_to_phrase_intents", None)
    curated_languages: list[str] = getattr(hai, "get_speech_to_phrase_languages", list)()
    curated_language = intents_language(language, curated_languages)
    if get_curated is not None and curated_language is not None:
        return get_curated(curated_language), full
    return full, full


def _load_custom_sentences(folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Read <config>/custom_sentences/<language>/*.yaml: (contents, files refused)."""
    found: list[dict[str, Any]] = []
    refused: list[str] = []
    if not folder.is_dir():
        return found, refused
    for path in sorted(folder.rglob("*.yaml")):
        try:
            content = load_yaml(path)
        except (HomeAssistantError, OSError, UnicodeDecodeError) as err:
            LOGGER.warning("Custom sentences %s cannot be read: %s", path, err)
            refused.append(path.name)
            continue
        if not isinstance(content, dict) or not isinstance(content.get("intents", {}), dict):
            LOGGER.warning("Custom sentences %s are not in the expected format", path)
            refused.append(path.name)
            continue
        found.append(content)
    return found, refused


class PhraseManager:
    """The current phrase set of the speech entry, rebuilt when the home changes."""

    def __init__(
        self,
        hass: HomeAssistant,
        language: str,
        known_word: Callable[[str], bool] | None,
        *,
        prepare: Callable[[PhraseSet], Awaitable[None]] | None = None,
    ) -> None:
        """Prepare; call async_start to build and follow changes.

        prepare, if given, readies the engine for a new phrase set (the exact grammar)
        before the set is used; until it returns, the previous set serves.
        """
        self.hass = hass
        self._prepare = prepare
        self.language = language
        self.phrase_set: PhraseSet | None = None
        self.last_build: datetime | None = None
        self.refused_files: list[str] = []
        self.builds = 0
        self._known_word = known_word
        self._key: str | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._debouncer = Debouncer(
            hass, LOGGER, cooldown=REBUILD_COOLDOWN, immediate=False, function=self.async_build
        )

    async def async_start(self) -> None:
        """Follow changes of names, areas, exposure and custom sentences; build now."""
        hass = self.hass
        for event_type in (
            er.EVENT_ENTITY_REGISTRY_UPDATED,
            # A satellite moved to an area brings "here" sentences.
            dr.EVENT_DEVICE_REGISTRY_UPDATED,
            ar.EVENT_AREA_REGISTRY_UPDATED,
            fr.EVENT_FLOOR_REGISTRY_UPDATED,
        ):
            self._unsubscribe.append(hass.bus.async_listen(event_type, self._changed))
        # Custom sentences take effect when the user reloads the conversation agent.
        self._unsubscribe.append(
            hass.bus.async_listen(
                EVENT_CALL_SERVICE, self._changed, event_filter=_is_conversation_reload
            )
        )
        if "homeassistant" in hass.config.components:
            from homeassistant.components.homeassistant.exposed_entities import (  # noqa: PLC0415
                async_listen_entity_updates,
            )

            self._unsubscribe.append(
                async_listen_entity_updates(hass, ASSISTANT, self.async_schedule_build)
            )
        # Other integrations add their entities while Home Assistant starts.
        self._unsubscribe.append(async_at_started(hass, self._started))
        await self.async_build()

    async def _started(self, _hass: HomeAssistant) -> None:
        self.async_schedule_build()

    @callback
    def _changed(self, _event: Event[Any]) -> None:
        self.async_schedule_build()

    @callback
    def async_schedule_build(self) -> None:
        """Rebuild after the cooldown (changes come in bursts)."""
        self._debouncer.async_schedule_call()

    @callback
    def async_stop(self) -> None:
        """Stop following changes."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._debouncer.async_shutdown()
        ir.async_delete_issue(self.hass, DOMAIN, UNKNOWN_WORDS_ISSUE)

    async def async_build(self) -> None:
        """Build the phrase set, unless nothing it depends on changed."""
        hass = self.hass
        vocabulary = self._collect()
        folder = Path(hass.config.path(CUSTOM_SENTENCES, self.language))
        custom, refused = await hass.async_add_executor_job(_load_custom_sentences, folder)
        key = json.dumps([vocabulary.names, vocabulary.areas, vocabulary.floors,
                          sorted(vocabulary.domains), sorted(vocabulary.capabilities),
                          custom, refused],
                         sort_keys=True, ensure_ascii=False, default=str)  # fmt: skip
        if key == self._key:
            LOGGER.debug("Phrase set unchanged: nothing to rebuild")
            return
        templates, full = await hass.async_add_executor_job(_load_intents, self.language)
        build = functools.partial(
            build_phrase_set,
            self.language,
            templates or {"language": self.language, "intents": {}},
            vocabulary.names,
            vocabulary.areas,
            floors=vocabulary.floors,
            custom=custom,
            known_word=self._known_word,
            domains=set(vocabulary.domains),
            language_data=full,
            capabilities=vocabulary.capabilities,
        )
        try:
            phrase_set = await hass.async_add_executor_job(build)
        except Exception:  # noqa: BLE001 - a broken template must not stop speech-to-text
            LOGGER.exception(
                "The phrase set could not be built; the previous one stays in use "
                "(open vocabulary if there is none)"
            )
            return
        if self._prepare is not None:
            await self._prepare(phrase_set)
        self.phrase_set = phrase_set
        self.refused_files = refused
        self.last_build = dt_util.utcnow()
        self.builds += 1
        self._key = key
        LOGGER.debug("Phrase set built: %s", phrase_set.summary())
        self._report_unknown_words(phrase_set)
        async_dispatcher_send(hass, SIGNAL_PHRASES)

    def _collect(self) -> HomeVocabulary:
        """Read the exposed entities' names and aliases, areas and floors."""
        hass = self.hass
        entities = er.async_get(hass)
        names: dict[str, set[str]] = {}
        domains: set[str] = set()
        exposed = []
        should_expose = _exposure(hass)
        for state in hass.states.async_all():
            entry = entities.async_get(state.entity_id)
            # Voice Guard's own entities are no things to command by voice.
            if not should_expose(state.entity_id) or (entry and entry.platform == DOMAIN):
                continue
            domains.add(state.domain)
            exposed.append(state)
            spoken = {state.name}
            if entry is not None:
                spoken |= {alias for alias in entry.aliases if isinstance(alias, str)}
            for name in spoken:
                if cleaned := _clean(name):
                    names.setdefault(cleaned, set()).add(state.entity_id)
        areas = [
            (f"area {area.id}", (area.name, *area.aliases))
            for area in ar.async_get(hass).async_list_areas()
        ]
        floors = [
            (f"floor {floor.floor_id}", (floor.name, *floor.aliases))
            for floor in fr.async_get(hass).async_list_floors()
        ]
        return HomeVocabulary(
            names=_sorted(names),
            areas=_by_name(areas),
            floors=_by_name(floors),
            domains=frozenset(domains),
            capabilities=home_capabilities(hass, exposed),
        )

    def _report_unknown_words(self, phrase_set: PhraseSet) -> None:
        """Raise (or clear) the repair issue listing words the model cannot say."""
        home_words = _home_unknown_words(phrase_set)
        if not home_words:
            ir.async_delete_issue(self.hass, DOMAIN, UNKNOWN_WORDS_ISSUE)
            return
        listed = [
            f"- {word}: {', '.join(sources)}"
            for word, sources in list(home_words.items())[:MAX_LISTED_WORDS]
        ]
        if len(home_words) > MAX_LISTED_WORDS:
            listed.append(f"- … (+{len(home_words) - MAX_LISTED_WORDS})")
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            UNKNOWN_WORDS_ISSUE,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=UNKNOWN_WORDS_ISSUE,
            translation_placeholders={"count": str(len(home_words)), "words": "\n".join(listed)},
        )

    def phrases_for(self, language: str) -> PhraseSet | None:
        """Return the phrase set for a request in this language (None: open vocabulary)."""
        if _base(language) != _base(self.language):
            return None
        return self.phrase_set

    def diagnostics(self) -> dict[str, Any]:
        """Return the phrase set's figures and the words the model lacks."""
        summary = self.phrase_set.summary() if self.phrase_set else None
        return {
            "summary": summary,
            "last_build": self.last_build.isoformat() if self.last_build else None,
            "builds": self.builds,
            # Only the home's own names: words of the templates the model lacks are counted
            # in the summary (their commands are left to open vocabulary).
            "unknown_words": _home_unknown_words(self.phrase_set) if self.phrase_set else {},
            "custom_sentence_files_refused": self.refused_files,
        }


def _home_unknown_words(phrase_set: PhraseSet) -> dict[str, tuple[str, ...]]:
    """Return the unknown words of the home's names, with their sources.

    A name glued to a template's particle ("전등은") is listed once, as the name.
    """
    home = {
        word: own
        for word, sources in phrase_set.unknown.items()
        if (own := tuple(source for source in sources if source != TEMPLATES))
    }
    return {
        word: sources
        for word, sources in home.items()
        if not any(other != word and other in word for other in home)
    }


def _base(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


@callback
def _is_conversation_reload(event_data: Mapping[str, Any]) -> bool:
    return event_data.get("domain") == "conversation" and event_data.get("service") == "reload"


def _exposure(hass: HomeAssistant) -> Callable[[str], bool]:
    """Return whether an entity is exposed to Assist (all, if exposure is not loaded)."""
    if "homeassistant" not in hass.config.components:
        return lambda _entity_id: True
    from homeassistant.components.homeassistant.exposed_entities import (  # noqa: PLC0415
        async_should_expose,
    )

    return functools.partial(async_should_expose, hass, ASSISTANT)


def _clean(name: str | None) -> str:
    """Return a name as the decoder would say it: lower case, single spaces."""
    return " ".join((name or "").lower().split())


def _by_name(items: list[tuple[str, tuple[str, ...]]]) -> dict[str, tuple[str, ...]]:
    """Map each spoken name (or alias) to the areas or floors that carry it."""
    found: dict[str, set[str]] = {}
    for source, spoken in items:
        for name in spoken:
            if cleaned := _clean(name):
                found.setdefault(cleaned, set()).add(source)
    return _sorted(found)


def _sorted(found: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    return {name: tuple(sorted(sources)) for name, sources in sorted(found.items())}
