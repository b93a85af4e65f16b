"""Voice Guard's speech engine: plain async Python, no Home Assistant imports.

base.py           the engine interface, one recognition (stream, end-point, decode, limits:
                  stall, least rate, wall clock; a quiet holder's decoder goes to a waiter)
audio.py          PCM/WAV checks and framing
vad.py            webrtcvad end-pointing
phrases.py        the home's phrase set: grammar and matching back to a sentence
grammar.py        the exact grammar: the phrase set compiled into a per-home model's Gr.fst
vosk_engine.py    the embedded Vosk engine
wyoming_engine.py a Wyoming speech-to-text server as engine
models.py         Vosk model folders: validation and discovery
catalog.py        the downloadable models (data/vosk_models.json), language names
download.py       a model's download: size, checks, unpacking
errors.py         the engine's errors, each with a stable reason
clock.py          the clock its limits run on (tests and benchmarks move a manual one)
data/             the model catalog's JSON
"""
