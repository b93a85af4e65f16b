"""Button platform: only guarded devices have one (cloud_guard/button.py)."""

from .cloud_guard.button import async_setup_entry

# One press at a time writes the filter.
PARALLEL_UPDATES = 1

__all__ = ["PARALLEL_UPDATES", "async_setup_entry"]
