"""Local voice's part of the privacy report: the pipelines that send voice to the cloud."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from ..const import DOMAIN


async def async_pipeline_report(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Every pipeline with a cloud stage, with a sentence in the home's language."""
    if "assist_pipeline" not in hass.config.components:
        return []
    from .pipelines import async_audit  # noqa: PLC0415 - needs Assist loaded

    template = "{pipeline}: {services}"
    for language in dict.fromkeys(("en", hass.config.language)):
        texts = await async_get_translations(hass, language, "exceptions", {DOMAIN})
        template = texts.get(f"component.{DOMAIN}.exceptions.summary_pipeline.message", template)
    return [
        {
            "pipeline": finding.pipeline_name,
            "services": finding.services,
            "summary": template.format(
                pipeline=finding.pipeline_name, services=", ".join(finding.names)
            ),
        }
        for finding in await async_audit(hass)
    ]
