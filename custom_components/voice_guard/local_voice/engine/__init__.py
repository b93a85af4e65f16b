"""Voice Guard's speech engine: plain async Python, no Home Assistant imports.

audio.py   PCM/WAV checks and framing
vad.py     webrtcvad end-pointing
session.py one recognition: read the stream, end-point, feed a decoder
vosk_engine.py    the embedded Vosk engine
wyoming_engine.py a Wyoming speech-to-text server as engine
models.py  Vosk model folders: validation and discovery
"""
