"""The cloud guard's coordinator: applies the desired policy to the filter and reads proof back.

Every update (every 30 s, on start, and right after a switch changes) it
1. reconciles the filter's Voice Guard rules with the switches' desired state — so rules
   removed by hand are restored and a filter that was down gets the policy again;
2. reads the rules back to confirm which are in force;
3. reads the filter's query log since the newest entry it already read: blocked lookups
   (one event each), answered lookups of guarded hosts, and who asked at all;
4. hands the evidence to proof.py, which says per device whether it is protected.
The desired policy lives in Home Assistant's storage (desired.py, store.py), never only in
the filter: with the filter unreachable the entities become unavailable and the policy is
kept. Switches and actions change the desired policy and ask for an update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
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
    KIND_FILTER,
    LOGGER,
    SUBENTRY_DEVICE,
)
from ..data import entry_kind
from . import issues
from .desired import DesiredPolicy
from .destinations import Categorizer, Destination, Destinations, NewHost
from .dns.catalog import Catalog, Category, DeviceType
from .dns.filters.adguard_home import AdGuardHome
from .dns.filters.base import (
    NO_PROOF,
    BlockedQuery,
    DnsFilter,
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
from .errors import STEP_CHECK, STEP_QUERY_LOG, STEP_RULES, filter_errors
from .events import BlockedEvents
from .history import BlockedHistory, BlockedRequest
from .logbook_entries import GuardLogbook
from .lookups import EVIDENCE_WINDOW, LookupTracker, recent
from .proof import CONFIRMED, Evidence, Proof, fingerprint, verdict
from .store import GuardStore

VOICE_CATEGORIES = frozenset({Category.VOICE.value, Category.GENERATIVE.value})

type GuardConfigEntry = ConfigEntry[GuardCoordinator]


def is_filter_entry(entry: ConfigEntry[Any]) -> TypeGuard[GuardConfigEntry]:
    """Whether an entry is a DNS filter (with guarded devices)."""
    return entry_kind(entry) == KIND_FILTER


def find_guarded(hass: HomeAssistant, device_id: str) -> tuple[GuardConfigEntry, str] | None:
    """Return the filter entry and subentry id of a guarded device, by its registry id."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    ids = {value for domain, value in device.identifiers if domain == DOMAIN}
    for entry in filter_entries(hass):
        for subentry_id in entry.subentries:
            if subentry_id in ids:
                return entry, subentry_id
    return None


