"""The embedded engine: Vosk inside Home Assistant's process.

One model is loaded once and shared; each utterance gets its own recognizer.
All Vosk calls run on a private thread pool (two threads per decoder: hybrid mode runs
two recognizers per utterance), and at most max_decoders utterances decode at once
(later ones wait), so the event loop is never blocked and CPU use stays bounded.

Phrase mode on a lookahead model decodes against the home's exact grammar (grammar.py):
a second model, the per-home folder whose Gr.fst takes exactly the home's commands,
loaded when the phrase set is built and swapped in whole; the previous one serves until
then and is freed once no recognition uses it. Elsewhere, and until the first one is
loaded, phrase mode uses Vosk's runtime grammar (a phrase list).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
import contextlib
import ctypes
from dataclasses import dataclass
import functools
import json
import logging
from pathlib import Path
import shutil
import time
from typing import Any

from . import decision, grammar
from .audio import SAMPLE_RATE
from .base import (
    MODE_HYBRID,
    MODE_OPEN,
    Decoder,
    RecognitionSettings,
    SpeechEngine,
    spoken_text,
)
from .errors import EngineUnavailableError, ModelError, SpeechError
from .models import ModelInfo, model_name, validate_model_dir
from .phrases import PhraseSet

_LOGGER = logging.getLogger(__name__)


def vosk_available() -> bool:
    """Return whether the vosk library can be imported (blocking)."""
    try:
        import vosk  # noqa: F401, PLC0415
    except (ImportError, OSError):
        return False
    return True


BLOCK_BYTES = 3200  # Vosk is fed 100 ms blocks, so results do not depend on chunking
# Phrase mode reads Vosk's n best hypotheses and answers the first that is a command of
# this home, if its score is within SCORE_MARGIN of the best one (garbage words included).
# Measured on espeak-ng Korean (bench/phrases.py): a margin of 3 finds the command where
# the best hypothesis dropped a word; wider margins, posterior thresholds and comparing a
# commands-only decode won commands only by forcing more non-commands into commands.
ALTERNATIVES = 10
SCORE_MARGIN = 3.0
# The exact grammar says only commands or garbage words: its n best hypotheses are
# weighed by action (decision.py); more of them let variants of one action add up.
EXACT_ALTERNATIVES = 30


@dataclass(slots=True, eq=False)
class _HomeModel:
    """The model folder of the home's exact grammar, loaded, and who uses it."""

    phrases: PhraseSet
    folder: Path
    model: Any
    summary: dict[str, Any]
    users: int = 0
    retired: bool = False


class _VoskDecoder:
    """One utterance on one KaldiRecognizer, all calls on the engine's threads."""

    def __init__(self, engine: VoskEngine, recognizer: Any) -> None:
        self.engine = engine
        self._recognizer = recognizer
        self._pending = bytearray()
        self._results: list[dict[str, Any]] = []

    async def accept(self, audio: bytes) -> None:
        self._pending.extend(audio)
        whole = len(self._pending) - len(self._pending) % BLOCK_BYTES
        if whole:
            blocks = bytes(self._pending[:whole])
            del self._pending[:whole]
            self._results += await self.engine.run(_accept_blocks, self._recognizer, blocks)

    async def finish(self) -> str:
        rest = bytes(self._pending)
        self._pending.clear()
        self._results += await self.engine.run(_finish, self._recognizer, rest)
        return spoken_text(" ".join(str(r.get("text", "")) for r in self._results))

    async def close(self) -> None:
        """Free the recognizer off the event loop.

        Kaldi takes 0.2 s to free the recognizer of a two-minute utterance; dropped in the
        loop (or collected there with an error's traceback) that is a step of 0.2 s.
        """
        held = [self._recognizer] if self._recognizer is not None else []
        self._recognizer = None
        if held:
            await asyncio.get_running_loop().run_in_executor(None, held.clear)

    async def finish_hypotheses(self) -> list[tuple[str, float]]:
        """Return the n best (text, score) of the utterance, best first.

        For a recognizer with alternatives. Vosk may close a segment of its own inside a
        long utterance: then only the best hypotheses of the segments are joined.
        """
        await self.finish()
        segments = [r.get("alternatives") or [] for r in self._results]
        segments = [s for s in segments if s and any(str(a.get("text", "")).strip() for a in s)]
        if len(segments) == 1:
            return [(str(a.get("text", "")).strip(), float(a["confidence"])) for a in segments[0]]
        text = " ".join(str(s[0].get("text", "")).strip() for s in segments)
        return [(text, sum(float(s[0]["confidence"]) for s in segments))] if text else []


