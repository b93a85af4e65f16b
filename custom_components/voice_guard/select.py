"""Select platform: only guarded devices have one (cloud_guard/select.py)."""

from .cloud_guard.select import async_setup_entry

# Choosing a length changes nothing in the filter: no limit needed.
PARALLEL_UPDATES = 0

__all__ = ["PARALLEL_UPDATES", "async_setup_entry"]