def filter_entries(hass: HomeAssistant, *, loaded: bool = False) -> list[GuardConfigEntry]:
    """Return the DNS filter entries (only the loaded ones if asked)."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if is_filter_entry(entry) and (not loaded or entry.state is ConfigEntryState.LOADED)
    ]


@dataclass(slots=True)
class DeviceState:
    """What is known about one guarded device after an update."""

    policy: DevicePolicy
    proof: Proof = Proof.NOTHING_BLOCKED
    evidence: Evidence = field(default_factory=Evidence)
    confirmed: dict[str, bool] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)
    blocked: list[BlockedRequest] = field(default_factory=list)  # last 24 h, oldest first
    last_lookup: datetime | None = None  # the device's newest lookup the filter logged
    hidden: tuple[str, ...] = ()  # why the filter's log hides (some of) its lookups
    addresses: tuple[str, ...] = ()  # the addresses whose lookups are the device's alone
    shared: tuple[str, ...] = ()  # the filter's clients that hold it and more
    allowed_until: datetime | None = None
    # Every host the device looked up (destinations.py), most looked up first.
    destinations: list[Destination] = field(default_factory=list)
    now: datetime = field(default_factory=dt_util.utcnow)

    @property
    def lookups_seen(self) -> bool:
        """Whether the filter logged a lookup of the device within EVIDENCE_WINDOW."""
        return recent(self.last_lookup, self.now)

    @property
    def counts_complete(self) -> bool:
        """Whether the filter's log shows all of the device's blocked lookups."""
        return not self.hidden

    @property
    def protection_confirmed(self) -> bool:
        """Whether the device's own lookups show it protected (see proof.py)."""
        return self.proof in CONFIRMED

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
        self.store = GuardStore(hass, entry.entry_id, self._stored)
        self.desired = DesiredPolicy(hass, self._initial_blocks, self._allowance_ended)
        self._applied: dict[str, list[str]] = {}
        # Blocked lookups of the last 24 h per device, oldest first, and their keys.
        self._history = BlockedHistory()
        self._lookups = LookupTracker()
        self.destinations = Destinations()
        self._categorizers: dict[str, tuple[GuardedDevice, Categorizer]] = {}
        self._evidence: dict[str, Evidence] = {}
        self._reported_devices: set[str] = set()
        self._filter_memory: dict[str, Any] = {}
        self.writes = 0
        # Whether the last update wrote the rules (a failure after that, reading the query
        # log say, leaves them written: errors.raise_unless_written).
        self.rules_written = False
        self.events = BlockedEvents(hass)
        self.logbook = GuardLogbook(hass)

    async def async_load(self) -> None:
        """Read the desired policy, the recent history and the evidence from storage."""
        stored = await self.store.async_load()
        await self.logbook.async_load()
        self.desired.load(stored)
        self._applied = dict(stored.get("applied") or {})
        self._history.load(stored.get("history") or [], stored.get("last_event"))
        self._lookups = LookupTracker.load(stored.get("query_log"))
        self.destinations.load(stored.get("destinations"))
        self._evidence = {
            str(d): Evidence.load(e) for d, e in (stored.get("evidence") or {}).items()
        }
        self._filter_memory = dict(stored.get("filter_memory") or {})
        self.client.remember(self._filter_memory)

    def _stored(self) -> dict[str, Any]:
        return {
            **self.desired.stored(),
            "applied": self._applied,
            "history": self._history.stored(),
            "last_event": self._history.last_reported,
            "query_log": self._lookups.stored(),
            "destinations": self.destinations.stored(),
            "evidence": {d: e.stored() for d, e in self._evidence.items()},
            "filter_memory": self._filter_memory,
        }

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

    async def _allowance_ended(self, device_id: str) -> None:
        self.logbook.allowance_ended(self._title(device_id), early=False)
        await self.async_apply()

    def _title(self, device_id: str) -> str:
        """Return a guarded device's name, for its logbook entries."""
        subentry = self.config_entry.subentries.get(device_id)
        return subentry.title if subentry else device_id

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
        self.desired.set(blocks)
        await self.async_apply()

    async def async_set_block(self, device_id: str, block: Block, *, on: bool) -> None:
        """Change one switch, store it, and apply it to the filter at once.

        Turning a switch on ends a running cloud allowance: the owner wants blocks now.
        """
        if on and self.desired.end_allowance(device_id):
            self.logbook.allowance_ended(self._title(device_id), early=True)
        blocks = self.enabled_blocks(device_id)
        await self.async_set_blocks({device_id: blocks | {block} if on else blocks - {block}})

    async def async_allow_temporarily(self, device_id: str, duration: timedelta) -> datetime:
        """Lift a device's blocks for a while; they return by themselves, even after a restart."""
        until = self.desired.allow(device_id, duration)
        self.logbook.allowed(self._title(device_id), until)
        await self.async_apply()
        return until

    async def async_end_allowance(self, device_id: str) -> bool:
        """End a device's cloud allowance now; return whether one was running."""
        if not self.desired.end_allowance(device_id):
            return False
        self.logbook.allowance_ended(self._title(device_id), early=True)
        await self.async_apply()
        return True

    async def async_apply(self) -> None:
        """Store the desired policy at once (it must survive a crash), then update."""
        await self.store.async_save()
        await self.async_refresh()

    async def async_shutdown(self) -> None:
        """Cancel timers and write the state now; allowances resume at the next start."""
        self.desired.stop()
        await self.store.async_save()
        await super().async_shutdown()

    # --- the update ------------------------------------------------------------------------

    async def _async_update_data(self) -> GuardSnapshot:
        devices = self.devices()
        self.desired.keep_only(devices)
        policies = self.policies(devices)
        now = dt_util.utcnow()
        window_start = now - HISTORY_WINDOW
        cursor = self._lookups.cursor
        since = max(cursor, window_start) if cursor else window_start
        unknown = self._lookups.unknown(devices)
        self.client.begin_update()
        self.rules_written = False
        with filter_errors():
            info = await self.client.info()
        with filter_errors(STEP_RULES):
            result = await self.client.reconcile(policies)
        self.rules_written = True
        with filter_errors(STEP_CHECK):
            confirmed = await self.client.verify(policies)
        with filter_errors(STEP_QUERY_LOG):
            log = await self.client.query_log(
                policies, since, find_last=unknown, window_start=window_start
            )
        self.writes += result.writes
        self._report_removed_rules(devices, result.missing)
        by_device = {p.device.device_id: p for p in policies}
        applied = {d: list(p.hosts) for d, p in by_device.items()}
        changed, self._applied = applied != self._applied, applied
        if (memory := self.client.memory) != self._filter_memory:
            self._filter_memory, changed = memory, True
        changed |= self._record(log.blocked, by_device, window_start)
        changed |= self._lookups.follow(log, devices, unknown, now)
        recorded, news = self.destinations.record(log.lookups, devices, now)
        changed |= recorded
        self._report_new_hosts(news, devices)
        changed |= self._weigh(by_device, confirmed, result.missing, log, now)
        if changed:
            self.store.changed()
            self.destinations.saved()
        states = {
            device_id: DeviceState(
                policy=policy,
                evidence=self._evidence[device_id],
                confirmed=confirmed.get(device_id, {}),
                conflicts=result.conflicts.get(device_id, set()),
                blocked=self._history.of(device_id),
                last_lookup=self._lookups.last_lookup.get(device_id),
                hidden=log.hidden.get(device_id, ()),
                addresses=log.addresses.get(device_id, ()),
                shared=log.shared.get(device_id, ()),
                allowed_until=self.allowed_until(device_id),
                destinations=self.destinations.of(device_id, self.categorizer(policy.device), now),
                now=now,
            )
            for device_id, policy in by_device.items()
        }
        for state in states.values():
            state.proof = verdict(
                hosts=state.policy.hosts,
                evidence=state.evidence,
                confirmed=state.confirmed,
                hidden=state.hidden,
                lookups_seen=state.lookups_seen,
                allowed=state.allowed_until is not None,
            )
        self._report_proof(states, now)
        return GuardSnapshot(info=info, devices=states)

    def _weigh(
        self,
        policies: dict[str, DevicePolicy],
        confirmed: dict[str, dict[str, bool]],
        rewritten: dict[str, set[str]],
        log: QueryLog,
        now: datetime,
    ) -> bool:
        """Take this update's evidence for each device; fire an event per new disproof."""
        changed = False
        lookups: dict[str, list[BlockedQuery]] = {}
        for query in (*log.blocked, *log.answered):
            lookups.setdefault(query.device_id, []).append(query)
        for gone in set(self._evidence) - set(policies):
            del self._evidence[gone]
            changed = True
        for device_id, policy in policies.items():
            evidence = self._evidence.setdefault(device_id, Evidence())
            before = evidence.answered
            states = confirmed.get(device_id, {})
            changed |= evidence.observe(
                covers=fingerprint(policy.hosts, log.addresses.get(device_id, ())),
                in_force=bool(policy.hosts) and all(states.get(h, False) for h in policy.hosts),
                rewritten=device_id in rewritten,
                blocked_only=log.blocked_only,
                lookups=lookups.get(device_id, ()),
                now=now,
            )
            if evidence.answered is not None and evidence.answered != before:
                self.events.fire_answered(device_id, policy.device.name, evidence.answered)
        return changed

    def _report_proof(self, states: dict[str, DeviceState], now: datetime) -> None:
        """Raise or clear each device's repairs: not asking the filter, hidden, disproved."""
        title = self.config_entry.title
        for device_id, state in states.items():
            device = state.policy.device
            no_lookups, answered_id = issues.device_issues(device_id)
            if state.proof is Proof.ANSWERED and (answered := state.evidence.answered):
                issues.report_answered(
                    self.hass,
                    device,
                    title,
                    answered,
                    learned_address=answered.address not in device.ips and bool(device.macs),
                )
            else:
                issues.clear(self.hass, answered_id)
            hidden = sorted(NO_PROOF.intersection(state.hidden))
            watched = self._lookups.watched_for(device_id, now)
            if state.policy.hosts and (
                hidden or (not state.lookups_seen and watched >= EVIDENCE_WINDOW)
            ):
                issues.report_not_asking(self.hass, device, title, hidden)
            else:
                issues.clear(self.hass, no_lookups)
        for gone in set(self._reported_devices) - set(states):
            issues.clear(self.hass, *issues.device_issues(gone))
        self._reported_devices = set(states)

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
        issues.report_removed_rules(
            self.hass, self.config_entry.entry_id, self.config_entry.title, names
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
                name = policies[query.device_id].device.name
                self.events.fire(query, category, name)
                self.logbook.blocked(name, query.host, category, when)
                self._history.reported(request)
        return self._history.prune(policies, cutoff) or changed

    def categorizer(self, device: GuardedDevice) -> Categorizer:
        """Return the device's host categories: its type's whole catalog and extra hosts."""
        kept = self._categorizers.get(device.device_id)
        if kept is None or kept[0] != device:
            every = set(blocks_for(device.device_type))
            categories = desired_policy(device, every, self.catalog).categories
            kept = self._categorizers[device.device_id] = (device, Categorizer(categories))
        return kept[1]

    def _report_new_hosts(self, news: list[NewHost], devices: dict[str, GuardedDevice]) -> None:
        """Fire an event and write the logbook for each host a device never looked up before."""
        for new in news:
            device = devices[new.device_id]
            category = self.categorizer(device)(new.host)
            self.events.fire_new_host(new, device.name, category)
            self.logbook.new_host(device.name, new.host, category)

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
