"""The cloud guard's coordinator: reads one DNS filter and returns one snapshot.

Every update (every 30 s, on start, and right after a switch changes) it
1. writes the desired policy's rules (reconcile: rules removed by hand come back, a filter
   that was down gets the policy again) and reads them back (verify);
2. reads the filter's query log since the newest entry it already read;
3. hands that reading to judge.py, which returns the snapshot the entities show.
The desired policy lives in Home Assistant's storage (desired.py, store.py), never only in
the filter: with the filter unreachable the entities become unavailable, the policy is
kept and the proof is unknown since then. notices.py listens and tells the news.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..const import CONF_INITIAL_BLOCKS, DOMAIN, GUARD_SCAN_INTERVAL, LOGGER
from .desired import DesiredPolicy
from .dns.catalog import Catalog
from .dns.filters.base import DnsFilter
from .dns.policy import DevicePolicy, GuardedDevice, desired_policy
from .errors import STEP_CHECK, STEP_QUERY_LOG, STEP_RULES, filter_errors
from .judge import GuardSnapshot, Judge, Reading
from .notices import GuardNotices
from .store import GuardStore
from .subentries import entities_shape, guarded_devices


class GuardCoordinator(DataUpdateCoordinator[GuardSnapshot]):
    """Keeps one DNS filter in line with the guarded devices' switches."""

    config_entry: ConfigEntry[GuardCoordinator]

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[GuardCoordinator],
        client: DnsFilter,
        catalog: Catalog,
    ) -> None:
        """Use client for the entry's filter."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=GUARD_SCAN_INTERVAL,
        )
        self.client = client
        self.catalog = catalog
        self.judge = Judge(catalog)
        self.notices = GuardNotices(hass, entry, lambda: self.unreachable_since)
        self.store = GuardStore(hass, entry.entry_id, self._stored)
        self.desired = DesiredPolicy(
            hass, self.devices, self._initial_blocks, self.async_apply, self.notices.logbook
        )
        self._filter_memory: dict[str, object] = {}
        self.writes = 0
        # Whether the last update wrote the rules (a failure after that, reading the query
        # log say, leaves them written: errors.raise_unless_written).
        self.rules_written = False
        # Since when the filter has not answered (None while it does): proof is unknown.
        self.unreachable_since: datetime | None = None
        # Changes are applied one at a time (ten block_host calls at once: ten updates).
        self._apply_lock = asyncio.Lock()
        self._shape = entities_shape(entry)

    @property
    def filter_title(self) -> str:
        """The filter entry's title."""
        return self.config_entry.title

    async def async_load(self) -> None:
        """Read the desired policy and the judge's memory from storage; start the notices."""
        stored = await self.store.async_load()
        await self.notices.async_load()
        self.desired.load(stored)
        self.judge.load(stored)
        self._filter_memory = dict(stored.get("filter_memory") or {})
        self.client.remember(self._filter_memory)
        self.async_add_listener(self._tell)

    def _tell(self) -> None:
        self.notices.updated(self.data, self.unreachable_since)

    def _stored(self) -> dict[str, object]:
        return {
            **self.desired.stored(),
            **self.judge.stored(),
            "filter_memory": self._filter_memory,
        }

    def devices(self) -> dict[str, GuardedDevice]:
        """Return the guarded devices, from the entry's subentries."""
        return guarded_devices(self.config_entry, dr.async_get(self.hass))

    def _initial_blocks(self, device_id: str) -> list[str]:
        subentry = self.config_entry.subentries.get(device_id)
        return list((subentry.data.get(CONF_INITIAL_BLOCKS) if subentry else None) or [])

    def policies(self, devices: dict[str, GuardedDevice] | None = None) -> list[DevicePolicy]:
        """Return every device's desired policy (nothing while temporarily allowed)."""
        return [
            desired_policy(device, self.desired.in_force(device_id), self.catalog)
            for device_id, device in (devices if devices is not None else self.devices()).items()
        ]

    async def async_apply(self) -> None:
        """Store the desired policy at once (it must survive a crash), then update.

        One change at a time: each caller returns once its change was written (or the
        filter failed).
        """
        async with self._apply_lock:
            await self.store.async_save()
            await self.async_refresh()

    def applies_live(self) -> bool:
        """Whether the entry's change leaves every entity as it is (no reload needed)."""
        return entities_shape(self.config_entry) == self._shape

    async def async_shutdown(self) -> None:
        """Cancel timers and write the state now; allowances resume at the next start."""
        self.desired.stop()
        self.notices.stop()
        await self.store.async_save()
        await super().async_shutdown()

    async def _async_update_data(self) -> GuardSnapshot:
        now = dt_util.utcnow()
        try:
            snapshot = await self._read(now)
        except (UpdateFailed, ConfigEntryAuthFailed):
            self.unreachable_since = self.unreachable_since or now
            if self.data is not None:  # what was known is no verdict any more
                self.data.unknown()
            raise
        self.unreachable_since = None
        return snapshot

    async def _read(self, now: datetime) -> GuardSnapshot:
        """Write the rules, read them and the query log back, and judge what was read."""
        devices = self.devices()
        self.desired.keep_only(devices)
        policies = self.policies(devices)
        since, window_start = self.judge.read_since(now)
        unknown = self.judge.lookups.unknown(devices)
        self.client.begin_update()
        self.rules_written = False
        with filter_errors():
            info = await self.client.info()
        with filter_errors(STEP_RULES):
            result = await self.client.reconcile(policies)
        self.rules_written = True
        self.writes += result.writes
        with filter_errors(STEP_CHECK):
            confirmed = await self.client.verify(policies)
        with filter_errors(STEP_QUERY_LOG):
            log = await self.client.query_log(
                policies,
                since,
                find_last=unknown,
                window_start=window_start,
                keep_answered=self.judge.watching(),
            )
        snapshot, changed = self.judge.judge(
            Reading(
                info=info,
                result=result,
                confirmed=confirmed,
                log=log,
                user_allows=self.client.user_allows,
            ),
            {p.device.device_id: p for p in policies},
            {d: self.desired.allowed_until(d) for d in devices},
            now,
        )
        if (memory := self.client.memory) != self._filter_memory:
            self._filter_memory, changed = memory, True
        if changed:
            self.store.changed()
            self.judge.destinations.saved()
        return snapshot
