"""The exact grammar: the home's commands compiled into the Gr.fst of a lookahead model.

Vosk's runtime grammar (a phrase list) becomes a bigram language model, which still lets
the decoder say word sequences no command contains ("부엌 에 있는 스탠드 부엌"). Models
built for lookahead decoding (graph/HCLr.fst + graph/Gr.fst, as the small Vosk models
are) decode against whatever Gr.fst says. Here the home's commands become an acceptor
over the model's word ids that takes exactly the commands, compiled from the templates'
structure: a prefix tree of the template texts whose slots ({name}, {area} …) branch
into the slot's values and join again after them, so the size grows with templates plus
values, never with their product.

Beside the commands, a garbage path takes any number of frequent words of the language
that are in no command, at a cost per word: speech that is no command decodes to those
instead of being forced into the nearest command.

The acceptor is written in OpenFst's binary "vector" format by the small writer below
(no OpenFst bindings needed), with a words.txt of just its words, into a per-home model
folder beside the downloaded model whose other files are symbolic links (nothing is
copied). Vosk loads that folder as a model of its own.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
import hashlib
import io
import itertools
import math
from pathlib import Path
import re
import shutil
import struct
import time
from typing import BinaryIO

# What decides the recognition; measured with bench/roundtrip.py.
GARBAGE_COST = 6.0  # per garbage word, in the graph's -log units
# The home model keeps more of the search in its lattice than the models' usual 2.0, so
# Vosk's n best hypotheses reach the rival commands the confidence rule looks for.
LATTICE_BEAM = 8.0

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_FST_MAGIC = 2125659606
_VECTOR_VERSION = 2
# OpenFst property bits (fst/properties.h) that hold for every acceptor written here.
_EXPANDED = 0x1
_MUTABLE = 0x2
_ACCEPTOR = 0x10000
_NO_EPSILONS = 0x800000
_NO_I_EPSILONS = 0x2000000
_NO_O_EPSILONS = 0x8000000
_I_LABEL_SORTED = 0x10000000
_O_LABEL_SORTED = 0x40000000
PROPERTIES = (
    _EXPANDED
    | _MUTABLE
    | _ACCEPTOR
    | _NO_EPSILONS
    | _NO_I_EPSILONS
    | _NO_O_EPSILONS
    | _I_LABEL_SORTED
    | _O_LABEL_SORTED
)
# A home folder's files of its own; everything else of the model is linked.
OWN_FILES = ("graph/Gr.fst", "graph/words.txt", "conf/model.conf")
# Never linked: rescoring with the open-vocabulary language model would undo the grammar.
NOT_LINKED = ("rescore", "rnnlm", "graph/HCLG.fst")
HOME_PREFIX = "home-"

type Arc = tuple[int, float, int]  # word id (input = output label), cost, next state


@dataclass(frozen=True, slots=True)
class Acceptor:
    """A weighted acceptor: state 0 starts; arcs and final costs per state."""

    arcs: tuple[tuple[Arc, ...], ...]
    finals: Mapping[int, float]

    @property
    def num_arcs(self) -> int:
        """Return the number of arcs."""
        return sum(len(arcs) for arcs in self.arcs)

    def accepts(self, words: Sequence[int]) -> float | None:
        """Return the least cost of a word sequence, or None if it is not accepted."""
        costs = {0: 0.0}
        for word in words:
            following: dict[int, float] = {}
            for state, cost in costs.items():
                for label, weight, target in self.arcs[state]:
                    if label == word and cost + weight < following.get(target, math.inf):
                        following[target] = cost + weight
            costs = following
        found = [cost + self.finals[s] for s, cost in costs.items() if s in self.finals]
        return min(found) if found else None


@dataclass(frozen=True, slots=True)
class CompiledGrammar:
    """An exact grammar for one model: the acceptor, its words and what it took."""

    acceptor: Acceptor
    words: Mapping[int, str]  # word id -> word, every word the acceptor uses
    texts: int  # template texts compiled
    texts_dropped: int  # with a fixed word the model cannot say
    build_ms: float

    def fst_bytes(self) -> bytes:
        """Return the acceptor in OpenFst's binary vector format."""
        return write_fst(self.acceptor)

    def words_txt(self) -> str:
        """Return the symbol table Vosk reads as graph/words.txt."""
        lines = ["<eps> 0", *(f"{w} {i}" for i, w in sorted(self.words.items()) if i)]
        return "\n".join(lines) + "\n"

    def summary(self) -> dict[str, float | int]:
        """Figures for diagnostics (no words)."""
        return {
            "states": len(self.acceptor.arcs),
            "arcs": self.acceptor.num_arcs,
            "words": len(self.words),
            "texts": self.texts,
            "texts_dropped": self.texts_dropped,
            "build_ms": self.build_ms,
        }


