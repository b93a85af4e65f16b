"""Button platform: only guarded devices have one (cloud_guard/button.py)."""

from .cloud_guard.button import PARALLEL_UPDATES, async_setup_entry

__all__ = ["PARALLEL_UPDATES", "async_setup_entry"]
