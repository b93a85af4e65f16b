"""Phrase mode: restrict recognition to what this home can say.

From Home Assistant's intent templates (hassil), the home's entity and area names and the
user's custom sentences, build what Vosk's runtime grammar takes. Vosk turns the phrase
list into a bigram language model (with back-off, so word order is preferred, not
enforced), which decides the representation:
- every sentence this home can say, while there are at most MAX_SENTENCES of them: all
  word pairs of all commands are in the model;
- beyond that, *context chunks*: the fixed word runs of every template, and every slot
  value with the affixes templates glue to it ("거실에", "kitchen's") next to the word
  before it, and next to the word after it, plus one sample sentence per template.
  Every word pair except two adjacent slot values stays in the model, and the size
  grows with the number of names plus the number of templates — never with their
  product, so a home of 1,000 entities in 50 areas stays small;
- *garbage words*: frequent words of the language's intent data and responses that are no
  command word. Speech that is no command decodes to them instead of being pulled into
  the nearest command;
- a *matcher*: a decoded text counts only if hassil recognises it as a command of this
  home, so an utterance that is no command is never forced into one.
Templates whose lists cannot be spoken as fixed words (numbers, free text) are left to
open vocabulary, which hybrid mode falls back to. Words the model lacks as written but
knows in two parts (a name with a glued particle, "거실에" -> "거실 에") reach Vosk in
parts and are glued back before matching; names it cannot say at all are reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
import copy
from dataclasses import dataclass, field
import itertools
import json
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
MAX_GARBAGE_WORDS = 500
MAX_REMEMBERED = 512  # texts whose hassil result a phrase set keeps
TEMPLATES = "intent templates"
# Home Assistant's intents that act on entities of a domain their templates do not name
# ("is it warm in the kitchen" needs a climate entity). Timers, date, time and "never mind"
# need none.
INTENT_DOMAINS: dict[str, tuple[str, ...]] = {
    "HassBroadcast": ("assist_satellite",),
    "HassClimateGetTemperature": ("climate",),
    "HassClimateSetFanMode": ("climate",),
    "HassClimateSetTemperature": ("climate",),
    "HassFanSetSpeed": ("fan",),
    "HassGetWeather": ("weather",),
    "HassLawnMowerDock": ("lawn_mower",),
    "HassLawnMowerStartMowing": ("lawn_mower",),
    "HassMediaNext": ("media_player",),
    "HassMediaPause": ("media_player",),
    "HassMediaPlayerMute": ("media_player",),
    "HassMediaPlayerUnmute": ("media_player",),
    "HassMediaPrevious": ("media_player",),
    "HassMediaSearchAndPlay": ("media_player",),
    "HassMediaUnpause": ("media_player",),
    "HassSetVolume": ("media_player",),
    "HassSetVolumeRelative": ("media_player",),
    "HassShoppingListAddItem": ("todo",),
    "HassShoppingListCompleteItem": ("todo",),
    "HassVacuumCleanArea": ("vacuum",),
    "HassVacuumReturnToBase": ("vacuum",),
    "HassVacuumStart": ("vacuum",),
}
WORD = re.compile(r"[^\W\d_]+")

# What the home must be able to do for a template to stay in the grammar. A capability is
# a domain ("light"), a domain's feature ("light:color", "fan:speed") or "satellite_area"
# (a satellite placed in an area, which "here" / "this room" sentences need). The home's
# capabilities come from its exposed entities (the Home Assistant side reads their
# features); a template whose intent, or whose list, needs a capability no entity has is
# left out: it could only ever be a wrong command ("<area> <colour>" for on/off lights).
SATELLITE_AREA = "satellite_area"
# Intents every template of which needs one of these capabilities.
INTENT_CAPABILITIES: dict[str, frozenset[str]] = {
    "HassBroadcast": frozenset({"assist_satellite:announce"}),
    "HassClimateSetFanMode": frozenset({"climate:fan_mode"}),
    "HassClimateSetTemperature": frozenset({"climate:target_temperature"}),
    "HassFanSetSpeed": frozenset({"fan:speed"}),
    "HassLawnMowerDock": frozenset({"lawn_mower:dock"}),
    "HassLawnMowerStartMowing": frozenset({"lawn_mower:start"}),
    "HassMediaNext": frozenset({"media_player:next"}),
    "HassMediaPause": frozenset({"media_player:pause"}),
    "HassMediaPlayerMute": frozenset({"media_player:mute"}),
    "HassMediaPlayerUnmute": frozenset({"media_player:mute"}),
    "HassMediaPrevious": frozenset({"media_player:previous"}),
    "HassMediaSearchAndPlay": frozenset({"media_player:search"}),
    "HassMediaUnpause": frozenset({"media_player:play"}),
    "HassSetPosition": frozenset({"cover:position", "valve:position"}),
    "HassSetVolume": frozenset({"media_player:volume_set"}),
    "HassSetVolumeRelative": frozenset({"media_player:volume_set", "media_player:volume_step"}),
    "HassVacuumCleanArea": frozenset({"vacuum:clean_area"}),
    "HassVacuumReturnToBase": frozenset({"vacuum:return_home"}),
    "HassVacuumStart": frozenset({"vacuum:start"}),
}
# Templates of an intent that use one of these lists need the capability ("set the
# kitchen to red" needs a light with colour).
LIST_CAPABILITIES: dict[str, dict[str, str]] = {
    "HassLightSet": {
        "color": "light:color",
        "brightness": "light:brightness",
        "brightness_level": "light:brightness",
        "temperature": "light:color_temp",
    },
}
# An intent of LIST_CAPABILITIES whose template uses none of its lists needs this.
LIST_DEFAULT: dict[str, str] = {"HassLightSet": "light:brightness"}


@dataclass(frozen=True, slots=True)
class PhraseSet:
    """A built phrase grammar and its matcher."""

    language: str
    phrases: tuple[str, ...]  # context chunks
    # Every sentence this home can say, when there are few enough (None otherwise).
    sentences: tuple[str, ...] | None
    vocabulary: frozenset[str]
    garbage: tuple[str, ...]  # known words of the language that are in no command
    unknown: dict[str, tuple[str, ...]]  # word the model lacks -> where it comes from
    # Words the model lacks as written but knows in parts ("거실에" -> "거실 에"): Vosk
    # gets the parts, and the matcher glues them back (longest parts first).
    splits: dict[str, str]
    # What Vosk gets, built once: sentences (or chunks) whose words it knows, and the
    # garbage words; as a list and as the JSON text a recognizer takes.
    vosk_grammar: tuple[str, ...]
    vosk_grammar_json: str
    templates: int
    skipped_templates: int
    build_ms: float
    # The structure an exact grammar is compiled from (grammar.py): the template texts
    # with their slots as {placeholders}, and each slot's spoken values.
    texts: tuple[str, ...] = ()
    slot_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Template texts left out because no exposed entity can carry them out, by the
    # capability they need ("light:color": 192).
    left_out: Mapping[str, int] = field(default_factory=dict)
    _intents: Any = field(default=None, repr=False, compare=False)
    _slot_lists: dict[str, SlotList] = field(default_factory=dict, repr=False, compare=False)
    # What hassil made of recent texts (n-best lists repeat them): bounded.
    _seen: dict[str, tuple[str, Any] | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def match(self, text: str) -> str | None:
        """Return text if it is a command of this home, else None."""
        found = self._recognize(text)
        return found[0] if found else None

    def meaning(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        """Return the action a command asks for: its intent and what its slots resolve to.

        Names and areas resolve to the entities and areas they name, so two sentences
        that do the same ("부엌 불 켜줘", "부엌에 불 켜줘", or two names of one light)
        mean the same; None: no command.
        """
        found = self._recognize(text)
        if found is None:
            return None
        result = found[1]
        slots = sorted((e.name, str(e.value)) for e in result.entities_list)
        return (str(result.intent.name), tuple(slots))

    def _recognize(self, text: str) -> tuple[str, Any] | None:
        """Return the text as written and hassil's result, if it is a command."""
        text = " ".join(text.split())
        if text in self._seen:
            return self._seen[text]
        found = self._recognize_new(text)
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen.clear()
        self._seen[text] = found
        return found

    def _recognize_new(self, text: str) -> tuple[str, Any] | None:
        if not text:
            return None
        candidates = [text]
        if self.splits:
            glued = f" {text} "
            for word, parts in self.splits.items():
                glued = glued.replace(f" {parts} ", f" {word} ")
            candidates.insert(0, " ".join(glued.split()))  # the text as it is written
        for candidate in dict.fromkeys(candidates):
            result = recognize(candidate, self._intents, slot_lists=self._slot_lists)
            if result is None or getattr(result, "unmatched_entities", None):
                continue
            # Free text ("add {item} to my list") matches anything: not a command of ours.
            if any(getattr(e, "is_wildcard", False) for e in result.entities_list):
                continue
            return candidate, result
        return None

    def summary(self) -> dict[str, Any]:
        """Figures for diagnostics and the sensor (no names of the home's devices)."""
        return {
            "language": self.language,
            "representation": "sentences" if self.sentences is not None else "context chunks",
            "phrases": len(self.vosk_grammar) - len(self.garbage),
            "vocabulary": len(self.vocabulary),
            "garbage_words": len(self.garbage),
            "unknown_words": len(self.unknown),
            "templates": self.templates,
            "templates_left_to_open_vocabulary": self.skipped_templates,
            "texts": len(self.texts),
            "texts_left_out": dict(sorted(self.left_out.items())),
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
    language_data: Mapping[str, Any] | None = None,
    capabilities: frozenset[str] | None = None,
) -> PhraseSet:
    """Build the grammar (CPU-bound: run in an executor).

    names, areas and floors map each spoken name (or alias) to where it comes from
    (entity ids, area ids), which is what the unknown-word report shows. domains, when
    given, are the entity domains the home exposes: templates for other domains (media,
    locks, covers …) are left out, which keeps the grammar small and the decoder on target.
    language_data is the language's full intent data (templates, lists and responses), the
    source of garbage words; intents_data when not given. capabilities, when given, are
    what the home's exposed entities can do (see INTENT_CAPABILITIES): templates that need
    a capability no entity has are left out of the grammar and counted in left_out.
    """
    started = time.perf_counter()
    if capabilities is not None:
        domains = {c for c in capabilities if ":" not in c} | (domains or set())
    left_out: Counter[str] = Counter()
    intents = Intents.from_dict(_merge(language, intents_data, custom, domains, left_out))
    spoken: dict[str, Mapping[str, Sequence[str]]] = {
        **_small_lists(intents.slot_lists),
        "name": _lower(names),
        "area": _lower(areas),
        "floor": _lower(floors or {}),
    }
    phrases, sources, glued, templates, skipped, texts = _collect(
        intents, spoken, language, _can_do(capabilities, left_out)
    )
    vocabulary = frozenset(word for phrase in phrases for word in phrase.split())
    unknown, splits = _unknown_words(vocabulary, sources, glued, known_word)
    sentences = _sentences(texts, spoken)
    if sentences is None:
        phrases |= _samples_sentences(texts, spoken)
    garbage = _garbage_words([language_data or intents_data, *custom], vocabulary, known_word)
    grammar = _vosk_grammar(
        sentences if sentences is not None else sorted(phrases), splits, unknown, garbage
    )
    return PhraseSet(
        language=language,
        phrases=tuple(sorted(phrases)),
        sentences=sentences,
        vocabulary=vocabulary,
        garbage=garbage,
        unknown=unknown,
        splits=splits,
        vosk_grammar=grammar,
        vosk_grammar_json=json.dumps(list(grammar), ensure_ascii=False),
        templates=templates,
        skipped_templates=skipped,
        build_ms=round((time.perf_counter() - started) * 1000, 1),
        texts=tuple(sorted(texts)),
        slot_values={slot: tuple(values) for slot, values in spoken.items()},
        left_out=dict(left_out),
        _intents=intents,
        # An empty list would make hassil fail on every template using it.
        _slot_lists={slot: _slot_list(spoken[slot]) for slot in SLOT_NAMES},
    )


