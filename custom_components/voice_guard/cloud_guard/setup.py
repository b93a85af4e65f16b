"""Setting up a DNS filter entry: its client, coordinator and the devices' entities.

The integration's __init__.py hands a filter entry to these functions.
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from ..const import CONF_FILTER, DOMAIN, LOGGER
from . import issues
from .coordinator import GuardCoordinator
from .data import GuardConfigEntry, create_filter, filter_entries
from .dns.catalog import load_catalog
from .dns.filters.base import FilterError
from .panel import async_register_panel, async_remove_panel
from .store import guard_store

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]


async def async_start_guard_entry(hass: HomeAssistant, entry: GuardConfigEntry) -> GuardCoordinator:
    """Connect to the filter and apply the stored policy: the entry's runtime data."""
    client = create_filter(hass, entry.data)
    # Unload callbacks run last-registered first: the session closes after the
    # coordinator's own shutdown (which DataUpdateCoordinator registers, once), also when
    # the first refresh fails.
    entry.async_on_unload(client.close)
    catalog = await hass.async_add_executor_job(load_catalog)
    coordinator = GuardCoordinator(hass, entry, client, catalog)
    await coordinator.async_load()
    await coordinator.async_config_entry_first_refresh()
    return coordinator


async def async_setup_guard_entry(hass: HomeAssistant, entry: GuardConfigEntry) -> None:
    """Add the devices' entities and the panel (runtime data set)."""
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_register_panel(hass)


async def async_unload_guard_entry(hass: HomeAssistant, entry: GuardConfigEntry) -> bool:
    """Unload the entities (the coordinator's shutdown and the session's close follow).

    The panel stays: a reload (a blocked host, a changed device) must not pull it away
    from under a user who has it open; it goes with the last filter entry removed.
    """
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_guard_entry(hass: HomeAssistant, entry: GuardConfigEntry) -> None:
    """Forget the entry's issues, its store and its rules in the filter; the last, the panel."""
    if not [e for e in filter_entries(hass) if e.entry_id != entry.entry_id]:
        async_remove_panel(hass)
    ir.async_delete_issue(hass, DOMAIN, f"rules_removed_{entry.entry_id}")
    for subentry_id in entry.subentries:
        issues.clear(hass, *issues.device_issues(subentry_id))
    await guard_store(hass, entry.entry_id).async_remove()
    client = create_filter(hass, entry.data)
    try:
        await client.reconcile([])
    except FilterError as err:
        LOGGER.warning(
            "Could not remove Voice Guard's rules from %s: %s; remove them by hand",
            entry.title,
            err,
        )
        # The entry is gone, so nothing can retry: a repair names what is left and where.
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"leftover_rules_{entry.entry_id}",
            is_fixable=False,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"leftover_rules_{entry.data.get(CONF_FILTER)}",
            translation_placeholders={"filter": entry.title, "error": str(err)},
        )
    finally:
        await client.close()
