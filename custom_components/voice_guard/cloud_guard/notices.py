"""What the guard tells the home after each update: events, logbook entries and repairs.

It listens to the coordinator. A snapshot's news (blocked and answered lookups, hosts
never looked up before, rules removed by hand) become events and worded logbook entries,
each once; each device's proof level raises or clears its repairs; a filter that stops
answering raises a repair after UNREACHABLE_GRACE and clears it when it answers again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ..const import CONF_NO_ATTEMPT_DAYS, DEFAULT_NO_ATTEMPT_DAYS, LOGGER
from . import issues
from .dns.filters.base import NO_PROOF
from .events import BlockedEvents
from .judge import GuardSnapshot
from .logbook_entries import GuardLogbook
from .lookups import EVIDENCE_WINDOW
from .proof import Proof

# A filter that does not answer for this long gets a repair (a restart of it does not).
UNREACHABLE_GRACE = timedelta(minutes=15)
# Rules in force this long (each guarded device's "days without an attempt", this by
# default), the device asking for other names, and not one guarded lookup: the device may
# resolve its cloud elsewhere (its own resolver, DNS over HTTPS).
NO_ATTEMPT_AFTER = timedelta(days=DEFAULT_NO_ATTEMPT_DAYS)


class GuardNotices:
    """Tells one filter entry's news; raises and clears its repairs."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        unreachable_since: Callable[[], datetime | None],
    ) -> None:
        """Tell on hass, for entry; unreachable_since says whether its filter answers now."""
        self._hass = hass
        self._entry = entry
        self._unreachable_since = unreachable_since
        self.events = BlockedEvents(hass, entry.entry_id)
        self.logbook = GuardLogbook(hass, self.events.device_id)
        self._told: GuardSnapshot | None = None
        self._reported_devices: set[str] = set()
        self._grace: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        """Read the logbook's words in the home's language."""
        await self.logbook.async_load()

    @callback
    def updated(self, snapshot: GuardSnapshot | None, unreachable_since: datetime | None) -> None:
        """Take the coordinator's latest state (its listener)."""
        if unreachable_since is not None:
            self._unreachable(unreachable_since)
            return
        self._reachable()
        if snapshot is None or snapshot is self._told:
            return
        self._told = snapshot
        self._tell(snapshot)
        self._repairs(snapshot)

    @callback
    def stop(self) -> None:
        """Cancel the grace timer (on unload)."""
        if self._grace is not None:
            self._grace()
            self._grace = None

    def _tell(self, snapshot: GuardSnapshot) -> None:
        news = snapshot.news
        names = {d: s.policy.device.name for d, s in snapshot.devices.items()}
        for device_id, query, category in news.blocked:
            self.events.fire(query, category, names[device_id])
            self.logbook.blocked(device_id, names[device_id], query.host, category, query.time)
        for device_id, outcome in news.answered:
            self.events.fire_answered(device_id, names[device_id], outcome)
        for new, category in news.new_hosts:
            self.events.fire_new_host(new, names[new.device_id], category)
            self.logbook.new_host(new.device_id, names[new.device_id], new.host, category)
        if news.removed_rules:
            removed = ", ".join(sorted(names[d] for d in news.removed_rules))
            LOGGER.warning(
                "Rules of %s were removed from %s outside Home Assistant; applied them again",
                removed,
                self._entry.title,
            )
            issues.report_removed_rules(
                self._hass, self._entry.entry_id, self._entry.title, removed
            )

    def _repairs(self, snapshot: GuardSnapshot) -> None:
        """Raise or clear each device's repairs: disproved, not asking, hidden, no attempt."""
        title = self._entry.title
        now = snapshot.now
        for device_id, state in snapshot.devices.items():
            device = state.policy.device
            no_lookups, answered_id, quiet_id, allow_id = issues.device_issues(device_id)
            if state.user_allows:
                issues.report_user_allows(self._hass, device, title, state.user_allows)
            else:
                issues.clear(self._hass, allow_id)
            if state.proof is Proof.ANSWERED and (answered := state.disproof):
                issues.report_answered(
                    self._hass,
                    device,
                    title,
                    answered,
                    learned_address=answered.address not in device.ips and bool(device.macs),
                )
            else:
                issues.clear(self._hass, answered_id)
            hidden = sorted(NO_PROOF.intersection(state.hidden))
            watched = now - (state.watched_since or now)
            if state.policy.hosts and (
                hidden or (not state.lookups_seen and watched >= EVIDENCE_WINDOW)
            ):
                issues.report_not_asking(self._hass, device, title, hidden)
            else:
                issues.clear(self._hass, no_lookups)
            since = state.evidence.in_force_since
            if (
                state.proof is Proof.IN_FORCE
                and since is not None
                and now - since >= self._no_attempt_after(device_id)
            ):
                issues.report_no_attempt(self._hass, device, title, since)
            else:
                issues.clear(self._hass, quiet_id)
        for gone in self._reported_devices - set(snapshot.devices):
            issues.clear(self._hass, *issues.device_issues(gone))
        self._reported_devices = set(snapshot.devices)

    def _no_attempt_after(self, device_id: str) -> timedelta:
        subentry = self._entry.subentries.get(device_id)
        days = subentry.data.get(CONF_NO_ATTEMPT_DAYS) if subentry else None
        return timedelta(days=days) if isinstance(days, int) and days > 0 else NO_ATTEMPT_AFTER

    def _unreachable(self, since: datetime) -> None:
        """Raise a repair if the filter still does not answer after the grace."""
        if self._grace is not None:
            return
        wait = max(timedelta(0), since + UNREACHABLE_GRACE - dt_util.utcnow())

        @callback
        def _check(_now: datetime) -> None:
            self._grace = None
            if self._unreachable_since() is not None:
                issues.report_unreachable(
                    self._hass, self._entry.entry_id, self._entry.title, since
                )

        self._grace = async_call_later(self._hass, wait, _check)

    def _reachable(self) -> None:
        self.stop()
        issues.clear(self._hass, issues.unreachable_issue(self._entry.entry_id))