def _vosk_grammar(
    source: Sequence[str],
    splits: Mapping[str, str],
    unknown: Mapping[str, Sequence[str]],
    garbage: Sequence[str],
) -> tuple[str, ...]:
    """Return the phrases Vosk can take: glued words in parts, none with unknown words."""
    said = (" ".join(splits.get(w, w) for w in p.split()) for p in source)
    known = dict.fromkeys(p for p in said if not any(w in unknown for w in p.split()))
    return (*known, *garbage)


def _slot_list(values: Mapping[str, Sequence[str]]) -> TextSlotList:
    """Return a slot list for the matcher; a name carries its entities' domains as context.

    Templates such as "schalte {name} an" require the entity's domain (light, switch …).
    The value a name or area resolves to is what it names (entity ids, area ids), so
    the matcher's meaning is the action, whatever name was said.
    """
    tuples: list[tuple[str, Any, dict[str, Any]]] = []
    for value, sources in values.items():
        domains = {s.split(".", 1)[0] for s in sources if "." in s and " " not in s}
        for domain in sorted(domains):
            named = ",".join(s for s in sources if s.startswith(f"{domain}."))
            tuples.append((value, named, {"domain": domain}))
        if not domains:
            tuples.append((value, ",".join(sources) or value, {}))
    # An empty list would make hassil fail on every template using it.
    return TextSlotList.from_tuples(tuples or [("\u2063", "\u2063", {})], allow_template=False)


