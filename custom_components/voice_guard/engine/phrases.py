"""Phrase mode: restrict recognition to what this home can say.

From Home Assistant's intent templates (hassil), the home's entity and area names and the
user's custom sentences, build
- a *chunk grammar* for Vosk: the fixed word runs of every template, and every slot value
  with the affixes templates glue to it ("거실에", "kitchen's"). Its size grows with the
  number of names plus the number of templates — never with their product, so a home of
  1,000 entities in 50 areas stays small;
- a *matcher*: the decoder may put chunks in any order, so its text is accepted only if
  hassil recognises it as a command of this home. An utterance that is no command is
  never forced into one.
Templates whose lists cannot be spoken as fixed words (numbers, free text) are left to
open vocabulary, which hybrid mode falls back to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
import copy
from dataclasses import dataclass, field
import itertools
import re
import time
from typing import Any

from hassil import recognize
from hassil.intents import Intents, RangeSlotList, SlotList, TextSlotList, WildcardSlotList
from hassil.sample import sample_expression

PLACEHOLDER = re.compile(r"\{(\w+)\}")
SLOT_NAMES = ("name", "area", "floor")
MAX_SAMPLES_PER_TEMPLATE = 200
MAX_LIST_VALUES = 50
MAX_SENTENCES = 5000
TEMPLATES = "intent templates"


@dataclass(frozen=True, slots=True)
class PhraseSet:
    """A built phrase grammar and its matcher."""

    language: str
    phrases: tuple[str, ...]
    # Every sentence this home can say, when there are few enough (None otherwise):
    # a sentence grammar keeps Vosk's word order, the chunk grammar does not.
    sentences: tuple[str, ...] | None
    vocabulary: frozenset[str]
    unknown: dict[str, tuple[str, ...]]  # word the model lacks -> where it comes from
    templates: int
    skipped_templates: int
    build_ms: float
    _intents: Any = field(repr=False, compare=False)
    _slot_lists: dict[str, SlotList] = field(repr=False, compare=False)

    @property
    def vosk_grammar(self) -> tuple[str, ...]:
        """Return what Vosk gets: sentences (or chunks) whose words the model knows."""
        source = self.sentences if self.sentences is not None else self.phrases
        return tuple(p for p in source if not any(w in self.unknown for w in p.split()))

    def match(self, text: str) -> str | None:
        """Return text if it is a command of this home, else None."""
        text = " ".join(text.split())
        if not text:
            return None
        result = recognize(text, self._intents, slot_lists=self._slot_lists)
        if result is None or getattr(result, "unmatched_entities", None):
            return None
        return text

    def summary(self) -> dict[str, Any]:
        """Figures for diagnostics and the sensor (no names of the home's devices)."""
        return {
            "language": self.language,
            "phrases": len(self.phrases),
            "vocabulary": len(self.vocabulary),
            "unknown_words": len(self.unknown),
            "templates": self.templates,
            "templates_left_to_open_vocabulary": self.skipped_templates,
            "build_ms": self.build_ms,
        }


def build_phrase_set(  # noqa: PLR0913 - what a home can say comes from all of these
    language: str,
    intents_data: Mapping[str, Any],
    names: Mapping[str, Sequence[str]],
    areas: Mapping[str, Sequence[str]],
    *,
    floors: Mapping[str, Sequence[str]] | None = None,
    custom: Sequence[Mapping[str, Any]] = (),
    known_word: Callable[[str], bool] | None = None,
    domains: set[str] | None = None,
) -> PhraseSet:
    """Build the grammar (CPU-bound: run in an executor).

    names, areas and floors map each spoken name (or alias) to where it comes from
    (entity ids, area ids), which is what the unknown-word report shows. domains, when
    given, are the entity domains the home exposes: templates for other domains (media,
    locks, covers …) are left out, which keeps the grammar small and the decoder on target.
    """
    started = time.perf_counter()
    intents = Intents.from_dict(_merge(language, intents_data, custom))
    spoken: dict[str, Mapping[str, Sequence[str]]] = {
        **_small_lists(intents.slot_lists),
        "name": names,
        "area": areas,
        "floor": floors or {},
    }
    phrases, sources, templates, skipped, texts = _collect(intents, spoken, language, domains)
    vocabulary = frozenset(word for phrase in phrases for word in phrase.split())
    unknown = {
        word: tuple(sorted(sources.get(word, {TEMPLATES})))
        for word in sorted(vocabulary)
        if known_word is not None and not known_word(word)
    }
    return PhraseSet(
        language=language,
        phrases=tuple(sorted(phrases)),
        sentences=_sentences(texts, spoken),
        vocabulary=vocabulary,
        unknown=unknown,
        templates=templates,
        skipped_templates=skipped,
        build_ms=round((time.perf_counter() - started) * 1000, 1),
        _intents=intents,
        # An empty list would make hassil fail on every template using it.
        _slot_lists={
            slot: TextSlotList.from_strings(list(spoken[slot]) or ["\u2063"]) for slot in SLOT_NAMES
        },
    )


def _merge(
    language: str, intents_data: Mapping[str, Any], custom: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Merge Home Assistant's intents for the language and the user's custom sentences."""
    data: dict[str, Any] = {
        "language": language,
        "intents": {},
        "lists": {},
        "expansion_rules": {},
        "skip_words": list(intents_data.get("skip_words") or []),
    }
    # Deep copies: hassil changes the dicts it reads, and the intents package caches them.
    for source in copy.deepcopy([intents_data, *custom]):
        for intent, body in (source.get("intents") or {}).items():
            data["intents"].setdefault(intent, {"data": []})["data"].extend(body.get("data", []))
        for key in ("lists", "expansion_rules"):
            data[key].update(source.get(key) or {})
    return data


def _collect(
    intents: Intents,
    spoken: Mapping[str, Mapping[str, Sequence[str]]],
    language: str,
    domains: set[str] | None,
) -> tuple[set[str], dict[str, set[str]], int, int, set[str]]:
    """Chunk every template: (phrases, word sources, templates, templates skipped)."""
    phrases: set[str] = set()
    sources: dict[str, set[str]] = {}
    all_texts: set[str] = set()
    templates = skipped = 0
    for intent in intents.intents.values():
        for intent_data in intent.data:
            if domains is not None and not _for_domains(intent_data, domains):
                continue
            rules = {**intents.expansion_rules, **getattr(intent_data, "expansion_rules", {})}
            for sentence in intent_data.sentences:
                templates += 1
                texts = _texts(sentence, rules, language, spoken)
                if texts is None:
                    skipped += 1
                for text in texts or []:
                    _add_chunks(text, spoken, phrases, sources)
                    all_texts.add(text)
    return phrases, sources, templates, skipped, all_texts


def _sentences(
    texts: set[str], spoken: Mapping[str, Mapping[str, Sequence[str]]]
) -> tuple[str, ...] | None:
    """Expand every template text with every value, unless that passes MAX_SENTENCES."""
    sentences: set[str] = set()
    for text in texts:
        slots = PLACEHOLDER.findall(text)
        count = 1
        for slot in slots:
            count *= len(spoken.get(slot, {}))
        if len(sentences) + count > MAX_SENTENCES:
            return None
        for combo in itertools.product(*(list(spoken.get(slot, {})) for slot in slots)):
            sentence = text
            for slot, value in zip(slots, combo, strict=True):
                sentence = sentence.replace(f"{{{slot}}}", value, 1)
            sentences.add(" ".join(sentence.split()))
    return tuple(sorted(sentences))


def _for_domains(intent_data: Any, domains: set[str]) -> bool:
    """Whether a block of templates can act on one of the home's domains."""
    wanted: set[str] = set()
    for constraint in (
        getattr(intent_data, "slots", None),
        getattr(intent_data, "requires_context", None),
    ):
        value = (constraint or {}).get("domain")
        if value:
            wanted |= {value} if isinstance(value, str) else set(value)
    return not wanted or bool(wanted & domains)


def _texts(
    sentence: Any, rules: dict[str, Any], language: str, spoken: Mapping[str, Any]
) -> list[str] | None:
    """Return a template's texts with its lists as {placeholders}, or None.

    None when the template uses a list that cannot be spoken as fixed words (numbers,
    wildcards, long lists): such templates are left to open vocabulary.
    """
    samples = _samples(sentence, rules, language)
    if samples is None:
        return None
    for sample in samples:
        if set(PLACEHOLDER.findall(sample)) - set(spoken):
            return None
    return samples


def _small_lists(lists: Mapping[str, SlotList]) -> dict[str, dict[str, tuple[str, ...]]]:
    """Return the language's short fixed-word lists (colours, states …), value -> source."""
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for slot, slot_list in lists.items():
        if isinstance(slot_list, RangeSlotList | WildcardSlotList):
            continue
        if not isinstance(slot_list, TextSlotList) or len(slot_list.values) > MAX_LIST_VALUES:
            continue
        values: dict[str, tuple[str, ...]] = {
            text: (TEMPLATES,) for v in slot_list.values for text in _value_texts(v) if text
        }
        found[slot] = values
    return found


def _samples(sentence: Any, rules: dict[str, Any], language: str) -> list[str] | None:
    """Template texts with {slot} placeholders; None if hassil cannot expand it."""
    expression = getattr(sentence, "expression", sentence)
    try:
        return list(
            itertools.islice(
                sample_expression(
                    expression,
                    expansion_rules=rules,
                    language=language,
                    expand_lists=False,
                    expand_ranges=False,
                ),
                MAX_SAMPLES_PER_TEMPLATE,
            )
        )
    except Exception:  # noqa: BLE001 - hassil raises many kinds of errors for such templates
        return None


def _value_texts(value: Any) -> list[str]:
    """Return the ways a list value is said (plain text, or alternatives in newer hassil)."""
    text_in: Any = getattr(value, "text_in", None)
    if isinstance(getattr(text_in, "text", None), str):
        return [str(text_in.text).strip()]
    if text_in is None:
        return []
    try:
        return [t.strip() for t in itertools.islice(sample_expression(text_in), MAX_LIST_VALUES)]
    except Exception:  # noqa: BLE001 - an unusual value is simply not offered
        return []


def _add_chunks(
    text: str,
    spoken: Mapping[str, Mapping[str, Sequence[str]]],
    phrases: set[str],
    sources: dict[str, set[str]],
) -> None:
    """Add a sample's fixed word runs, and its slot values with their glued affixes."""
    run: list[str] = []
    for token in text.split():
        if not PLACEHOLDER.search(token):
            run.append(token)
            continue
        if run:
            phrases.add(" ".join(run))
            run = []
        slot = PLACEHOLDER.search(token)
        assert slot is not None
        prefix, suffix = token[: slot.start()], token[slot.end() :]
        for value, origins in spoken.get(slot.group(1), {}).items():
            phrase = f"{prefix}{value}{suffix}".strip()
            if PLACEHOLDER.search(phrase):
                continue
            phrases.add(phrase)
            for word in phrase.split():
                sources.setdefault(word, set()).update(origins)
    if run:
        phrases.add(" ".join(run))
