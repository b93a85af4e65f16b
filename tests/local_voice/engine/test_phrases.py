"""The phrase set: grammar chunks from Home Assistant's templates and the home's names."""

from __future__ import annotations

import home_assistant_intents

from custom_components.voice_guard.local_voice.engine.phrases import build_phrase_set

KOREAN = home_assistant_intents.get_intents("ko")
AREAS = {"거실": ["area.living_room"], "부엌": ["area.kitchen"]}
NAMES = {"스탠드": ["light.stand"]}


def test_commands_of_this_home_are_recognised_and_others_refused() -> None:
    phrases = build_phrase_set("ko", KOREAN, NAMES, AREAS)
    assert phrases.match("거실 불 켜줘") == "거실 불 켜줘"
    assert phrases.match(" 부엌  불 꺼줘 ") == "부엌 불 꺼줘"
    # Not a command, a decoder's word salad, an area this home does not have, nothing.
    for text in ("안녕하세요", "부엌 부엌 조명 부엌", "침실 불 켜줘", ""):
        assert phrases.match(text) is None


def test_grammar_size_grows_with_names_not_with_their_product() -> None:
    """1,000 names in 50 areas: 50 more areas add a few phrases each, not 1,000 each."""
    small = build_phrase_set("ko", KOREAN, NAMES, AREAS)
    names = {f"조명{n}": [f"light.l{n}"] for n in range(1000)}
    areas = {f"방{n}": [f"area.a{n}"] for n in range(50)}
    large = build_phrase_set("ko", KOREAN, names, areas)
    more_areas = {**areas, **{f"창고{n}": [f"area.b{n}"] for n in range(50)}}
    larger = build_phrase_set("ko", KOREAN, names, more_areas)
    assert large.sentences is None  # too many sentences: context chunks
    assert len(larger.phrases) - len(large.phrases) < 100 * 50
    assert large.templates == small.templates
    assert large.skipped_templates > 0  # numbers and free text are left to open vocabulary
    summary = large.summary()
    assert summary["representation"] == "context chunks"
    assert summary["phrases"] == len(large.phrases)
    assert "조명1" not in str(summary)  # no names of the home's devices in diagnostics


def test_words_the_model_lacks_are_reported_with_their_sources() -> None:
    lexicon = {"거실", "불", "켜줘", "부엌"}
    phrases = build_phrase_set("ko", KOREAN, NAMES, AREAS, known_word=lambda word: word in lexicon)
    assert phrases.unknown["스탠드"] == ("light.stand",)
    assert phrases.unknown["꺼줘"] == ("intent templates",)
    assert "거실" not in phrases.unknown


def test_custom_sentences_join_the_grammar() -> None:
    custom = {
        "language": "ko",
        "intents": {"HassTurnOn": {"data": [{"sentences": ["{name} 작동 시작"]}]}},
    }
    phrases = build_phrase_set("ko", KOREAN, NAMES, AREAS, custom=[custom])
    assert "작동 시작" in phrases.phrases
    assert phrases.match("스탠드 작동 시작") == "스탠드 작동 시작"


def test_a_home_without_names_still_builds() -> None:
    phrases = build_phrase_set("ko", KOREAN, {}, {})
    assert phrases.phrases
    assert phrases.match("거실 불 켜줘") is None


def test_a_name_carries_its_domain_for_templates_that_require_one() -> None:
    """The template "schalte {name} an" is for lights: a light's name matches, a switch's not."""
    german = {
        "language": "de",
        "intents": {
            "HassTurnOn": {
                "data": [
                    {"sentences": ["schalte {name} an"], "requires_context": {"domain": "light"}}
                ]
            }
        },
    }
    names = {"Stehlampe": ["light.stand"], "Kaffeemaschine": ["switch.coffee"]}
    phrases = build_phrase_set("de", german, names, {})
    assert "stehlampe" in phrases.vocabulary  # recognisers spell in lower case
    assert phrases.match("schalte stehlampe an") == "schalte stehlampe an"
    assert phrases.match("schalte kaffeemaschine an") is None


def test_free_text_templates_match_nothing() -> None:
    """A wildcard template ("kaufe {item}") would accept any words: never a command."""
    shopping = {
        "language": "de",
        "intents": {"HassShoppingListAddItem": {"data": [{"sentences": ["kaufe {item}"]}]}},
        "lists": {"item": {"wildcard": True}},
    }
    phrases = build_phrase_set("de", shopping, {}, {})
    assert phrases.match("kaufe milch") is None
    assert phrases.skipped_templates == 1


def test_a_name_glued_to_a_particle_is_said_in_parts() -> None:
    """The lexicon lacks "거실에" but has "거실" and "에": Vosk gets both, the text is glued."""
    lexicon = {"거실", "에", "불", "켜줘", "스탠드"}
    sentences = {
        "language": "ko",
        "intents": {"HassTurnOn": {"data": [{"sentences": ["{area}에 {name} 켜줘"]}]}},
    }
    phrases = build_phrase_set(
        "ko",
        sentences,
        {"스탠드": ["light.stand"], "전등": ["light.lamp"]},
        {"거실": ["area living_room"]},
        known_word=lambda word: word in lexicon,
    )
    assert phrases.splits == {"거실에": "거실 에"}
    assert "거실 에 스탠드 켜줘" in phrases.vosk_grammar
    assert not any("전등" in phrase for phrase in phrases.vosk_grammar)
    assert phrases.unknown == {"전등": ("light.lamp",)}
    assert phrases.match("거실 에 스탠드 켜줘") == "거실에 스탠드 켜줘"


def test_intents_for_domains_the_home_lacks_are_left_out() -> None:
    """Asking if a room is hot needs a thermostat, though the template names no domain."""
    climate = {
        "language": "ko",
        "intents": {"HassClimateGetTemperature": {"data": [{"sentences": ["{area} 더워"]}]}},
    }
    lights_only = build_phrase_set("ko", climate, {}, AREAS, domains={"light"})
    assert lights_only.match("거실 더워") is None
    assert "더워" not in lights_only.vocabulary
    with_thermostat = build_phrase_set("ko", climate, {}, AREAS, domains={"light", "climate"})
    assert with_thermostat.match("거실 더워") == "거실 더워"
    # The user's own sentences always count.
    own = build_phrase_set("ko", {"language": "ko"}, {}, AREAS, custom=[climate], domains=set())
    assert own.match("거실 더워") == "거실 더워"