class _PhraseDecoder:
    """Phrase mode: a grammar recognizer whose text counts only if it is a command.

    In hybrid mode an open-vocabulary recognizer decodes the same audio alongside, on its
    own thread and never holding the phrase recognizer up (the grammar one costs a few
    percent of it). It answers when no hypothesis is a command of this home; when one is,
    its remaining work is dropped, so a command is as fast as in phrase mode.

    The grammar's final pass is cheap, so it runs early, during the trailing silence
    (speculate); if the speaker goes on, a new grammar recognizer decodes the utterance
    kept so far (resume), which takes a few percent of its length.
    """

    def __init__(
        self,
        start: Callable[[], Awaitable[_VoskDecoder]],
        phrase: _VoskDecoder,
        phrases: Any,
        fallback: _VoskDecoder | None,
        *,
        decide: Callable[[Any, list[tuple[str, float]]], str | None],
    ) -> None:
        self._start = start
        self._phrase = phrase
        self._phrases = phrases
        self._decide = decide
        self._fallback = fallback
        self._fallback_audio: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._feeding = asyncio.create_task(self._feed(fallback)) if fallback else None
        self._audio = bytearray()  # the utterance so far, in memory only
        self._early: list[tuple[str, float]] | None = None

    @property
    def early_final(self) -> bool:
        """Whether the answer comes from the final pass run during the trailing silence."""
        return self._early is not None

    async def accept(self, audio: bytes) -> None:
        self._audio.extend(audio)
        if self._feeding is not None:
            self._fallback_audio.put_nowait(audio)
        if self._early is None:
            await self._phrase.accept(audio)

    async def speculate(self) -> None:
        self._early = await self._phrase.finish_hypotheses()

    async def resume(self) -> None:
        self._early = None
        previous, self._phrase = self._phrase, await self._start()
        await previous.close()
        await self._phrase.accept(bytes(self._audio))

    async def _feed(self, fallback: _VoskDecoder) -> None:
        """Feed the open-vocabulary recognizer, in order, whatever has arrived meanwhile."""
        while True:
            batch = [await self._fallback_audio.get()]
            while not self._fallback_audio.empty():
                batch.append(self._fallback_audio.get_nowait())
            await fallback.accept(b"".join(a for a in batch if a is not None))
            if batch[-1] is None:
                return

    async def finish(self) -> str:
        hypotheses = self._early
        if hypotheses is None:
            hypotheses = await self._phrase.finish_hypotheses()
        # hassil's matching reads data files and takes milliseconds: on the engine's threads.
        command = await self._phrase.engine.run(self._decide, self._phrases, hypotheses)
        if command is not None:
            return command
        if self._fallback is None or self._feeding is None:
            return ""
        self._fallback_audio.put_nowait(None)
        await self._feeding
        return await self._fallback.finish()

    async def close(self) -> None:
        """Drop open-vocabulary work still running; free the recognizers off the loop."""
        if self._feeding is not None:
            self._feeding.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._feeding
        await self._phrase.close()
        if self._fallback is not None:
            await self._fallback.close()


@contextlib.asynccontextmanager
async def _closing(decoder: _VoskDecoder | _PhraseDecoder) -> AsyncIterator[None]:
    """Close the decoder (its recognizers freed off the loop) however the block ends."""
    try:
        yield
    finally:
        await decoder.close()


def _first_command(phrases: Any, hypotheses: list[tuple[str, float]]) -> str | None:
    """Return the first hypothesis that is a command, among those close to the best."""
    best = hypotheses[0][1] if hypotheses else 0.0
    for text, score in hypotheses:
        if score < best - SCORE_MARGIN:
            break
        if (command := phrases.match(text)) is not None:
            return str(command)
    return None


def _posterior_command(
    phrases: Any, hypotheses: list[tuple[str, float]], *, threshold: float
) -> str | None:
    """Return the command of the action whose posterior reaches threshold, if any."""
    found = decision.decide(hypotheses, phrases.meaning, phrases.match, threshold=threshold)
    _LOGGER.debug(
        "Phrase decision: posterior %.2f, no command %.2f, %s",
        found.posterior,
        found.no_command,
        "acted on" if found.command else "not acted on",
    )
    return found.command


def _accept_blocks(recognizer: Any, audio: bytes) -> list[dict[str, Any]]:
    """Feed whole blocks; keep the result of every utterance Vosk closes on its own."""
    return [
        json.loads(recognizer.Result())
        for start in range(0, len(audio), BLOCK_BYTES)
        if recognizer.AcceptWaveform(audio[start : start + BLOCK_BYTES])
    ]