def supports_exact_grammar(model_path: Path) -> bool:
    """Whether a model decodes against a replaceable Gr.fst (blocking: reads the folder)."""
    graph = model_path / "graph"
    return (
        (graph / "HCLr.fst").is_file()
        and (graph / "Gr.fst").is_file()
        and not (graph / "HCLG.fst").exists()
    )


def compile_grammar(  # noqa: PLR0913 - the phrase set's parts, kept free of its type
    texts: Iterable[str],
    values: Mapping[str, Iterable[str]],
    splits: Mapping[str, str],
    garbage: Iterable[str],
    word_id: Callable[[str], int],
    *,
    garbage_cost: float = GARBAGE_COST,
) -> CompiledGrammar:
    """Compile template texts ("{area}에 있는 {name} 켜줘") into an exact acceptor.

    values: a slot's spoken values; splits: words the model knows only in parts
    ("거실에" -> "거실 에"); word_id: the model's id of a word, -1 if it lacks it.
    CPU-bound: run in an executor.
    """
    started = time.perf_counter()
    words = _Words(splits, word_id)
    root, count, dropped = _prefix_tree(texts, words)
    builder = _Builder()
    expansions: dict[_Slot, list[tuple[int, ...]]] = {}

    def expand(slot: _Slot) -> list[tuple[int, ...]]:
        if slot not in expansions:
            prefix, name, suffix = slot
            said = (words.ids(f"{prefix}{value}{suffix}") for value in values.get(name, ()))
            expansions[slot] = sorted({s for s in said if s})
        return expansions[slot]

    pending = [(root, builder.new_state())]
    while pending:
        node, state = pending.pop()
        if node.final:
            builder.finals[state] = 0.0
        for symbol, child in node.children.items():
            target = builder.new_state()
            pending.append((child, target))
            chains = [symbol] if isinstance(symbol[0], int) else expand(symbol)
            for chain in chains:
                builder.chain(state, chain, target)
    _add_garbage(builder, [words.ids(w) for w in sorted(set(garbage))], garbage_cost)
    return CompiledGrammar(
        acceptor=builder.acceptor(),
        words=words.used,
        texts=count,
        texts_dropped=dropped,
        build_ms=round((time.perf_counter() - started) * 1000, 1),
    )


type _Slot = tuple[str, str, str]  # the affix glued before it, the slot, the affix after


class _Words:
    """Word ids of spoken text, through the model's lexicon; remembers the words used."""

    def __init__(self, splits: Mapping[str, str], word_id: Callable[[str], int]) -> None:
        self._splits = splits
        self._word_id = word_id
        self.used: dict[int, str] = {}

    def ids(self, said: str) -> tuple[int, ...] | None:
        """Return the ids of the words said (in parts where split), None if one is unknown."""
        found: list[int] = []
        for word in said.split():
            for part in self._splits.get(word, word).split():
                number = self._word_id(part)
                if number <= 0:
                    return None
                self.used[number] = part
                found.append(number)
        return tuple(found)


def _prefix_tree(texts: Iterable[str], words: _Words) -> tuple[_Node, int, int]:
    """Return the texts' prefix tree, how many texts and how many were dropped."""
    root = _Node()
    count = dropped = 0
    for text in sorted(set(texts)):
        count += 1
        node: _Node | None = root
        for token in text.split():
            slot = _PLACEHOLDER.search(token)
            if slot is not None:
                symbol: tuple[int, ...] | _Slot | None = (
                    token[: slot.start()],
                    slot.group(1),
                    token[slot.end() :],
                )
            else:
                symbol = words.ids(token)
            if symbol is None or node is None:
                node = None
                break
            node = node.child(symbol)
        if node is None:
            dropped += 1
        else:
            node.final = True
    return root, count, dropped


class _Node:
    """A prefix tree node: children by word ids or by (prefix, slot, suffix)."""

    __slots__ = ("children", "final")

    def __init__(self) -> None:
        self.children: dict[tuple[int, ...] | _Slot, _Node] = {}
        self.final = False

    def child(self, symbol: tuple[int, ...] | _Slot) -> _Node:
        node = self.children.get(symbol)
        if node is None:
            node = self.children[symbol] = _Node()
        return node


