"""The cloud guard's coordinator: applies the desired policy to the filter and reads proof back.

Every update (every 30 s, on start, and right after a switch changes) it
1. reconciles the filter's Voice Guard rules with the switches' desired state — so rules
   removed by hand are restored and a filter that was down gets the policy again;
2. reads the rules back to confirm which are in force;
3. reads the blocked lookups from the filter's query log and fires one event per lookup.
The desired policy lives in Home Assistant's storage, never only in the filter: with the
filter unreachable the entities become unavailable and the policy is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    ATTEMPT_WINDOW,
    CONF_DEVICE_TYPE,
    CONF_EXTRA_TELEMETRY_HOSTS,
    CONF_EXTRA_VOICE_HOSTS,
    CONF_FILTER,
    CONF_INITIAL_BLOCKS,
    CONF_IP,
    CONF_MAC,
    DOMAIN,
    EVENT_REQUEST_BLOCKED,
    FILTER_ADGUARD,
    GUARD_SCAN_INTERVAL,
    HISTORY_WINDOW,
    LOGGER,
    SUBENTRY_DEVICE,
)
from .guard.catalog import Catalog, Category, DeviceType
from .guard.filters.adguard_home import AdGuardHome
from .guard.filters.base import BlockedQuery, DnsFilter, FilterAuthError, FilterError, FilterInfo
from .guard.filters.pihole import PiHole
from .guard.policy import (
    Block,
    DevicePolicy,
    GuardedDevice,
    blocks_for,
    category_of,
    desired_policy,
)

STORAGE_VERSION = 1
MAX_HISTORY = 5000
VOICE_CATEGORIES = frozenset({Category.VOICE.value, Category.GENERATIVE.value})

type GuardConfigEntry = ConfigEntry[GuardCoordinator]


def guard_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the storage of a filter entry: desired policy, allowances, 24 h of history."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.guard.{entry_id}")


@dataclass(frozen=True, slots=True)
class BlockedRequest:
    """A blocked lookup as the entities show it."""

    host: str
    category: str
    time: datetime


@dataclass(slots=True)
class DeviceState:
    """What is known about one guarded device after an update."""

    policy: DevicePolicy
    confirmed: dict[str, bool] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)
    blocked: list[BlockedRequest] = field(default_factory=list)  # last 24 h, oldest first

    @property
    def protection_confirmed(self) -> bool:
        """Whether the filter confirms every desired rule (and there is one)."""
        return bool(self.policy.hosts) and all(
            self.confirmed.get(host, False) for host in self.policy.hosts
        )

    @property
    def last_blocked(self) -> BlockedRequest | None:
        """The most recent blocked lookup."""
        return self.blocked[-1] if self.blocked else None

    def last_voice_attempt(self) -> datetime | None:
        """When the device last tried to reach a blocked voice host."""
        voice = [b.time for b in self.blocked if b.category in VOICE_CATEGORIES]
        return voice[-1] if voice else None


@dataclass(slots=True)
class GuardSnapshot:
    """The state of the filter and every guarded device."""

    info: FilterInfo
    devices: dict[str, DeviceState]


class GuardCoordinator(DataUpdateCoordinator[GuardSnapshot]):
    """Keeps one DNS filter in line with the guarded devices' switches."""

    config_entry: GuardConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: GuardConfigEntry,
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
        self._store = guard_store(hass, entry.entry_id)
        self._blocks: dict[str, list[str]] = {}
        self._applied: dict[str, list[str]] = {}
        self._history: list[dict[str, Any]] = []
        self._last_event: str | None = None
        self._allowed: dict[str, str] = {}
        self._restore_timers: dict[str, CALLBACK_TYPE] = {}
        self.writes = 0
        # Device registry ids of the guarded devices (subentry id -> device id), for events.
        self.device_ids: dict[str, str] = {}

    async def async_load(self) -> None:
        """Read the desired policy and the recent history from storage."""
        stored = await self._store.async_load() or {}
        self._blocks = dict(stored.get("blocks") or {})
        self._applied = dict(stored.get("applied") or {})
        self._history = list(stored.get("history") or [])
        self._last_event = stored.get("last_event")
        self._allowed = dict(stored.get("allowed") or {})
        self.resume_allowances()

    def _stored(self) -> dict[str, Any]:
        return {
            "blocks": self._blocks,
            "applied": self._applied,
            "history": self._history[-MAX_HISTORY:],
            "last_event": self._last_event,
            "allowed": self._allowed,
        }

    def _save(self) -> None:
        self._store.async_delay_save(self._stored, 5)

    # --- the desired policy ----------------------------------------------------------------

    def devices(self) -> dict[str, GuardedDevice]:
        """Return the guarded devices, from the entry's subentries."""
        found: dict[str, GuardedDevice] = {}
        for subentry_id, subentry in self.config_entry.subentries.items():
            if subentry.subentry_type != SUBENTRY_DEVICE:
                continue
            data = subentry.data
            found[subentry_id] = GuardedDevice(
                device_id=subentry_id,
                name=subentry.title,
                device_type=DeviceType(data[CONF_DEVICE_TYPE]),
                ips=tuple(filter(None, [data.get(CONF_IP)])),
                macs=tuple(filter(None, [data.get(CONF_MAC)])),
                extra_voice_hosts=tuple(data.get(CONF_EXTRA_VOICE_HOSTS) or ()),
                extra_telemetry_hosts=tuple(data.get(CONF_EXTRA_TELEMETRY_HOSTS) or ()),
            )
        return found

    def enabled_blocks(self, device_id: str) -> set[Block]:
        """Return the switches that are on for a device."""
        if device_id not in self._blocks:
            subentry = self.config_entry.subentries.get(device_id)
            initial = (subentry.data.get(CONF_INITIAL_BLOCKS) if subentry else None) or []
            self._blocks[device_id] = [Block(b).value for b in initial]
        return {Block(b) for b in self._blocks[device_id]}

    def allowed_until(self, device_id: str) -> datetime | None:
        """Return until when a device's blocks are lifted, if they are."""
        until = self._allowed.get(device_id)
        if until is None:
            return None
        when = datetime.fromisoformat(until)
        return when if when > dt_util.utcnow() else None

    def policies(self, devices: dict[str, GuardedDevice] | None = None) -> list[DevicePolicy]:
        """Return every device's desired policy (nothing while temporarily allowed)."""
        return [
            desired_policy(
                device,
                set() if self.allowed_until(device_id) else self.enabled_blocks(device_id),
                self.catalog,
            )
            for device_id, device in (devices if devices is not None else self.devices()).items()
        ]

    async def async_set_blocks(self, device_id: str, blocks: set[Block]) -> None:
        """Set all switches of a device, store them, and apply them to the filter at once."""
        self._blocks[device_id] = sorted(b.value for b in blocks)
        # The desired policy is written at once: it must survive a crash right after.
        await self._store.async_save(self._stored())
        await self.async_refresh()

    async def async_allow_temporarily(self, device_id: str, duration: timedelta) -> datetime:
        """Lift a device's blocks for a while; they return by themselves, even after a restart."""
        until = dt_util.utcnow() + duration
        self._allowed[device_id] = until.isoformat()
        await self._store.async_save(self._stored())
        self._schedule_restore(device_id, until)
        await self.async_refresh()
        return until

    def _schedule_restore(self, device_id: str, until: datetime) -> None:
        if (cancel := self._restore_timers.pop(device_id, None)) is not None:
            cancel()

        async def _restore(_now: datetime) -> None:
            self._restore_timers.pop(device_id, None)
            if self._allowed.get(device_id) == until.isoformat():
                del self._allowed[device_id]
                await self._store.async_save(self._stored())
                LOGGER.info("Blocks of %s are in force again", device_id)
                await self.async_refresh()

        self._restore_timers[device_id] = async_track_point_in_utc_time(self.hass, _restore, until)

    def resume_allowances(self) -> None:
        """After a restart: schedule the end of allowances still running, drop the others."""
        for device_id, until in list(self._allowed.items()):
            when = datetime.fromisoformat(until)
            if when > dt_util.utcnow():
                self._schedule_restore(device_id, when)
            else:
                del self._allowed[device_id]

    async def async_shutdown(self) -> None:
        """Cancel timers and write the state now; allowances resume at the next start."""
        for cancel in self._restore_timers.values():
            cancel()
        self._restore_timers.clear()
        await self._store.async_save(self._stored())
        await super().async_shutdown()

    async def async_set_block(self, device_id: str, block: Block, *, on: bool) -> None:
        """Change one switch, store it, and apply it to the filter at once."""
        blocks = self.enabled_blocks(device_id)
        await self.async_set_blocks(device_id, blocks | {block} if on else blocks - {block})

    # --- the update ------------------------------------------------------------------------

    async def _async_update_data(self) -> GuardSnapshot:
        devices = self.devices()
        self._blocks = {d: b for d, b in self._blocks.items() if d in devices}
        policies = self.policies(devices)
        try:
            info = await self.client.info()
            result = await self.client.reconcile(policies)
            confirmed = await self.client.verify(policies)
            since = dt_util.utcnow() - HISTORY_WINDOW
            queries = await self.client.blocked_queries(policies, since)
        except FilterAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="filter_auth_failed"
            ) from err
        except FilterError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="filter_unreachable",
                translation_placeholders={"error": str(err)},
            ) from err
        self.writes += result.writes
        self._report_removed_rules(devices, result.missing)
        self._applied = {p.device.device_id: list(p.hosts) for p in policies}
        by_device = {p.device.device_id: p for p in policies}
        self._record(queries, by_device)
        self._save()
        states: dict[str, DeviceState] = {}
        for device_id, policy in by_device.items():
            blocked = [
                BlockedRequest(
                    host=h["host"], category=h["category"], time=datetime.fromisoformat(h["time"])
                )
                for h in self._history
                if h["device_id"] == device_id
            ]
            states[device_id] = DeviceState(
                policy=policy,
                confirmed=confirmed.get(device_id, {}),
                conflicts=result.conflicts.get(device_id, set()),
                blocked=blocked,
            )
        return GuardSnapshot(info=info, devices=states)

    def _report_removed_rules(
        self, devices: dict[str, GuardedDevice], missing: dict[str, set[str]]
    ) -> None:
        """Rules Voice Guard had applied that someone removed: re-applied now, and reported."""
        removed = {
            device_id: hosts & set(self._applied.get(device_id, []))
            for device_id, hosts in missing.items()
            if device_id in devices
        }
        removed = {d: h for d, h in removed.items() if h}
        if not removed:
            return
        names = ", ".join(sorted(devices[d].name for d in removed))
        LOGGER.warning(
            "Rules of %s were removed from %s outside Home Assistant; applied them again",
            names,
            self.config_entry.title,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"rules_removed_{self.config_entry.entry_id}",
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="rules_removed",
            translation_placeholders={"devices": names, "filter": self.config_entry.title},
        )

    def _record(self, queries: list[BlockedQuery], policies: dict[str, DevicePolicy]) -> None:
        """Keep 24 h of blocked lookups; fire one event per lookup not seen before."""
        cutoff = (dt_util.utcnow() - HISTORY_WINDOW).isoformat()
        known = {(h["device_id"], h["host"], h["time"]) for h in self._history}
        fire_after = self._last_event
        for query in queries:
            when = dt_util.as_utc(query.time).isoformat()
            key = (query.device_id, query.host, when)
            if key in known or query.device_id not in policies:
                continue
            known.add(key)
            category = category_of(query.host, policies[query.device_id])
            self._history.append(
                {
                    "device_id": query.device_id,
                    "host": query.host,
                    "category": category,
                    "time": when,
                }
            )
            if fire_after is None or when > fire_after:
                self._fire(query, category, policies[query.device_id])
                self._last_event = max(self._last_event or when, when)
        self._history = sorted(
            (h for h in self._history if h["time"] >= cutoff), key=lambda h: h["time"]
        )[-MAX_HISTORY:]

    def _fire(self, query: BlockedQuery, category: str, policy: DevicePolicy) -> None:
        self.hass.bus.async_fire(
            EVENT_REQUEST_BLOCKED,
            {
                "device_id": self.device_ids.get(query.device_id),
                "subentry_id": query.device_id,
                "name": policy.device.name,
                "host": query.host,
                "category": category,
                "time": dt_util.as_utc(query.time).isoformat(),
            },
        )

    def register_device(self, subentry_id: str, device_id: str) -> None:
        """Remember the device registry id of a guarded device (for events)."""
        self.device_ids[subentry_id] = device_id

    def attempt_window_end(self, state: DeviceState) -> datetime | None:
        """When the 'cloud voice attempt' sensor turns off again, if it is on now."""
        last = state.last_voice_attempt()
        if last is None:
            return None
        end = last + ATTEMPT_WINDOW
        return end if end > dt_util.utcnow() else None

    def has_switch(self, device_id: str, block: Block) -> bool:
        """Whether a device type has this switch."""
        device = self.devices().get(device_id)
        return device is not None and block in blocks_for(device.device_type)


def create_filter(hass: HomeAssistant, data: Mapping[str, Any]) -> DnsFilter:
    """Create the client for a filter entry's data, on Home Assistant's shared session."""
    verify = bool(data.get(CONF_VERIFY_SSL, True))
    session = async_get_clientsession(hass, verify_ssl=verify)
    if data[CONF_FILTER] == FILTER_ADGUARD:
        return AdGuardHome(
            session,
            data[CONF_URL],
            data.get(CONF_USERNAME) or "",
            data.get(CONF_PASSWORD) or "",
            verify_ssl=verify,
        )
    return PiHole(session, data[CONF_URL], data.get(CONF_PASSWORD) or "", verify_ssl=verify)
