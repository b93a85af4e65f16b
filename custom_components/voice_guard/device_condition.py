"""Device conditions: only guarded devices have them (cloud_guard/device_automations.py)."""

from .cloud_guard.device_automations import (
    CONDITION_SCHEMA,
    async_condition_from_config,
    async_get_conditions,
)

__all__ = ["CONDITION_SCHEMA", "async_condition_from_config", "async_get_conditions"]
