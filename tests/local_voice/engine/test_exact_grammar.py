"""The exact grammar with real Vosk: built, swapped, freed, and what it hears."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import math
from pathlib import Path
import random
import struct
from typing import Any

import home_assistant_intents
import pytest

from custom_components.voice_guard.local_voice.engine import decision, grammar, vosk_engine
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings
from custom_components.voice_guard.local_voice.engine.errors import ModelError
from custom_components.voice_guard.local_voice.engine.phrases import PhraseSet, build_phrase_set
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine

from ...speech import MODEL_PATH, cached_load_model, speak, stream

# A sentence of the home's own ("{area}에 있는 {name} 켜줘"): with Vosk's runtime grammar
# hybrid mode lost it to open vocabulary (the decoder said "부엌 에 있는 스탠드 부엌").
COMMAND = "부엌에 있는 스탠드 켜줘"
NO_COMMAND = "안녕하세요"  # "hello"
OWN_SENTENCES = {
    "language": "ko",
    "intents": {
        "HassTurnOn": {"data": [{"sentences": ["{area}에 있는 {name} 켜줘"]}]},
        "HassTurnOff": {"data": [{"sentences": ["{area}에 있는 {name} 꺼"]}]},
    },
}


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[VoskEngine]:
    """The embedded engine with the Korean model and a place for home folders."""
    vosk = VoskEngine(MODEL_PATH, "ko", max_decoders=2, grammar_root=tmp_path / "homes")
    await vosk.async_load()
    yield vosk
    await vosk.async_close()


def _phrases(engine: VoskEngine, names: dict[str, list[str]]) -> PhraseSet:
    korean = home_assistant_intents.get_intents("ko")
    return build_phrase_set(
        "ko",
        korean,
        names,
        {"거실": ["area.living_room"], "부엌": ["area.kitchen"], "침실": ["area.bedroom"]},
        custom=[OWN_SENTENCES],
        known_word=engine.known_word,
        domains={"light", "fan"},
        language_data=korean,
    )


def _settings(phrases: PhraseSet, mode: str) -> RecognitionSettings:
    return RecognitionSettings(
        language="ko", silence_ms=300, max_seconds=30, mode=mode, phrases=phrases
    )


async def test_hybrid_and_phrase_mode_hear_the_command_the_runtime_grammar_lost(
    engine: VoskEngine, tmp_path: Path
) -> None:
    """The regression: hybrid mode must never lose a command phrase mode finds."""
    phrases = _phrases(engine, {"스탠드": ["light.stand"], "선풍기": ["fan.fan"]})
    await engine.async_prepare_phrases(phrases)
    used = engine.diagnostics()["exact_grammar"]
    assert used["supported"] is True
    assert used["in_use"]["arcs"] > 0
    pcm = speak(COMMAND, tmp_path, "ko+f3")
    for mode in ("phrase", "hybrid"):
        for _ in range(2):
            result = await engine.transcribe(stream(pcm), _settings(phrases, mode))
            assert result.text == COMMAND


async def test_speech_that_is_no_command_is_not_forced_into_one(
    engine: VoskEngine, tmp_path: Path
) -> None:
    """Phrase mode answers nothing; hybrid mode answers open vocabulary, no command."""
    phrases = _phrases(engine, {"스탠드": ["light.stand"], "선풍기": ["fan.fan"]})
    await engine.async_prepare_phrases(phrases)
    pcm = speak(NO_COMMAND, tmp_path, "ko+f3")
    assert (await engine.transcribe(stream(pcm), _settings(phrases, "phrase"))).text == ""
    hybrid = await engine.transcribe(stream(pcm), _settings(phrases, "hybrid"))
    assert phrases.match(hybrid.text) is None


async def test_the_strictness_chosen_is_the_threshold_the_decision_uses(
    engine: VoskEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recognition in phrase mode decides with its own strictness' threshold."""
    phrases = _phrases(engine, {"스탠드": ["light.stand"]})
    await engine.async_prepare_phrases(phrases)
    used: list[float] = []
    real = decision.decide

    def spy(*args: Any, threshold: float, **kwargs: Any) -> decision.Decision:
        used.append(threshold)
        return real(*args, threshold=threshold, **kwargs)

    monkeypatch.setattr(decision, "decide", spy)
    pcm = speak(COMMAND, tmp_path, "ko+f3")
    for strictness in ("strict", "relaxed", "no such level"):
        settings = RecognitionSettings(
            language="ko", silence_ms=300, max_seconds=30, mode="phrase", phrases=phrases,
            strictness=strictness,
        )  # fmt: skip
        await engine.transcribe(stream(pcm), settings)
    levels = decision.STRICTNESS
    assert used == [levels["strict"], levels["relaxed"], levels[decision.DEFAULT_STRICTNESS]]


