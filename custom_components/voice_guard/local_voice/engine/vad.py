"""End-pointing with webrtcvad: drop leading silence, stop after trailing silence."""

from __future__ import annotations

from collections import deque
from enum import StrEnum
import math

import webrtcvad

from .audio import SAMPLE_RATE

FRAME_MS = 30  # webrtcvad takes 10, 20 or 30 ms frames
PRE_ROLL_MS = 300  # audio kept before the detected start, so first sounds are not cut
START_FRAMES = 3  # voiced frames among the last START_WINDOW that start speech
START_WINDOW = 5
AGGRESSIVENESS = 2  # 0 (keeps most) .. 3 (drops most non-speech)
# After speech started, a frame this far below the loudest speech so far counts as silence
# even if webrtcvad still hears "speech" in it: webrtcvad holds on for 60-90 ms after the
# voice stops, which the user would wait for. Where background noise is within this range
# of the speech, the gate never fires and webrtcvad alone decides.
GATE_DB = 30.0


def frame_rms(frame: bytes) -> float:
    """Root mean square of a 16-bit little-endian PCM frame."""
    samples = memoryview(frame).cast("h")  # native order: little-endian on every HA platform
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


class VadState(StrEnum):
    """Where the end-pointer is in the utterance."""

    WAITING = "waiting"
    SPEAKING = "speaking"
    ENDED = "ended"


class Endpointer:
    """Decide, frame by frame, what reaches the decoder and when speech has ended."""

    def __init__(self, silence_ms: int, *, aggressiveness: int = AGGRESSIVENESS) -> None:
        """End speech after silence_ms of non-speech."""
        self._vad = webrtcvad.Vad(aggressiveness)
        self._silence_frames = max(1, -(-silence_ms // FRAME_MS))
        self._pre_roll: deque[bytes] = deque(maxlen=PRE_ROLL_MS // FRAME_MS)
        self._recent: deque[bool] = deque(maxlen=START_WINDOW)
        self._trailing = 0
        self._loudest = 0.0
        self._gate = 10 ** (-GATE_DB / 20)
        self.state = VadState.WAITING
        self.speech_frames = 0
        self.dropped_frames = 0

    @property
    def trailing_ms(self) -> int:
        """How long the speaker has been silent (0 while speaking)."""
        return self._trailing * FRAME_MS

    def process(self, frame: bytes) -> list[bytes]:
        """Take one FRAME_MS frame; return the frames the decoder should get now."""
        if self.state is VadState.ENDED:
            return []
        voiced = self._vad.is_speech(frame, SAMPLE_RATE)
        if voiced:
            rms = frame_rms(frame)
            self._loudest = max(self._loudest, rms)
            voiced = rms >= self._loudest * self._gate
        if self.state is VadState.WAITING:
            self._recent.append(voiced)
            if len(self._pre_roll) == self._pre_roll.maxlen:
                self.dropped_frames += 1
            self._pre_roll.append(frame)
            if sum(self._recent) < START_FRAMES:
                return []
            self.state = VadState.SPEAKING
            out = list(self._pre_roll)
            self._pre_roll.clear()
            self.speech_frames += len(out)
            return out
        self.speech_frames += 1
        if voiced:
            self._trailing = 0
        else:
            self._trailing += 1
            if self._trailing >= self._silence_frames:
                self.state = VadState.ENDED
        return [frame]
