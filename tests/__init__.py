"""Tests for Voice Guard."""
