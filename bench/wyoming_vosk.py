"""A streaming Vosk speech-to-text server speaking Wyoming, like the Vosk add-on.

Each chunk is decoded as it arrives (in a worker thread), and the final text is sent
at AudioStop. Open vocabulary, or a sentence list when --sentences is given. Used by
bench/stt.py as "the Vosk Wyoming server"; also runs on its own:

    python bench/wyoming_vosk.py --model /path/to/model --language ko --port 10300
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
import contextlib
from functools import partial
import json
from pathlib import Path
from typing import Any

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event
from wyoming.info import AsrModel, AsrProgram, Attribution, Describe, Info
from wyoming.server import AsyncEventHandler, AsyncTcpServer

BLOCK = 3200


def server_info(language: str) -> Info:
    """Describe one open-vocabulary Vosk model."""
    attribution = Attribution(name="Alpha Cephei", url="https://alphacephei.com/vosk/")
    model = AsrModel(
        name=f"vosk-{language}",
        description="Vosk",
        attribution=attribution,
        installed=True,
        languages=[language],
        version="0.3.45",
    )
    program = AsrProgram(
        name="vosk",
        description="Vosk (bench server)",
        attribution=attribution,
        installed=True,
        models=[model],
        version="0.3.45",
    )
    return Info(asr=[program])


class StreamingVoskHandler(AsyncEventHandler):
    """One client connection; a recognizer per utterance."""

    def __init__(
        self, *args: Any, model: Any, language: str, grammar: str | None, **kwargs: Any
    ) -> None:
        """Share the loaded model."""
        super().__init__(*args, **kwargs)
        self._model = model
        self._language = language
        self._grammar = grammar
        self._recognizer: Any = None
        self._pending = bytearray()
        self._segments: list[str] = []

    def _new_recognizer(self) -> Any:
        import vosk  # noqa: PLC0415

        if self._grammar:
            return vosk.KaldiRecognizer(self._model, 16000, self._grammar)
        return vosk.KaldiRecognizer(self._model, 16000)

    async def handle_event(self, event: Event) -> bool:
        """Describe, or decode an utterance chunk by chunk."""
        if Describe.is_type(event.type):
            await self.write_event(server_info(self._language).event())
        elif Transcribe.is_type(event.type) or AudioStart.is_type(event.type):
            if self._recognizer is None:
                self._recognizer = await asyncio.to_thread(self._new_recognizer)
        elif AudioChunk.is_type(event.type):
            if self._recognizer is None:
                self._recognizer = await asyncio.to_thread(self._new_recognizer)
            self._pending.extend(AudioChunk.from_event(event).audio)
            whole = len(self._pending) - len(self._pending) % BLOCK
            if whole:
                blocks = bytes(self._pending[:whole])
                del self._pending[:whole]
                await asyncio.to_thread(self._accept, blocks)
        elif AudioStop.is_type(event.type) and self._recognizer is not None:
            text = await asyncio.to_thread(self._final, bytes(self._pending))
            self._pending.clear()
            self._recognizer = None
            await self.write_event(Transcript(text=text).event())
            return False
        return True

    def _accept(self, audio: bytes) -> None:
        for start in range(0, len(audio), BLOCK):
            if self._recognizer.AcceptWaveform(audio[start : start + BLOCK]):
                self._segments.append(json.loads(self._recognizer.Result())["text"])

    def _final(self, rest: bytes) -> str:
        if rest:
            self._accept(rest)
        segments = [*self._segments, json.loads(self._recognizer.FinalResult())["text"]]
        self._segments = []
        return " ".join(s for s in segments if s)


@contextlib.asynccontextmanager
async def serve(
    model: Any,
    language: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    sentences: list[str] | None = None,
) -> AsyncIterator[int]:
    """Run the server; yield its port."""
    grammar = json.dumps(sentences, ensure_ascii=False) if sentences else None
    server = AsyncTcpServer(host, port)
    await server.start(
        partial(StreamingVoskHandler, model=model, language=language, grammar=grammar)
    )
    bound: int = server._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
    try:
        yield bound
    finally:
        await server.stop()


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--language", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=10300)
    args = parser.parse_args()
    import vosk  # noqa: PLC0415

    vosk.SetLogLevel(-1)
    model = await asyncio.to_thread(vosk.Model, str(args.model))
    async with serve(model, args.language, host=args.host, port=args.port) as port:
        print(f"Wyoming Vosk server on {args.host}:{port}")
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_main())