class _Builder:
    """States and arcs as they are added."""

    def __init__(self) -> None:
        self.arcs: list[list[Arc]] = []
        self.finals: dict[int, float] = {}

    def new_state(self) -> int:
        self.arcs.append([])
        return len(self.arcs) - 1

    def chain(self, source: int, labels: Sequence[int], target: int, cost: float = 0.0) -> None:
        """Add a path source -> target saying labels (cost on its first arc)."""
        state = source
        for index, label in enumerate(labels):
            following = target if index == len(labels) - 1 else self.new_state()
            self.arcs[state].append((label, cost if index == 0 else 0.0, following))
            state = following

    def acceptor(self) -> Acceptor:
        return Acceptor(
            arcs=tuple(tuple(sorted(arcs)) for arcs in self.arcs), finals=dict(self.finals)
        )


def _add_garbage(builder: _Builder, garbage: Sequence[tuple[int, ...] | None], cost: float) -> None:
    """Add a path of one or more garbage words, each at a cost, from the start to an end."""
    words = [w for w in garbage if w]
    if not words:
        return
    loop = builder.new_state()
    builder.finals[loop] = 0.0
    for chain in words:
        builder.chain(0, chain, loop, cost)
        builder.chain(loop, chain, loop, cost)


def write_fst(acceptor: Acceptor) -> bytes:
    """Write an acceptor as OpenFst writes a StdVectorFst (fst/vector-fst.h, fst/fst.h)."""
    out = io.BytesIO()

    def string(text: str) -> bytes:
        data = text.encode()
        return struct.pack("<i", len(data)) + data

    out.write(struct.pack("<i", _FST_MAGIC))
    out.write(string("vector"))
    out.write(string("standard"))
    # version, flags (no symbol tables: Vosk reads graph/words.txt), properties,
    # start state, number of states, number of arcs.
    out.write(struct.pack("<iiQqqq", _VECTOR_VERSION, 0, PROPERTIES, 0, len(acceptor.arcs),
                          acceptor.num_arcs))  # fmt: skip
    arc = struct.Struct("<iifi")
    for state, arcs in enumerate(acceptor.arcs):
        out.write(struct.pack("<fq", acceptor.finals.get(state, math.inf), len(arcs)))
        for label, weight, target in arcs:
            out.write(arc.pack(label, label, weight, target))
    return out.getvalue()


def read_fst(data: bytes) -> Acceptor:
    """Read what write_fst wrote (for tests and diagnostics); ValueError if it is not that."""
    view = io.BytesIO(data)

    def take(fmt: str) -> tuple[int | float, ...]:
        size = struct.calcsize(fmt)
        chunk = view.read(size)
        if len(chunk) != size:
            raise ValueError("truncated FST")
        return struct.unpack(fmt, chunk)

    def string() -> str:
        (length,) = take("<i")
        return view.read(int(length)).decode()

    if take("<i")[0] != _FST_MAGIC or string() != "vector" or string() != "standard":
        raise ValueError("not an OpenFst vector FST of standard arcs")
    _version, _flags, _properties, start, states, _arcs = take("<iiQqqq")
    if start != 0:
        raise ValueError("the start state is not 0")
    arcs: list[tuple[Arc, ...]] = []
    finals: dict[int, float] = {}
    for state in range(int(states)):
        final, count = take("<fq")
        if final != math.inf:
            finals[state] = float(final)
        found: list[Arc] = []
        for _ in range(int(count)):
            label, olabel, weight, target = take("<iifi")
            if label != olabel:
                raise ValueError("not an acceptor")
            found.append((int(label), float(weight), int(target)))
        arcs.append(tuple(found))
    return Acceptor(arcs=tuple(arcs), finals=finals)


def write_home_model(
    model_path: Path, root: Path, grammar: CompiledGrammar, *, lattice_beam: float = LATTICE_BEAM
) -> Path:
    """Write the per-home model folder for a grammar; return it (blocking: executor).

    The folder is named after the model and the grammar's content, so the same home
    gives the same folder; it is written under a temporary name and renamed, so a folder
    that exists is complete. The model's other files are symbolic links.
    """
    fst = grammar.fst_bytes()
    words = grammar.words_txt().encode()
    # Options read later win: the model's own, then the lattice beam.
    conf = (model_path / "conf" / "model.conf").read_bytes()
    conf += f"\n--lattice-beam={lattice_beam:g}\n".encode()
    source = str(model_path.resolve()).encode()
    digest = hashlib.sha256(fst + words + conf + source).hexdigest()[:16]
    folder = root / f"{HOME_PREFIX}{model_path.name}-{digest}"
    if folder.is_dir():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f".{folder.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    _link_model(model_path.resolve(), partial)
    (partial / "graph" / "Gr.fst").write_bytes(fst)
    (partial / "graph" / "words.txt").write_bytes(words)
    (partial / "conf" / "model.conf").write_bytes(conf)
    partial.rename(folder)
    return folder