def _finish(recognizer: Any, rest: bytes) -> list[dict[str, Any]]:
    results = _accept_blocks(recognizer, rest) if rest else []
    results.append(json.loads(recognizer.FinalResult()))
    return results


class VoskEngine(SpeechEngine):
    """Vosk in-process, with a bounded number of concurrent decoders."""

    kind = "embedded"

    def __init__(
        self,
        model_path: Path,
        language: str,
        *,
        max_decoders: int,
        grammar_root: Path | None = None,
        open_vocabulary_on_demand: bool = False,
    ) -> None:
        """Prepare the engine; call async_load before use.

        grammar_root is where per-home model folders go (none: runtime grammars only).
        open_vocabulary_on_demand (phrases-only mode): once the home's exact grammar is
        loaded, the open-vocabulary model is freed (~300 MB for the Korean model); word ids
        come from its lexicon, and a recognition that needs the model (voice_guard.
        transcribe, or the runtime grammar when no home model could be built) loads it
        again and frees it after.
        """
        super().__init__()
        self.model_path = model_path
        self.open_vocabulary_on_demand = open_vocabulary_on_demand
        self._lexicon: grammar.Lexicon | None = None
        self._model_users = 0
        self._model_lock = asyncio.Lock()
        self._loaded = False
        self.open_vocabulary_loads = 0
        self.grammar_root = grammar_root
        self.exact_grammar_supported = False
        self.grammar_failures = 0
        self._home: _HomeModel | None = None
        self._retired: list[_HomeModel] = []
        self._grammar_lock = asyncio.Lock()
        self.language = language
        self.max_decoders = max(1, max_decoders)
        self.model_info: ModelInfo | None = None
        self.load_seconds: float | None = None
        self._model: Any = None
        # Two threads per utterance: hybrid mode decodes phrases and open vocabulary at once.
        self._executor = ThreadPoolExecutor(
            max_workers=2 * self.max_decoders, thread_name_prefix="voice_guard_vosk"
        )
        self._slots = asyncio.Semaphore(self.max_decoders)
        self.decoders_in_use = 0  # recognitions holding a decoder now
        self.decoders_changed = asyncio.Event()  # set when one is taken or given back

    @property
    def languages(self) -> list[str]:
        """Return the model's language."""
        return [self.language]

    async def run[T](self, func: Callable[..., T], *args: Any) -> T:
        """Run a blocking Vosk call on the engine's threads."""
        if self._closed:
            raise EngineUnavailableError("engine is closed", reason="engine_closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    async def async_load(self) -> None:
        """Validate and load the model once, off the event loop."""
        started = time.monotonic()
        self.model_info = await self.run(validate_model_dir, self.model_path)
        self._model = await self.run(_load_model, self.model_path)
        self._loaded = True
        self.load_seconds = round(time.monotonic() - started, 2)
        if self.grammar_root is not None:
            self.exact_grammar_supported = await self.run(
                grammar.supports_exact_grammar, self.model_path
            )
            # Folders a previous run left (a crash, an older home) go.
            await self.run(grammar.remove_home_models, self.grammar_root, None)

    def word_id(self, word: str) -> int:
        """Return the model's id of a word, -1 if it lacks it (blocking: grammar builder)."""
        model, lexicon = self._model, self._lexicon
        if model is not None:
            return int(model.vosk_model_find_word(word))
        return lexicon.id(word) if lexicon is not None else -1

    async def async_prepare_phrases(self, phrases: PhraseSet) -> None:
        """Compile the phrase set into the home's exact grammar and swap it in.

        The previous grammar keeps serving until the new one is loaded; a failure is
        logged and leaves phrase mode on Vosk's runtime grammar for this phrase set.
        """
        if self.grammar_root is None or not self.exact_grammar_supported:
            return
        async with self._grammar_lock:
            if self._closed:
                return
            # Not on the decoders' threads: recognitions go on meanwhile.
            loop = asyncio.get_running_loop()
            try:
                compiled = await loop.run_in_executor(
                    None,
                    grammar.compile_grammar,
                    phrases.texts,
                    phrases.slot_values,
                    phrases.splits,
                    phrases.garbage,
                    self.word_id,
                )
                folder = await loop.run_in_executor(
                    None, grammar.write_home_model, self.model_path, self.grammar_root, compiled
                )
                if self._home is not None and self._home.folder == folder:
                    # The same grammar (a change that says nothing new): keep the model.
                    self._home.phrases = phrases
                    return
                model = await loop.run_in_executor(None, _load_model, folder)
            except (OSError, SpeechError) as err:
                self.grammar_failures += 1
                _LOGGER.warning(
                    "The home's exact grammar could not be loaded (%s); phrase mode uses "
                    "the runtime grammar",
                    err,
                )
                return
            home = _HomeModel(phrases, folder, model, compiled.summary())
            previous, self._home = self._home, home
            _LOGGER.debug("Exact grammar in use: %s", home.summary)
            if previous is not None:
                previous.retired = True
                self._retired.append(previous)
                await self._free_retired()
        await self._free_open_vocabulary()

    async def _free_retired(self) -> None:
        """Free home models no recognition uses any more, off the event loop."""
        idle = [home for home in self._retired if home.users == 0]
        if not idle:
            return
        self._retired = [home for home in self._retired if home.users]
        keep = self._home.folder if self._home is not None else None
        held = [home.model for home in idle]
        for home in idle:
            home.model = None
        folders = [home.folder for home in idle if home.folder != keep]
        await asyncio.get_running_loop().run_in_executor(None, _release, held, folders)

    @contextlib.asynccontextmanager
    async def _decoder(self, settings: RecognitionSettings) -> AsyncIterator[Decoder]:
        if not self._loaded:
            raise EngineUnavailableError("model not loaded", reason="engine_unavailable")
        try:
            await self._take_slot(self._slots)
        except TimeoutError as err:
            raise EngineUnavailableError(
                f"all {self.max_decoders} decoders stayed busy for {self.busy_seconds:g} s",
                reason="busy",
            ) from err
        self.decoders_in_use += 1
        self.decoders_changed.set()
        phrases = settings.phrases if settings.mode != MODE_OPEN else None
        home = self._home if self._home is not None and self._home.phrases is phrases else None
        if home is not None:
            home.users += 1
        # The open-vocabulary model serves open vocabulary, hybrid mode's fallback and the
        # runtime grammar; phrase mode on the home's model needs none.
        model: Any = None
        try:
            if phrases is None or home is None or settings.mode == MODE_HYBRID:
                model = await self._use_model()
            if phrases is not None:
                decoder = await self._phrase_decoder(
                    phrases,
                    home,
                    model,
                    hybrid=settings.mode == MODE_HYBRID,
                    threshold=decision.threshold(settings.strictness),
                )
                async with _closing(decoder):
                    yield decoder
            else:
                args: tuple[Any, ...] = (model, SAMPLE_RATE)
                if settings.grammar is not None:
                    args += (json.dumps(list(settings.grammar), ensure_ascii=False),)
                vosk_decoder = _VoskDecoder(self, await self.run(_new_recognizer, *args))
                async with _closing(vosk_decoder):
                    yield vosk_decoder
        finally:
            self.decoders_in_use -= 1
            self.decoders_changed.set()
            self._slots.release()
            if home is not None:
                home.users -= 1
                if home.retired and not self._closed:
                    await self._free_retired()
            if model is not None:
                await self._done_with_model()

    async def _phrase_decoder(
        self,
        phrases: PhraseSet,
        home: _HomeModel | None,
        model: Any,
        *,
        hybrid: bool,
        threshold: float,
    ) -> _PhraseDecoder:
        async def start() -> _VoskDecoder:
            if home is not None:
                return _VoskDecoder(self, await self.run(_exact_recognizer, home.model))
            # The grammar's JSON is built once per phrase set.
            phrase_list = phrases.vosk_grammar_json
            return _VoskDecoder(self, await self.run(_grammar_recognizer, model, phrase_list))

        fallback = None
        if hybrid:
            fallback = _VoskDecoder(self, await self.run(_new_recognizer, model, SAMPLE_RATE))
        decide = (
            functools.partial(_posterior_command, threshold=threshold)
            if home is not None
            else _first_command
        )
        return _PhraseDecoder(start, await start(), phrases, fallback, decide=decide)

    def known_word(self, word: str) -> bool:
        """Whether the model's lexicon has the word (blocking: for the phrase builder)."""
        return self.word_id(word) != -1

    async def _use_model(self) -> Any:
        """Return the open-vocabulary model for one recognition, loading it if freed."""
        async with self._model_lock:
            if self._model is None:
                self.open_vocabulary_loads += 1
                self._model = await asyncio.get_running_loop().run_in_executor(
                    None, _load_model, self.model_path
                )
            self._model_users += 1
            return self._model

    async def _done_with_model(self) -> None:
        self._model_users -= 1
        await self._free_open_vocabulary()

    async def _free_open_vocabulary(self) -> None:
        """Free the open-vocabulary model if phrases-only mode does not need it now."""
        async with self._model_lock:
            if (
                not self.open_vocabulary_on_demand
                or self._closed
                or self._model is None
                or self._model_users
                or self._home is None
            ):
                return
            loop = asyncio.get_running_loop()
            if self._lexicon is None:
                self._lexicon = await loop.run_in_executor(
                    None, grammar.Lexicon.from_model, self.model_path
                )
                if self._lexicon is None:
                    _LOGGER.debug("The model's words cannot be read: it stays loaded")
                    self.open_vocabulary_on_demand = False
                    return
            held = [self._model]
            self._model = None
            await loop.run_in_executor(None, _release, held, [])

    def diagnostics(self) -> dict[str, Any]:
        """Describe the engine, its model and recent timings."""
        info = self.model_info
        return {
            **super().diagnostics(),
            "max_decoders": self.max_decoders,
            "model": {
                "path": str(self.model_path),
                "name": model_name(self.model_path),
                "language": self.language,
                "size_bytes": info.size_bytes if info else None,
                "supports_grammar": info.supports_grammar if info else None,
                "load_seconds": self.load_seconds,
                # Phrases-only mode frees it once the home's grammar is loaded.
                "open_vocabulary_loaded": self._model is not None,
                "open_vocabulary_loads_on_demand": self.open_vocabulary_loads,
            },
            "exact_grammar": {
                "supported": self.exact_grammar_supported,
                "in_use": self._home.summary if self._home is not None else None,
                "failures": self.grammar_failures,
            },
        }

    async def async_close(self) -> None:
        """Cancel recognitions, wait for the decoder threads to finish, free the model."""
        await super().async_close()
        # Kaldi takes a quarter of a second to free even a small model: the last
        # reference goes in the executor, never in the event loop.
        held = [self._model]
        self._model = None
        homes = [h for h in (self._home, *self._retired) if h is not None]
        self._home = None
        self._retired = []
        held.extend(home.model for home in homes)
        folders = {home.folder for home in homes}

        def finish() -> None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            _release(held, folders)

        await asyncio.get_running_loop().run_in_executor(None, finish)


def _load_model(path: Path) -> Any:
    try:
        import vosk  # noqa: PLC0415
    except (ImportError, OSError) as err:
        raise EngineUnavailableError(f"vosk cannot be imported: {err}") from err
    vosk.SetLogLevel(-1)
    try:
        return vosk.Model(str(path))
    except Exception as err:
        raise ModelError(f"Vosk cannot load {path}: {err}", reason="model_unloadable") from err


# A model up to this size is loaded once to check it before an entry uses it; a bigger
# one (the 2 GB static-graph models) only at setup, where a failure becomes a repair.
PROBE_LIMIT_BYTES = 2**30


def probe_model(path: Path) -> None:
    """Load and free a model folder to see that Vosk can use it (blocking: executor).

    File names say little: a folder with the right names and garbage inside is refused
    here (model_unloadable), not left to retry its setup for ever.
    """
    if validate_model_dir(path).size_bytes > PROBE_LIMIT_BYTES:
        return
    model = _load_model(path)
    del model


def _new_recognizer(*args: Any) -> Any:
    import vosk  # noqa: PLC0415

    return vosk.KaldiRecognizer(*args)


def _exact_recognizer(model: Any) -> Any:
    """Return a recognizer of a home model: its Gr.fst is the exact grammar."""
    recognizer = _new_recognizer(model, SAMPLE_RATE)
    recognizer.SetMaxAlternatives(EXACT_ALTERNATIVES)
    return recognizer


def _release(held: list[Any], folders: Iterable[Path]) -> None:
    """Free models (the last references to them) and their folders (blocking: executor).

    Kaldi takes a quarter of a second to free even a small model; what it freed goes
    back to the system after.
    """
    held.clear()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    _trim_memory()


def _trim_memory() -> None:
    """Give memory freed by Kaldi back to the system (glibc keeps it otherwise).

    Without it a reload that frees a model leaves Home Assistant's resident memory
    ~140 MB higher. Elsewhere (musl has no vosk wheel anyway) it does nothing.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return


def _grammar_recognizer(model: Any, grammar_json: str) -> Any:
    recognizer = _new_recognizer(model, SAMPLE_RATE, grammar_json)
    recognizer.SetMaxAlternatives(ALTERNATIVES)
    return recognizer