def _lower(values: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Spoken values in lower case, as the decoder spells them (sources merged)."""
    found: dict[str, set[str]] = {}
    for value, sources in values.items():
        found.setdefault(value.lower(), set()).update(sources)
    return {value: tuple(sorted(sources)) for value, sources in found.items()}


def _unknown_words(
    vocabulary: frozenset[str],
    sources: Mapping[str, set[str]],
    glued: Mapping[str, str],
    known_word: Callable[[str], bool] | None,
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Sort the words the model lacks into ones it can say in parts and truly unknown ones.

    A word glued from a name and a template's affix ("거실에") is said in its two parts if
    the model knows both. Other words are never cut by guessing (short pieces would let
    the decoder cut commands up): a word the model lacks is reported with its sources.
    """
    unknown: dict[str, set[str]] = {}
    splits: dict[str, str] = {}
    if known_word is None:
        return {}, splits
    for word in sorted(vocabulary):
        if known_word(word):
            continue
        origins = sources.get(word, {TEMPLATES})
        parts = glued.get(word)
        if parts is not None and all(known_word(part) for part in parts.split()):
            splits[word] = parts
            continue
        # A name the model lacks is reported by itself, not in each glued form.
        lacking = [p for p in parts.split() if not known_word(p)] if parts else [word]
        for part in {word, *lacking}:
            unknown.setdefault(part, set()).update(origins)
    # The matcher glues the longest parts back first.
    by_length = dict(sorted(splits.items(), key=lambda split: -len(split[1])))
    return {word: tuple(sorted(o)) for word, o in sorted(unknown.items())}, by_length


def _garbage_words(
    sources: Sequence[Any], vocabulary: frozenset[str], known_word: Callable[[str], bool] | None
) -> tuple[str, ...]:
    """Return the language's most frequent words (templates, lists, responses) in no command.

    Only for a model that can say which words it knows: a word it lacks would be dropped
    from the grammar anyway.
    """
    if known_word is None:
        return ()
    counts: Counter[str] = Counter()
    pending: list[Any] = list(sources)
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            counts.update(w.lower() for w in WORD.findall(item))
        elif isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    # A word inside a command word ("조" in "조명") would let the decoder cut commands up.
    inside = {w[i:j] for w in vocabulary for i in range(len(w)) for j in range(i + 1, len(w) + 1)}
    words = (w for w, _ in counts.most_common() if w not in inside and known_word(w))
    return tuple(sorted(itertools.islice(words, MAX_GARBAGE_WORDS)))


def _samples_sentences(
    texts: set[str], spoken: Mapping[str, Mapping[str, Sequence[str]]]
) -> set[str]:
    """One sentence per template text, with the slots' values taken in turn."""
    found: set[str] = set()
    for index, text in enumerate(sorted(texts)):
        sentence = text
        for slot in PLACEHOLDER.findall(text):
            values = list(spoken.get(slot, {}))
            if not values:
                break
            sentence = sentence.replace(f"{{{slot}}}", values[index % len(values)], 1)
        else:
            found.add(" ".join(sentence.split()))
    return found


def _merge(
    language: str,
    intents_data: Mapping[str, Any],
    custom: Sequence[Mapping[str, Any]],
    domains: set[str] | None,
    left_out: Counter[str],
) -> dict[str, Any]:
    """Merge Home Assistant's intents for the language and the user's custom sentences.

    With domains, Home Assistant's templates for other domains are left out of the
    grammar and of the matcher alike (counted in left_out by the domain they need); the
    user's own sentences always stay.
    """
    data: dict[str, Any] = {
        "language": language,
        "intents": {},
        "lists": {},
        "expansion_rules": {},
        "skip_words": list(intents_data.get("skip_words") or []),
    }
    # Deep copies: hassil changes the dicts it reads, and the intents package caches them.
    for index, source in enumerate(copy.deepcopy([intents_data, *custom])):
        for intent, body in (source.get("intents") or {}).items():
            blocks = []
            for block in body.get("data", []):
                if index or domains is None or not (lacking := _lacking(intent, block, domains)):
                    blocks.append(block)
                else:
                    left_out[lacking] += len(block.get("sentences") or ())
            data["intents"].setdefault(intent, {"data": []})["data"].extend(blocks)
        for key in ("lists", "expansion_rules"):
            data[key].update(source.get(key) or {})
    return data


def _can_do(
    capabilities: frozenset[str] | None, left_out: Counter[str]
) -> Callable[[str, Any, str], bool]:
    """Return whether the home can carry out a template text of an intent's block.

    Counts what is left out, by the first capability it lacks.
    """

    def can_do(intent: str, intent_data: Any, text: str) -> bool:
        if capabilities is None:
            return True
        for needed in _needs(intent, intent_data, text):
            if not needed & capabilities:
                left_out[min(needed)] += 1
                return False
        return True

    return can_do


def _needs(intent: str, intent_data: Any, text: str) -> list[frozenset[str]]:
    """Return the capabilities a template text needs, each as a set of alternatives."""
    needs: list[frozenset[str]] = []
    if intent in INTENT_CAPABILITIES:
        needs.append(INTENT_CAPABILITIES[intent])
    if lists := LIST_CAPABILITIES.get(intent):
        used = {lists[name] for name in PLACEHOLDER.findall(text) if name in lists}
        needs.extend(frozenset({c}) for c in sorted(used or {LIST_DEFAULT[intent]}))
    context = getattr(intent_data, "requires_context", None) or {}
    if isinstance(context, Mapping) and "area" in context:
        area = context["area"]
        if isinstance(area, Mapping) and area.get("slot"):
            needs.append(frozenset({SATELLITE_AREA}))
    return needs


def _collect(
    intents: Intents,
    spoken: Mapping[str, Mapping[str, Sequence[str]]],
    language: str,
    can_do: Callable[[str, Any, str], bool],
) -> tuple[set[str], dict[str, set[str]], dict[str, str], int, int, set[str]]:
    """Chunk every template: phrases, word sources, glued words, counts and texts."""
    phrases: set[str] = set()
    sources: dict[str, set[str]] = {}
    glued: dict[str, str] = {}
    all_texts: set[str] = set()
    templates = skipped = 0
    for intent in intents.intents.values():
        for intent_data in intent.data:
            rules = {**intents.expansion_rules, **getattr(intent_data, "expansion_rules", {})}
            for sentence in intent_data.sentences:
                templates += 1
                texts = _texts(sentence, rules, language, spoken)
                if texts is None:
                    skipped += 1
                # Speech recognisers spell in lower case.
                for text in (t.lower() for t in texts or []):
                    if not can_do(intent.name, intent_data, text):
                        continue
                    _add_chunks(text, spoken, phrases, sources, glued)
                    all_texts.add(text)
    return phrases, sources, glued, templates, skipped, all_texts


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


def _lacking(intent: str, block: Mapping[str, Any], domains: set[str]) -> str | None:
    """Return the domain a block of templates needs and the home lacks (None: none)."""
    wanted: set[str] = set(INTENT_DOMAINS.get(intent, ()))
    for constraint in (block.get("slots"), block.get("requires_context")):
        value = (constraint or {}).get("domain") if isinstance(constraint, Mapping) else None
        if value:
            wanted |= {value} if isinstance(value, str) else set(value)
    return None if not wanted or wanted & domains else min(wanted)


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
            text.lower(): (TEMPLATES,) for v in slot_list.values for text in _value_texts(v) if text
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


def _record_glue(prefix: str, value: str, suffix: str, glued: dict[str, str]) -> None:
    """Remember how a value's first and last word are glued to the template's affixes."""
    words = value.split()
    if prefix and words:
        glued[f"{prefix}{words[0]}"] = f"{prefix} {words[0]}"
    if suffix and words:
        glued[f"{words[-1]}{suffix}"] = f"{words[-1]} {suffix}"


def _add_chunks(
    text: str,
    spoken: Mapping[str, Mapping[str, Sequence[str]]],
    phrases: set[str],
    sources: dict[str, set[str]],
    glued: dict[str, str],
) -> None:
    """Add a sample's fixed word runs, and its slot values in their context.

    A slot value comes with the affixes the template glues to it and the fixed words
    either side, so the word pairs across it stay in Vosk's bigram model.
    """
    tokens = text.split()
    run: list[str] = []
    for index, token in enumerate(tokens):
        if not PLACEHOLDER.search(token):
            run.append(token)
            continue
        if run:
            phrases.add(" ".join(run))
            run = []
        slot = PLACEHOLDER.search(token)
        assert slot is not None
        prefix, suffix = token[: slot.start()], token[slot.end() :]
        before = tokens[index - 1] if index and not PLACEHOLDER.search(tokens[index - 1]) else ""
        after = tokens[index + 1] if index + 1 < len(tokens) else ""
        after = "" if PLACEHOLDER.search(after) else after
        for value, origins in spoken.get(slot.group(1), {}).items():
            said = f"{prefix}{value}{suffix}".strip()
            if PLACEHOLDER.search(said):
                continue
            # Vosk's model is a bigram one: the pairs either side are all it needs.
            phrases.add(f"{before} {said}".strip())
            if after:
                phrases.add(f"{said} {after}")
            for word in said.split():
                sources.setdefault(word, set()).update(origins)
            _record_glue(prefix, value, suffix, glued)
    if run:
        phrases.add(" ".join(run))