def _link_model(source: Path, target: Path) -> None:
    """Link the model's files into target, except its grammar and rescoring."""
    target.mkdir(parents=True)
    folders_with_own_files = {own.split("/")[0] for own in OWN_FILES}
    for entry in sorted(source.iterdir()):
        if entry.name in NOT_LINKED:
            continue
        if entry.name in folders_with_own_files and entry.is_dir():
            (target / entry.name).mkdir()
            for part in sorted(entry.iterdir()):
                name = f"{entry.name}/{part.name}"
                if name not in OWN_FILES and name not in NOT_LINKED:
                    (target / name).symlink_to(part)
            continue
        (target / entry.name).symlink_to(entry)


def remove_home_models(root: Path, keep: Path | None = None) -> None:
    """Remove the home folders under root except keep (blocking: executor)."""
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry != keep and entry.name.lstrip(".").startswith(HOME_PREFIX):
            shutil.rmtree(entry, ignore_errors=True)


_SYMBOL_TABLE_MAGIC = 2125658996
_HAS_ISYMBOLS = 0x1


class Lexicon:
    """A model's words and their ids, read from graph/Gr.fst's symbol table.

    What the grammar builder needs of the open-vocabulary model, without loading it: in
    phrases-only mode the model is freed and word ids come from here. Kept compact (the
    Korean model has 503,352 words): one sorted blob and two integer arrays, ~10 MB,
    looked up by binary search.
    """

    def __init__(self, words: Mapping[bytes, int]) -> None:
        """Index words (UTF-8) -> id."""
        ordered = sorted(words)
        self._blob = b"".join(ordered)
        self._starts = array("q", itertools.accumulate((len(w) for w in ordered), initial=0))
        self._ids = array("q", (words[w] for w in ordered))

    def __len__(self) -> int:
        """Return the number of words."""
        return len(self._ids)

    def id(self, word: str) -> int:
        """Return the word's id, -1 if the model lacks it."""
        wanted = word.encode()
        low, high = 0, len(self._ids)
        while low < high:
            middle = (low + high) // 2
            found = self._blob[self._starts[middle] : self._starts[middle + 1]]
            if found < wanted:
                low = middle + 1
            elif found > wanted:
                high = middle
            else:
                return self._ids[middle]
        return -1

    @classmethod
    def from_model(cls, model_path: Path) -> Lexicon | None:
        """Read the symbol table of a lookahead model's Gr.fst (blocking); None if none.

        OpenFst's header (fst/fst.h FstHeader), then the input symbol table
        (fst/symbol-table.cc): magic, name, available key, size, (symbol, key) pairs.
        """
        path = model_path / "graph" / "Gr.fst"
        try:
            with path.open("rb") as file:
                reader = _Reader(file)
                if reader.i32() != _FST_MAGIC:
                    return None
                reader.text()  # fst type
                reader.text()  # arc type
                reader.i32()  # version
                flags = reader.i32()
                reader.skip(8 + 8 + 8 + 8)  # properties, start, states, arcs
                if not flags & _HAS_ISYMBOLS or reader.i32() != _SYMBOL_TABLE_MAGIC:
                    return None
                reader.text()  # the table's name
                reader.i64()  # available key
                size = reader.i64()
                words = {}
                for _ in range(size):
                    symbol = reader.text()
                    words[symbol] = reader.i64()
        except (OSError, struct.error, ValueError, MemoryError):
            return None
        return cls(words)


class _Reader:
    """Little-endian OpenFst fields from a binary file."""

    LONGEST_TEXT = 1 << 20

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def _read(self, size: int) -> bytes:
        data = self._file.read(size)
        if len(data) != size:
            raise ValueError("the file ends inside its header")
        return data

    def i32(self) -> int:
        value: int = struct.unpack("<i", self._read(4))[0]
        return value

    def i64(self) -> int:
        value: int = struct.unpack("<q", self._read(8))[0]
        return value

    def text(self) -> bytes:
        size = self.i32()
        if not 0 <= size <= self.LONGEST_TEXT:
            raise ValueError("not an OpenFst string")
        return self._read(size)

    def skip(self, size: int) -> None:
        self._read(size)
