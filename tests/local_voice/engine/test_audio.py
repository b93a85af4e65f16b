"""PCM framing and WAV handling."""

from __future__ import annotations

import struct

import pytest

from custom_components.voice_guard.local_voice.engine.audio import PcmReader
from custom_components.voice_guard.local_voice.engine.errors import AudioError

from ...speech import to_wav

FRAME_BYTES = 960  # 30 ms


def _read(reader: PcmReader, chunks: list[bytes]) -> bytes:
    out = b"".join(frame for chunk in chunks for frame in reader.feed(chunk))
    return out + reader.finish()


def test_odd_sized_chunks_are_reassembled_into_whole_frames() -> None:
    """Chunks of any size, also odd, come out as the same audio in 30 ms frames."""
    pcm = bytes(range(256)) * 20
    reader = PcmReader(30, 10_000)
    chunks = [pcm[i : i + 7] for i in range(0, len(pcm), 7)]
    frames = [frame for chunk in chunks for frame in reader.feed(chunk)]
    assert all(len(frame) == FRAME_BYTES for frame in frames)
    assert b"".join(frames) + reader.finish() == pcm


def test_wav_header_is_stripped() -> None:
    """A posted WAV file yields exactly its samples."""
    pcm = b"\x01\x02" * 8000
    wav = to_wav(pcm)
    assert _read(PcmReader(30, 10_000), [wav[i : i + 5] for i in range(0, len(wav), 5)]) == pcm


@pytest.mark.parametrize(
    ("rate", "channels", "bits"), [(8000, 1, 16), (16000, 2, 16), (16000, 1, 8)]
)
def test_wav_in_another_format_is_refused(rate: int, channels: int, bits: int) -> None:
    """Only 16 kHz mono 16-bit WAV is accepted; anything else is named in the error."""
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * bits // 8, 2, bits)
    header = b"RIFF" + struct.pack("<I", 36) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    with pytest.raises(AudioError, match=f"not {rate} Hz") as err:
        PcmReader(30, 10_000).feed(header + b"data" + struct.pack("<I", 0))
    assert err.value.reason == "bad_format"


def test_riff_that_is_not_wave_is_refused() -> None:
    """A RIFF file of another kind (AVI, say) is not audio."""
    with pytest.raises(AudioError) as err:
        PcmReader(30, 10_000).feed(b"RIFF\x00\x00\x00\x00AVI LIST")
    assert err.value.reason == "bad_format"


def test_truncated_wav_header_is_refused() -> None:
    """A stream that stops inside a WAV header is an error, not silence."""
    reader = PcmReader(30, 10_000)
    assert reader.feed(b"RIFF\x24\x00") == []
    with pytest.raises(AudioError) as err:
        reader.finish()
    assert err.value.reason == "bad_format"


def test_oversized_wav_header_is_refused() -> None:
    """A header that never reaches the data chunk cannot make us buffer forever."""
    reader = PcmReader(30, 10_000)
    reader.feed(b"RIFF\x00\x00\x00\x00WAVE")
    with pytest.raises(AudioError) as err:
        reader.feed(b"junk" + struct.pack("<I", 1_000_000))
    assert err.value.reason == "bad_format"


def test_empty_stream_is_an_error() -> None:
    """No bytes at all is reported as empty."""
    with pytest.raises(AudioError) as err:
        _read(PcmReader(30, 10_000), [])
    assert err.value.reason == "empty"


def test_tiny_raw_stream_is_accepted() -> None:
    """Fewer bytes than a WAV header are raw PCM."""
    assert _read(PcmReader(30, 10_000), [b"\x01\x00"]) == b"\x01\x00"


def test_odd_total_byte_count_is_an_error() -> None:
    """A stream that ends inside a sample is malformed."""
    with pytest.raises(AudioError) as err:
        _read(PcmReader(30, 10_000), [b"\x00" * 961])
    assert err.value.reason == "odd_bytes"


def test_stream_past_the_length_limit_is_an_error() -> None:
    """Audio beyond the limit is refused as soon as it arrives."""
    reader = PcmReader(30, 1000)
    reader.feed(b"\x00" * 32_000)  # exactly 1 s
    with pytest.raises(AudioError) as err:
        reader.feed(b"\x00\x00")
    assert err.value.reason == "too_long"


def test_wav_arriving_in_one_large_chunk_is_accepted() -> None:
    """A whole file in one read (a posted file, a recording on disk) keeps its audio."""
    pcm = b"\x01\x00" * 16_000
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + len(pcm))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
        + b"data"
        + struct.pack("<I", len(pcm))
    )
    reader = PcmReader(30, 10_000)
    frames = reader.feed(header + pcm)
    assert b"".join(frames) + reader.finish() == pcm


def test_wav_data_before_its_format_is_refused() -> None:
    """Without a fmt chunk first, the audio's format is unknown."""
    reader = PcmReader(30, 10_000)
    with pytest.raises(AudioError) as err:
        reader.feed(b"RIFF\x00\x00\x00\x00WAVEdata" + struct.pack("<I", 4) + b"\x00" * 4)
    assert err.value.reason == "bad_format"


def test_many_small_header_chunks_are_refused() -> None:
    """Many unknown chunks before the data add up to a header that is too large."""
    reader = PcmReader(30, 10_000)
    junk = b"LIST" + struct.pack("<I", 100) + b"\x00" * 100
    with pytest.raises(AudioError) as err:
        reader.feed(b"RIFF\x00\x00\x00\x00WAVE" + junk * 50)
    assert err.value.reason == "bad_format"
