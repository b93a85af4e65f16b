"""Binary sensor platform: only guarded devices have them (cloud_guard/binary_sensor.py)."""

from .cloud_guard.binary_sensor import async_setup_entry

# Read from the coordinator's snapshot: no updates of their own.
PARALLEL_UPDATES = 0

__all__ = ["PARALLEL_UPDATES", "async_setup_entry"]
