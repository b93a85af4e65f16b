"""The cloud guard's repair issues: rules removed by hand, a device not protected, a filter down.

Each issue names the device and the filter and says what to do; it goes away by itself
when the cause does.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from .dns.policy import GuardedDevice
from .proof import Outcome


def report_removed_rules(hass: HomeAssistant, entry_id: str, filter_title: str, names: str) -> None:
    """Rules Voice Guard had applied were removed outside Home Assistant (applied again)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"rules_removed_{entry_id}",
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key="rules_removed",
        translation_placeholders={"devices": names, "filter": filter_title},
    )


def report_not_asking(
    hass: HomeAssistant,
    device: GuardedDevice,
    filter_title: str,
    hidden: Collection[str],
) -> None:
    """Report that the filter has not seen the device for a day, or hides its lookups."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"no_lookups_{device.device_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="proof_hidden" if hidden else "no_lookups",
        translation_placeholders={
            "device": device.name,
            "filter": filter_title,
            "address": ", ".join(device.clients),
            "reasons": ", ".join(sorted(hidden)),
        },
    )


def report_answered(
    hass: HomeAssistant,
    device: GuardedDevice,
    filter_title: str,
    answered: Outcome,
    *,
    learned_address: bool,
) -> None:
    """Report a guarded lookup of the device that was answered after its rules took effect.

    learned_address: the address is one the filter's network table gave the device's MAC
    (Pi-hole decides an address's groups when it first sees it).
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"answered_{device.device_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="answered_learned_address" if learned_address else "answered",
        translation_placeholders={
            "device": device.name,
            "filter": filter_title,
            "host": answered.host,
            "address": answered.address,
            "status": answered.status,
            "time": _local(answered.time),
        },
    )


def report_user_allows(
    hass: HomeAssistant, device: GuardedDevice, filter_title: str, allows: dict[str, str]
) -> None:
    """Report the user's own allow entries that let guarded hosts through for the device."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"your_allow_entry_{device.device_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="your_allow_entry",
        translation_placeholders={
            "device": device.name,
            "filter": filter_title,
            "entries": ", ".join(sorted(set(allows.values()))),
            "hosts": ", ".join(sorted(allows)),
        },
    )


def report_no_attempt(
    hass: HomeAssistant, device: GuardedDevice, filter_title: str, since: datetime
) -> None:
    """Report rules in force, lookups of other names, and never one of a guarded host.

    It may resolve its cloud elsewhere (its own resolver, DNS over HTTPS): then the
    filter neither sees nor blocks it, and nothing here can prove protection.
    """
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"no_attempt_{device.device_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="no_attempt",
        translation_placeholders={
            "device": device.name,
            "filter": filter_title,
            "since": _local(since),
        },
    )


def report_unreachable(
    hass: HomeAssistant, entry_id: str, filter_title: str, since: datetime
) -> None:
    """Report a filter that has not answered since then: nothing about protection is known."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        unreachable_issue(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="filter_unreachable",
        translation_placeholders={"filter": filter_title, "since": _local(since)},
    )


def unreachable_issue(entry_id: str) -> str:
    """Return the id of a filter entry's "does not answer" issue."""
    return f"filter_unreachable_{entry_id}"


def clear(hass: HomeAssistant, *issue_ids: str) -> None:
    """Delete issues whose cause is gone."""
    for issue_id in issue_ids:
        ir.async_delete_issue(hass, DOMAIN, issue_id)


def device_issues(device_id: str) -> tuple[str, str, str, str]:
    """Return the ids of a guarded device's issues."""
    return (
        f"no_lookups_{device_id}",
        f"answered_{device_id}",
        f"no_attempt_{device_id}",
        f"your_allow_entry_{device_id}",
    )


def _local(when: datetime) -> str:
    return dt_util.as_local(when).strftime("%Y-%m-%d %H:%M:%S")
