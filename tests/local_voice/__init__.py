"""Tests of custom_components/voice_guard/local_voice."""
