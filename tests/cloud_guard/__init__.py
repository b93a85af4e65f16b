"""Tests of custom_components/voice_guard/cloud_guard."""
