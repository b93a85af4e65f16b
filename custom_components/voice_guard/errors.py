"""The error an action raises for what the user asked: translated, with placeholders."""

from __future__ import annotations

from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN


def action_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return the translated error of an action (key in the translations' exceptions)."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
