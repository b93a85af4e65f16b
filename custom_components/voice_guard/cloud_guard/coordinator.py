"""The cloud guard's coordinator: applies the desired policy to the filter and reads proof back.

Every update (every 30 s, on start, and right after a switch changes) it
1. reconciles the filter's Voice Guard rules with the switches' desired state — so rules
   removed by hand are restored and a filter that was down gets the policy again;
2. reads the rules back to confirm which are in force;
3. reads the filter's query log since the newest entry it already read: blocked lookups
   (one event each) and the proof that each device's lookups reach the filter at all.
"Protection confirmed" needs both: the rules in force, and a lookup of the device in the
filter's log within EVIDENCE_WINDOW — a device with hard-coded DNS or DNS over HTTPS
never asks the filter, and rules alone would show it protected.
The desired policy lives in Home Assistant's storage, never only in the filter: with the
filter unreachable the entities become unavailable and the policy is kept. The store is
written when something in it changed, not on every poll.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..const import (
    ATTEMPT_WINDOW,
    CONF_DEVICE_TYPE,
    CONF_EXTRA_TELEMETRY_HOSTS,
    CONF_EXTRA_VOICE_HOSTS,
    CONF_FILTER,
    CONF_INITIAL_BLOCKS,
    CONF_IP,
    CONF_MAC,
    DOMAIN,
    FILTER_ADGUARD,
    GUARD_SCAN_INTERVAL,
    HISTORY_WINDOW,
    LOGGER,
    SUBENTRY_DEVICE,
)
from .desired import DesiredPolicy
from .dns.catalog import Catalog, Category, DeviceType
from .dns.filters.adguard_home import AdGuardHome
from .dns.filters.base import (
    NO_PROOF,
    BlockedQuery,
    DnsFilter,
    FilterAuthError,
    FilterError,
    FilterInfo,
    QueryLog,
)
from .dns.filters.pihole import PiHole
from .dns.policy import (
    Block,
    DevicePolicy,
    GuardedDevice,
    blocks_for,
    category_of,
    desired_policy,
)
from .events import BlockedEvents
from .history import BlockedHistory, BlockedRequest

STORAGE_VERSION = 1
# A device counts as protected only if the filter saw it look something up this recently.
EVIDENCE_WINDOW = timedelta(hours=24)
VOICE_CATEGORIES = frozenset({Category.VOICE.value, Category.GENERATIVE.value})

type GuardConfigEntry = ConfigEntry[GuardCoordinator]


def guard_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the storage of a filter entry: desired policy, allowances, 24 h of history."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.guard.{entry_id}")


# Why "Protection confirmed" is off (or "confirmed"), the sensor's proof attribute.
PROOF_CONFIRMED = "confirmed"
PROOF_NOTHING_BLOCKED = "nothing_blocked"
PROOF_RULES = "rules_not_in_force"
PROOF_NO_LOOKUPS = "no_lookups_seen"
PROOF_HIDDEN = "hidden_by_filter"


@dataclass(slots=True)
class DeviceState:
    """What is known about one guarded device after an update."""

    policy: DevicePolicy
    confirmed: dict[str, bool] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)
    blocked: list[BlockedRequest] = field(default_factory=list)  # last 24 h, oldest first
    last_lookup: datetime | None = None  # the device's newest lookup the filter logged
    hidden: tuple[str, ...] = ()  # why the filter's log hides (some of) its lookups
    now: datetime = field(default_factory=dt_util.utcnow)

    @property
    def proof(self) -> str:
        """Whether the device is shown protected, and if not, the first reason why not."""
        if not self.policy.hosts:
            return PROOF_NOTHING_BLOCKED
        if not all(self.confirmed.get(host, False) for host in self.policy.hosts):
            return PROOF_RULES
        if NO_PROOF.intersection(self.hidden):
            return PROOF_HIDDEN
        if not self.lookups_seen:
            return PROOF_NO_LOOKUPS
        return PROOF_CONFIRMED

    @property
    def lookups_seen(self) -> bool:
        """Whether the filter logged a lookup of the device within EVIDENCE_WINDOW."""
        return _recent(self.last_lookup, self.now)

    @property
    def counts_complete(self) -> bool:
        """Whether the filter's log shows all of the device's blocked lookups."""
        return not self.hidden

    @property
    def protection_confirmed(self) -> bool:
        """Whether every rule is in force and the device's lookups reach the filter."""
        return self.proof == PROOF_CONFIRMED

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
        self.desired = DesiredPolicy(hass, self._initial_blocks, self._desired_changed)
        self._applied: dict[str, list[str]] = {}
        # Blocked lookups of the last 24 h per device, oldest first, and their keys.
        self._history = BlockedHistory()
        # The query log is read from here on (the filter's clock), and what it proved.
        self._cursor: datetime | None = None
        self._last_lookup: dict[str, datetime | None] = {}
        self._watched_since: dict[str, datetime] = {}
        self._filter_memory: dict[str, Any] = {}
        self.writes = 0
        self.events = BlockedEvents(hass)

    async def async_load(self) -> None:
        """Read the desired policy and the recent history from storage."""
        stored = await self._store.async_load() or {}
        self.desired.load(stored)
        self._applied = dict(stored.get("applied") or {})
        self._history.load(stored.get("history") or [], stored.get("last_event"))
        log = stored.get("query_log") or {}
        self._cursor = _time(log.get("cursor"))
        self._last_lookup = {d: _time(t) for d, t in (log.get("last_lookup") or {}).items()}
        self._watched_since = {
            d: when for d, t in (log.get("watched_since") or {}).items() if (when := _time(t))
        }
        self._filter_memory = dict(stored.get("filter_memory") or {})
        self.client.remember(self._filter_memory)

    def _stored(self) -> dict[str, Any]:
        return {
            **self.desired.stored(),
            "applied": self._applied,
            "history": self._history.stored(),
            "last_event": self._history.last_reported,
            "query_log": {
                "cursor": self._cursor.isoformat() if self._cursor else None,
                "last_lookup": {
                    d: t.isoformat() if t else None for d, t in self._last_lookup.items()
                },
                "watched_since": {d: t.isoformat() for d, t in self._watched_since.items()},
            },
            "filter_memory": self._filter_memory,
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

    def _initial_blocks(self, device_id: str) -> list[str]:
        subentry = self.config_entry.subentries.get(device_id)
        return list((subentry.data.get(CONF_INITIAL_BLOCKS) if subentry else None) or [])

    async def _desired_changed(self) -> None:
        # The desired policy is written at once: it must survive a crash right after.
        await self._store.async_save(self._stored())
        await self.async_refresh()

    def enabled_blocks(self, device_id: str) -> set[Block]:
        """Return the switches that are on for a device (reading never changes them)."""
        return self.desired.enabled(device_id)

    def allowed_until(self, device_id: str) -> datetime | None:
        """Return until when a device's blocks are lifted, if they are."""
        return self.desired.allowed_until(device_id)

    def policies(self, devices: dict[str, GuardedDevice] | None = None) -> list[DevicePolicy]:
        """Return every device's desired policy (nothing while temporarily allowed)."""
        return [
            desired_policy(device, self.desired.in_force(device_id), self.catalog)
            for device_id, device in (devices if devices is not None else self.devices()).items()
        ]

    async def async_set_blocks(self, blocks: Mapping[str, set[Block]]) -> None:
        """Set all switches of the devices given, store them, and apply them in one update."""
        await self.desired.async_set(blocks)

    async def async_set_block(self, device_id: str, block: Block, *, on: bool) -> None:
        """Change one switch, store it, and apply it to the filter at once."""
        blocks = self.enabled_blocks(device_id)
        await self.async_set_blocks({device_id: blocks | {block} if on else blocks - {block}})

    async def async_allow_temporarily(self, device_id: str, duration: timedelta) -> datetime:
        """Lift a device's blocks for a while; they return by themselves, even after a restart."""
        return await self.desired.async_allow(device_id, duration)

    async def async_shutdown(self) -> None:
        """Cancel timers and write the state now; allowances resume at the next start."""
        self.desired.stop()
        await self._store.async_save(self._stored())
        await super().async_shutdown()

    # --- the update ------------------------------------------------------------------------

    async def _async_update_data(self) -> GuardSnapshot:
        devices = self.devices()
        self.desired.keep_only(devices)
        policies = self.policies(devices)
        now = dt_util.utcnow()
        window_start = now - HISTORY_WINDOW
        since = max(self._cursor, window_start) if self._cursor else window_start
        unknown = [d for d in devices if d not in self._last_lookup]
        try:
            info = await self.client.info()
            result = await self.client.reconcile(policies)
            confirmed = await self.client.verify(policies)
            log = await self.client.query_log(
                policies, since, find_last=unknown, window_start=window_start
            )
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
        by_device = {p.device.device_id: p for p in policies}
        applied = {d: list(p.hosts) for d, p in by_device.items()}
        changed, self._applied = applied != self._applied, applied
        if (memory := self.client.memory) != self._filter_memory:
            self._filter_memory, changed = memory, True
        changed |= self._record(log.blocked, by_device, window_start)
        changed |= self._follow_lookups(log, devices, unknown, now)
        if changed:
            self._save()
        states = {
            device_id: DeviceState(
                policy=policy,
                confirmed=confirmed.get(device_id, {}),
                conflicts=result.conflicts.get(device_id, set()),
                blocked=self._history.of(device_id),
                last_lookup=self._last_lookup.get(device_id),
                hidden=log.hidden.get(device_id, ()),
                now=now,
            )
            for device_id, policy in by_device.items()
        }
        self._report_missing_proof(states, devices, now)
        return GuardSnapshot(info=info, devices=states)

    def _follow_lookups(
        self, log: QueryLog, devices: dict[str, GuardedDevice], unknown: list[str], now: datetime
    ) -> bool:
        """Move the cursor on and keep each device's newest lookup; True if that matters.

        The cursor and the exact times change on every poll: they are stored with the next
        real change or at shutdown, not each time (a restart then reads a little again).
        """
        if log.newest is not None and (self._cursor is None or log.newest > self._cursor):
            self._cursor = log.newest
        before = {d: self._seen(d, now) for d in devices}
        for device_id in unknown:
            self._last_lookup.setdefault(device_id, None)
        for device_id, when in log.last_lookup.items():
            last = self._last_lookup.get(device_id)
            if last is None or when > last:
                self._last_lookup[device_id] = when
        for device_id in devices:
            self._watched_since.setdefault(device_id, now)
        for gone in set(self._last_lookup) - set(devices):
            del self._last_lookup[gone]
        for gone in set(self._watched_since) - set(devices):
            del self._watched_since[gone]
            ir.async_delete_issue(self.hass, DOMAIN, f"no_lookups_{gone}")
        return bool(unknown) or before != {d: self._seen(d, now) for d in devices}

    def _seen(self, device_id: str, now: datetime) -> bool:
        return _recent(self._last_lookup.get(device_id), now)

    def _report_missing_proof(
        self, states: dict[str, DeviceState], devices: dict[str, GuardedDevice], now: datetime
    ) -> None:
        """Raise a repair for each device the filter has not seen for a day, or hides."""
        for device_id, state in states.items():
            issue_id = f"no_lookups_{device_id}"
            watched = self._watched_since.get(device_id, now)
            hidden = sorted(NO_PROOF.intersection(state.hidden))
            if not state.policy.hosts or (
                not hidden and (state.lookups_seen or now - watched < EVIDENCE_WINDOW)
            ):
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)
                continue
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="proof_hidden" if hidden else "no_lookups",
                translation_placeholders={
                    "device": devices[device_id].name,
                    "filter": self.config_entry.title,
                    "address": ", ".join((*devices[device_id].ips, *devices[device_id].macs)),
                    "reasons": ", ".join(hidden),
                },
            )

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

    def _record(
        self,
        queries: list[BlockedQuery],
        policies: dict[str, DevicePolicy],
        cutoff: datetime,
    ) -> bool:
        """Keep 24 h of blocked lookups; fire one event per lookup not reported before.

        Returns whether the history changed.
        """
        changed = False
        for query in queries:
            if query.device_id not in policies:
                continue
            category = category_of(query.host, policies[query.device_id])
            when = dt_util.as_utc(query.time)
            request = BlockedRequest(host=query.host, category=category, time=when, rule=query.rule)
            if not self._history.add(query.device_id, request):
                continue
            changed = True
            if self._history.is_new(request):
                self.events.fire(query, category, policies[query.device_id].device.name)
                self._history.reported(request)
        return self._history.prune(policies, cutoff) or changed

    def register_device(self, subentry_id: str, device_id: str) -> None:
        """Remember the device registry id of a guarded device (for events)."""
        self.events.register_device(subentry_id, device_id)

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


def _recent(last_lookup: datetime | None, now: datetime) -> bool:
    """Whether a lookup at that time still proves that the device asks the filter."""
    return last_lookup is not None and now - last_lookup <= EVIDENCE_WINDOW


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


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
