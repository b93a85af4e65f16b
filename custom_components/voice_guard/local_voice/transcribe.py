"""The transcribe action: a WAV file from a local folder or the media library.

The file is streamed to the speech engine, checked as it is read and closed; never kept.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
import os
from pathlib import Path
import stat
from typing import BinaryIO

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv

from ..compat import vol
from ..const import DOMAIN, LOGGER
from ..errors import action_error
from ..text import language_tag, printable
from .data import SpeechConfigEntry, loaded_speech_entry
from .engine.base import RecognitionSettings
from .errors import speech_errors

SERVICE_TRANSCRIBE = "transcribe"
ATTR_FILE = "file"
ATTR_MEDIA = "media_content_id"
ATTR_LANGUAGE = "language"
LOCAL_MEDIA_PREFIX = "media-source://media_source/"
CHUNK = 64 * 1024

MAX_PATH = 4096  # Linux's PATH_MAX; a media-source id is a path with a prefix
TRANSCRIBE_SCHEMA = vol.Schema(
    {
        vol.Exclusive(ATTR_FILE, "source"): vol.All(cv.string, vol.Length(max=MAX_PATH)),
        vol.Exclusive(ATTR_MEDIA, "source"): vol.All(cv.string, vol.Length(max=MAX_PATH)),
        vol.Optional(ATTR_LANGUAGE): language_tag,
    }
)

# --- transcribe --------------------------------------------------------------------------


def _speech_entry(hass: HomeAssistant) -> SpeechConfigEntry:
    if (entry := loaded_speech_entry(hass)) is None:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="no_speech_engine")
    return entry


def _local_path(hass: HomeAssistant, call: ServiceCall) -> Path:
    """Return the file to transcribe: a path, or a media-source id of a local folder."""
    if (file := call.data.get(ATTR_FILE)) is not None:
        if not printable(file):
            raise action_error("path_invalid")
        path = Path(file)
    elif (media := call.data.get(ATTR_MEDIA)) is not None:
        if not printable(media):
            raise action_error("path_invalid")
        if not media.startswith(LOCAL_MEDIA_PREFIX):
            raise action_error("media_not_local", media=media)
        source, _, location = media.removeprefix(LOCAL_MEDIA_PREFIX).partition("/")
        if source not in hass.config.media_dirs or not location:
            raise action_error("media_not_local", media=media)
        path = Path(hass.config.media_dirs[source]) / location
    else:
        raise action_error("no_audio_source")
    if not path.is_absolute():
        path = Path(hass.config.path(str(path)))
    if ".." in path.parts or not hass.config.is_allowed_path(str(path)):
        raise action_error("path_not_allowed", path=str(path))
    return path


class _NotAFileError(OSError):
    """The path is a folder, FIFO, socket or device: nothing to read a recording from."""


class _NotWavError(OSError):
    """The file does not start with a RIFF/WAVE header."""


def _open_wav(path: Path) -> BinaryIO:
    """Open a regular WAV file for reading (blocking: in the executor).

    The type is checked before opening and again on the open descriptor, which is opened
    non-blocking: a FIFO or device swapped in between can never hang the thread.
    """
    _require_regular(path, path.stat().st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        _require_regular(path, os.fstat(fd).st_mode)
        file = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    try:
        _require_wav(path, file.read(12))
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


def _require_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise _NotAFileError(str(path))


def _require_wav(path: Path, header: bytes) -> None:
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:] != b"WAVE":  # noqa: PLR2004
        raise _NotWavError(str(path))


async def async_transcribe(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    """Recognise a WAV file: its text and timings, or a translated error."""
    entry = _speech_entry(hass)
    path = _local_path(hass, call)
    try:
        file = await hass.async_add_executor_job(_open_wav, path)
    except FileNotFoundError as err:
        raise action_error("file_not_found", path=str(path)) from err
    except (_NotAFileError, IsADirectoryError) as err:
        raise action_error("not_a_file", path=str(path)) from err
    except _NotWavError as err:
        raise action_error("not_wav", path=str(path)) from err
    except OSError as err:
        error = err.strerror or str(err)
        raise action_error("file_unreadable", path=str(path), error=error) from err
    runtime = entry.runtime_data
    # A language tag by the schema; it must be one the engine recognises.
    languages = runtime.engine.languages
    language = call.data.get(ATTR_LANGUAGE) or languages[0]
    if language not in languages:
        raise action_error(
            "language_not_recognised", language=language, languages=", ".join(languages)
        )

    async def chunks() -> AsyncGenerator[bytes]:
        # Read as the engine asks for more: its length limit stops reading a huge file.
        while chunk := await hass.async_add_executor_job(file.read, CHUNK):
            yield chunk

    settings = RecognitionSettings(
        language=language,
        # A recording may hold pauses: only the end of the file ends it.
        silence_ms=60_000,
        max_seconds=runtime.speech.max_seconds,
    )
    audio = chunks()
    try:
        with speech_errors(str(path), max_seconds=settings.max_seconds):
            recognition = await runtime.engine.transcribe(audio, settings)
    except OSError as err:
        error = err.strerror or str(err)
        raise action_error("file_unreadable", path=str(path), error=error) from err
    finally:
        await audio.aclose()
        await hass.async_add_executor_job(file.close)
    LOGGER.debug("Transcribed %s (%.0f ms of audio)", path.name, recognition.timing.audio_ms)
    return {"text": recognition.text, "audio_ms": recognition.timing.audio_ms}
