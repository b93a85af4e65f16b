"""What Assist sends: 16 kHz, mono, 16-bit little-endian PCM, raw or in a WAV container."""

from __future__ import annotations

from dataclasses import dataclass
import struct

from .errors import AudioError

SAMPLE_RATE = 16000
SAMPLE_WIDTH = 2
CHANNELS = 1
BYTES_PER_MS = SAMPLE_RATE * SAMPLE_WIDTH * CHANNELS // 1000

_RIFF_HEADER = struct.Struct("<4sI4s")
_CHUNK_HEADER = struct.Struct("<4sI")
_FMT = struct.Struct("<HHIIHH")
_WAVE_FORMAT_PCM = 1
_MAX_WAV_HEADER = 4096


def ms_to_bytes(milliseconds: int) -> int:
    """Return the byte count of the given duration of audio."""
    return milliseconds * BYTES_PER_MS


def bytes_to_ms(size: int) -> float:
    """Return the duration of size bytes of audio in milliseconds."""
    return size / BYTES_PER_MS


@dataclass(slots=True)
class _WavState:
    buffer: bytearray


class PcmReader:
    """Turn arbitrary chunks into whole 16-bit frames of a fixed duration.

    A stream that starts with a RIFF/WAVE header is accepted when it describes
    16 kHz mono 16-bit PCM; the header is stripped. Chunks may have any size
    (also odd); a stream whose total size is not whole samples is an error.
    """

    def __init__(self, frame_ms: int, max_ms: int) -> None:
        """Frame the audio in frame_ms pieces, refusing more than max_ms."""
        self._frame_bytes = ms_to_bytes(frame_ms)
        self._max_bytes = ms_to_bytes(max_ms)
        self._pending = bytearray()
        self._header: _WavState | None = _WavState(bytearray())
        self.total_bytes = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """Take a chunk and return the whole frames it completes."""
        if self._header is not None:
            chunk = self._strip_header(chunk)
            if self._header is not None:
                return []
        self.total_bytes += len(chunk)
        if self.total_bytes > self._max_bytes:
            raise AudioError(
                f"audio longer than {self._max_bytes // BYTES_PER_MS // 1000} s", reason="too_long"
            )
        self._pending.extend(chunk)
        size = self._frame_bytes
        whole = len(self._pending) - len(self._pending) % size
        frames = [bytes(self._pending[start : start + size]) for start in range(0, whole, size)]
        del self._pending[:whole]
        return frames

    def finish(self) -> bytes:
        """End the stream: return the last partial frame, checking the stream's shape."""
        if self._header is not None:
            # Fewer bytes than a WAV header could need: treat them as raw PCM.
            data = bytes(self._header.buffer)
            self._header = None
            if data[:4] == b"RIFF":
                raise AudioError("truncated WAV header", reason="bad_format")
            self.total_bytes += len(data)
            self._pending.extend(data)
        if self.total_bytes == 0:
            raise AudioError("no audio received", reason="empty")
        if self.total_bytes % SAMPLE_WIDTH:
            raise AudioError("stream ends inside a sample (odd byte count)", reason="odd_bytes")
        rest = bytes(self._pending)
        self._pending.clear()
        return rest

    def _strip_header(self, chunk: bytes) -> bytes:  # noqa: C901 - a small parser, kept whole
        """Collect the first bytes; if they are a WAV header, check and drop it."""
        assert self._header is not None
        buffer = self._header.buffer
        buffer.extend(chunk)
        if len(buffer) < len(b"RIFF"):
            return b""
        if buffer[:4] != b"RIFF":
            self._header = None
            return bytes(buffer)
        offset = _RIFF_HEADER.size
        if len(buffer) < offset:
            return b""
        _, _, wave = _RIFF_HEADER.unpack_from(buffer)
        if wave != b"WAVE":
            raise AudioError("RIFF stream is not WAVE", reason="bad_format")
        fmt_seen = False
        while True:
            if offset > _MAX_WAV_HEADER:
                raise AudioError("WAV header too large", reason="bad_format")
            if len(buffer) < offset + _CHUNK_HEADER.size:
                return b""
            chunk_id, chunk_size = _CHUNK_HEADER.unpack_from(buffer, offset)
            body = offset + _CHUNK_HEADER.size
            if chunk_id == b"data":
                if not fmt_seen:
                    raise AudioError("WAV data comes before its format", reason="bad_format")
                self._header = None
                return bytes(buffer[body:])
            if len(buffer) < body + chunk_size:
                if chunk_size > _MAX_WAV_HEADER:
                    raise AudioError("WAV header too large", reason="bad_format")
                return b""
            if chunk_id == b"fmt ":
                _check_fmt(buffer, body, chunk_size)
                fmt_seen = True
            offset = body + chunk_size + (chunk_size & 1)


def _check_fmt(buffer: bytearray, offset: int, size: int) -> None:
    """Accept only a 16 kHz mono 16-bit PCM fmt chunk."""
    if size < _FMT.size:
        raise AudioError("WAV fmt chunk too short", reason="bad_format")
    fmt, channels, rate, _, _, bits = _FMT.unpack_from(buffer, offset)
    if (fmt, channels, rate, bits) != (_WAVE_FORMAT_PCM, CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH * 8):
        raise AudioError(
            f"WAV must be 16 kHz mono 16-bit PCM, not {rate} Hz, "
            f"{channels} channel(s), {bits} bit, format {fmt}",
            reason="bad_format",
        )
