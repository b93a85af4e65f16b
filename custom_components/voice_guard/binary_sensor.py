"""Binary sensor platform: only guarded devices have them (cloud_guard/binary_sensor.py)."""

from .cloud_guard.binary_sensor import PARALLEL_UPDATES, async_setup_entry

__all__ = ["PARALLEL_UPDATES", "async_setup_entry"]
