"""Differences between the supported Home Assistant versions, in one place."""

from __future__ import annotations

try:  # Home Assistant 2026.x validates with probatio, voluptuous' maintained fork.
    import probatio as vol
except ImportError:  # Home Assistant 2025.x
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["vol"]
