"""Device triggers: only guarded devices have them (cloud_guard/device_automations.py)."""

from .cloud_guard.device_automations import (
    TRIGGER_SCHEMA,
    async_attach_trigger,
    async_get_triggers,
)

__all__ = ["TRIGGER_SCHEMA", "async_attach_trigger", "async_get_triggers"]