async def test_a_new_grammar_is_swapped_in_and_the_old_one_freed_after_its_last_use(
    engine: VoskEngine, tmp_path: Path
) -> None:
    """A recognition in progress keeps its grammar; the next one gets the new home."""
    first = _phrases(engine, {"스탠드": ["light.stand"]})
    await engine.async_prepare_phrases(first)
    old = engine._home
    assert old is not None
    pcm = speak(COMMAND, tmp_path, "ko+f3")
    release = asyncio.Event()

    async def held() -> AsyncIterator[bytes]:
        yield pcm[: len(pcm) // 2]
        await release.wait()
        yield pcm[len(pcm) // 2 :]

    recognition = asyncio.create_task(engine.transcribe(held(), _settings(first, "phrase")))
    while old.users == 0:
        engine.decoders_changed.clear()
        await engine.decoders_changed.wait()
    second = _phrases(engine, {"스탠드": ["light.stand"], "선풍기": ["fan.fan"]})
    await engine.async_prepare_phrases(second)
    assert engine._home is not old
    assert old.model is not None  # still decoding
    assert old.folder.is_dir()
    release.set()
    assert (await recognition).text == COMMAND
    assert old.model is None
    assert not old.folder.exists()
    assert [p.name for p in (tmp_path / "homes").iterdir()] == [engine._home.folder.name]
    # The old phrase set decodes with the runtime grammar now; the new one exactly.
    assert (await engine.transcribe(stream(pcm), _settings(second, "phrase"))).text == COMMAND


async def test_the_same_grammar_again_keeps_the_loaded_model(engine: VoskEngine) -> None:
    """A change that says nothing new (a name the model cannot say) loads nothing."""
    first = _phrases(engine, {"스탠드": ["light.stand"]})
    await engine.async_prepare_phrases(first)
    home = engine._home
    again = _phrases(engine, {"스탠드": ["light.stand"], "qqqzz": ["light.unsayable"]})
    await engine.async_prepare_phrases(again)
    assert engine._home is home
    assert home is not None
    assert home.phrases is again


async def test_a_grammar_that_cannot_be_loaded_leaves_the_runtime_grammar(
    engine: VoskEngine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed build is logged and counted; phrase mode goes on with Vosk's phrase list."""
    real = vosk_engine._load_model

    def refuse_homes(path: Path) -> Any:
        if path.name.startswith("home-"):
            raise ModelError("no space left", reason="model_unloadable")
        return real(path)

    monkeypatch.setattr(vosk_engine, "_load_model", refuse_homes)
    phrases = _phrases(engine, {"스탠드": ["light.stand"]})
    await engine.async_prepare_phrases(phrases)
    assert engine._home is None
    assert engine.diagnostics()["exact_grammar"]["failures"] == 1
    assert "exact grammar could not be loaded" in caplog.text
    pcm = speak("부엌 조명 켜줘", tmp_path, "ko+f3")
    result = await engine.transcribe(stream(pcm), _settings(phrases, "phrase"))
    assert result.text == "부엌 조명 켜줘"


async def test_closing_frees_the_home_model_and_its_folder(tmp_path: Path) -> None:
    """Unloading the entry leaves no home folder and no loaded grammar behind."""
    engine = VoskEngine(MODEL_PATH, "ko", max_decoders=1, grammar_root=tmp_path / "homes")
    await engine.async_load()
    (tmp_path / "homes" / "home-left-by-a-crash").mkdir(parents=True)
    await engine.async_close()
    engine = VoskEngine(MODEL_PATH, "ko", max_decoders=1, grammar_root=tmp_path / "homes")
    await engine.async_load()
    assert list((tmp_path / "homes").iterdir()) == []  # what a previous run left goes
    await engine.async_prepare_phrases(_phrases(engine, {"스탠드": ["light.stand"]}))
    assert len(list((tmp_path / "homes").iterdir())) == 1
    await engine.async_close()
    assert list((tmp_path / "homes").iterdir()) == []
    assert engine._home is None
    # A closed engine builds nothing.
    await engine.async_prepare_phrases(_phrases(engine, {"스탠드": ["light.stand"]}))
    assert list((tmp_path / "homes").iterdir()) == []


async def test_without_a_place_for_home_folders_phrase_mode_stays_as_it_was(
    tmp_path: Path,
) -> None:
    """grammar_root None (or a static-graph model): nothing is built."""
    engine = VoskEngine(MODEL_PATH, "ko", max_decoders=1)
    await engine.async_load()
    try:
        await engine.async_prepare_phrases(_phrases(engine, {"스탠드": ["light.stand"]}))
        assert engine.diagnostics()["exact_grammar"] == {
            "supported": False,
            "in_use": None,
            "failures": 0,
        }
    finally:
        await engine.async_close()


def _noise(kind: str, level: int, seed: int) -> bytes:
    """1.5 s of seeded noise between silences: hiss, rumble or mains hum."""
    rng = random.Random(seed)  # noqa: S311 - the same noise every run, no secret
    samples: list[int] = []
    low = 0.0
    for index in range(24_000):
        value = rng.gauss(0, level)
        if kind == "rumble":
            low = 0.98 * low + 0.2 * value
            value = low
        elif kind == "hum":
            value = level * math.sin(2 * math.pi * 120 * index / 16_000) + value / 4
        samples.append(max(-32_000, min(32_000, int(value))))
    return bytes(8_000) + struct.pack(f"<{len(samples)}h", *samples) + bytes(16_000)


@pytest.mark.parametrize("kind", ["hiss", "rumble", "hum"])
async def test_noise_is_never_taken_for_a_command(engine: VoskEngine, kind: str) -> None:
    """A hostile probe once heard noise as "몇 시야" in hybrid mode: no command, ever."""
    phrases = _phrases(engine, {"스탠드": ["light.stand"], "선풍기": ["fan.fan"]})
    await engine.async_prepare_phrases(phrases)
    for level in (2_000, 6_000):
        pcm = _noise(kind, level, seed=level)
        for mode in ("phrase", "hybrid"):
            result = await engine.transcribe(stream(pcm), _settings(phrases, mode))
            assert phrases.match(result.text) is None


async def test_closing_gives_the_freed_memory_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without malloc_trim, each reload left ~250 MB more resident (measured, README)."""
    trims: list[bool] = []
    monkeypatch.setattr(vosk_engine, "_trim_memory", lambda: trims.append(True))
    engine = VoskEngine(MODEL_PATH, "ko", max_decoders=1, grammar_root=tmp_path / "homes")
    await engine.async_load()
    await engine.async_prepare_phrases(_phrases(engine, {"스탠드": ["light.stand"]}))
    await engine.async_prepare_phrases(_phrases(engine, {"선풍기": ["fan.fan"]}))
    assert trims == [True]  # the first home model, freed when the second came
    await engine.async_close()
    assert trims == [True, True]


def test_memory_is_trimmed_where_the_c_library_can(monkeypatch: pytest.MonkeyPatch) -> None:
    """The C library's malloc_trim(0) is called where it exists; nothing fails elsewhere."""
    calls: list[tuple[str, int]] = []

    class _Libc:
        def __init__(self, name: str) -> None:
            self.name = name

        def malloc_trim(self, pad: int) -> int:
            calls.append((self.name, pad))
            return 1

    monkeypatch.setattr(vosk_engine.ctypes, "CDLL", _Libc)
    vosk_engine._trim_memory()
    assert calls == [("libc.so.6", 0)]

    def _missing(name: str) -> None:
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(vosk_engine.ctypes, "CDLL", _missing)
    vosk_engine._trim_memory()  # musl, or no libc.so.6: nothing to give back, no error
    assert calls == [("libc.so.6", 0)]


def test_the_lexicon_gives_the_models_own_word_ids_without_loading_it() -> None:
    """Phrases-only mode looks words up here once the model is freed."""
    lexicon = grammar.Lexicon.from_model(MODEL_PATH)
    assert lexicon is not None
    assert len(lexicon) > 100_000
    model = cached_load_model(MODEL_PATH)
    for word in ("거실", "부엌", "켜줘", "꺼", "스탠드", "<eps>", "없는단어없는단어", ""):
        assert lexicon.id(word) == model.vosk_model_find_word(word), word


def test_a_model_without_a_readable_symbol_table_has_no_lexicon(tmp_path: Path) -> None:
    assert grammar.Lexicon.from_model(tmp_path) is None  # no graph/Gr.fst
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph" / "Gr.fst").write_bytes(b"\xd6\xfd\xb2\x7e" + b"\xff" * 12)
    assert grammar.Lexicon.from_model(tmp_path) is None  # garbage after the magic


async def test_phrases_only_mode_frees_the_open_vocabulary_model_and_loads_it_on_demand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """~300 MB less in phrases-only mode; transcribe still works and frees it after."""
    loads: list[Path] = []
    real_load = vosk_engine._load_model

    def counting(path: Path) -> Any:
        loads.append(path)
        return real_load(path)

    monkeypatch.setattr(vosk_engine, "_load_model", counting)
    engine = VoskEngine(
        MODEL_PATH, "ko", max_decoders=1, grammar_root=tmp_path / "homes",
        open_vocabulary_on_demand=True,
    )  # fmt: skip
    await engine.async_load()
    try:
        phrases = _phrases(engine, {"스탠드": ["light.stand"]})
        await engine.async_prepare_phrases(phrases)
        model = engine.diagnostics()["model"]
        assert model["open_vocabulary_loaded"] is False
        assert engine.known_word("스탠드")
        assert not engine.known_word("없는단어없는단어")

        pcm = speak(COMMAND, tmp_path, "ko+f3")
        result = await engine.transcribe(stream(pcm), _settings(phrases, "phrase"))
        assert result.text == COMMAND
        assert loads.count(MODEL_PATH) == 1  # phrase mode needed no open vocabulary

        heard = await engine.transcribe(stream(pcm), _settings(phrases, "open"))
        assert heard.text  # open vocabulary answered (its words, whatever they are)
        assert loads.count(MODEL_PATH) == 2
        assert engine.diagnostics()["model"]["open_vocabulary_loaded"] is False
        assert engine.diagnostics()["model"]["open_vocabulary_loads_on_demand"] == 1

        # A new phrase set is compiled from the lexicon, without the model.
        await engine.async_prepare_phrases(_phrases(engine, {"선풍기": ["fan.fan"]}))
        assert loads.count(MODEL_PATH) == 2
    finally:
        await engine.async_close()


async def test_hybrid_mode_keeps_the_open_vocabulary_model(engine: VoskEngine) -> None:
    await engine.async_prepare_phrases(_phrases(engine, {"스탠드": ["light.stand"]}))
    assert engine.diagnostics()["model"]["open_vocabulary_loaded"] is True
