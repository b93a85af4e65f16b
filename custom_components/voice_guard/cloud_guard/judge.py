"""What one read of the filter means for each guarded device: the snapshot the entities show.

Plain Python (no Home Assistant import). The coordinator hands it what it read from the
filter (the rules written and checked, the query log) and the desired policy; the judge
keeps what must outlive a poll (24 h of blocked lookups, each device's evidence, the
destinations, the query-log cursor), decides each device's proof level and returns one
GuardSnapshot with the news of this poll (blocked and answered lookups, new hosts, rules
removed by hand) for notices.py to tell. Nothing here fires, writes or logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..const import ATTEMPT_WINDOW, HISTORY_WINDOW
from .destinations import Categorizer, Destination, Destinations, NewHost
from .dns.catalog import Catalog, Category
from .dns.filters.base import BlockedQuery, FilterInfo, QueryLog, ReconcileResult
from .dns.policy import DevicePolicy, GuardedDevice, blocks_for, category_of, desired_policy
from .history import BlockedHistory, BlockedRequest
from .lookups import LookupTracker, recent
from .proof import CONFIRMED, Evidence, Outcome, Proof, fingerprint, verdict

VOICE_CATEGORIES = frozenset({Category.VOICE.value, Category.GENERATIVE.value})


@dataclass(slots=True)
class DeviceState:
    """What is known about one guarded device after an update."""

    policy: DevicePolicy
    now: datetime
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
    watched_since: datetime | None = None  # since when the filter's log is read for it
    # Guarded patterns the user's own allow entries let through, and the entry.
    user_allows: dict[str, str] = field(default_factory=dict)
    # Address families the filter cannot tell the device's addresses of ("IPv6").
    uncovered: tuple[str, ...] = ()

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
    def disproof(self) -> Outcome | None:
        """The newest answered lookup of a host guarded now, if one disproves protection."""
        return self.evidence.disproof(self.policy.hosts)

    @property
    def last_blocked(self) -> BlockedRequest | None:
        """The most recent blocked lookup."""
        return self.blocked[-1] if self.blocked else None

    def last_voice_attempt(self) -> datetime | None:
        """When the device last tried to reach a blocked voice host."""
        voice = [b.time for b in self.blocked if b.category in VOICE_CATEGORIES]
        return voice[-1] if voice else None

    def attempt_window_end(self, now: datetime) -> datetime | None:
        """When the 'cloud voice attempt' sensor turns off again, if it is on at now."""
        last = self.last_voice_attempt()
        if last is None:
            return None
        end = last + ATTEMPT_WINDOW
        return end if end > now else None


@dataclass(frozen=True, slots=True)
class News:
    """What this poll found that was not told before (notices.py tells it)."""

    # (device id, the lookup, its category), one per blocked lookup, oldest first.
    blocked: list[tuple[str, BlockedQuery, str]] = field(default_factory=list)
    # (device id, the outcome), one per guarded lookup answered after the rules took effect.
    answered: list[tuple[str, Outcome]] = field(default_factory=list)
    # (the new host, its category) for hosts a device never looked up before.
    new_hosts: list[tuple[NewHost, str]] = field(default_factory=list)
    # Devices whose rules someone removed outside Home Assistant (written again now).
    removed_rules: list[str] = field(default_factory=list)


@dataclass(slots=True)
class GuardSnapshot:
    """The state of the filter and every guarded device."""

    info: FilterInfo
    devices: dict[str, DeviceState]
    now: datetime
    news: News = field(default_factory=News)

    def unknown(self) -> None:
        """Mark every device unknown: the filter stopped answering."""
        for state in self.devices.values():
            state.proof = Proof.UNREACHABLE


@dataclass(frozen=True, slots=True)
class Reading:
    """One update's reading of the filter, as the coordinator hands it over."""

    info: FilterInfo
    result: ReconcileResult
    confirmed: dict[str, dict[str, bool]]
    log: QueryLog
    # Per device: guarded patterns the user's own allow entries let through, and the entry.
    user_allows: dict[str, dict[str, str]] = field(default_factory=dict)


class Judge:
    """Keeps what outlives a poll and turns each reading into a snapshot."""

    def __init__(self, catalog: Catalog) -> None:
        """Judge by catalog's hosts."""
        self.catalog = catalog
        self.history = BlockedHistory()
        self.lookups = LookupTracker()
        self.destinations = Destinations()
        self.evidence: dict[str, Evidence] = {}
        # Per device: the hosts and clients its rules were last written for.
        self._applied: dict[str, Any] = {}
        self._categorizers: dict[str, tuple[GuardedDevice, Categorizer]] = {}
        # Address families the filter has seen any client use (kept: a catch-up reads
        # only the devices' own lookups).
        self.families: set[str] = set()

    def load(self, stored: Mapping[str, Any]) -> None:
        """Take back what stored() gave."""
        self._applied = dict(stored.get("applied") or {})
        self.families = {str(f) for f in stored.get("families") or [] if f in {"IPv4", "IPv6"}}
        self.history.load(stored.get("history") or [], stored.get("last_event"))
        self.lookups = LookupTracker.load(stored.get("query_log"))
        self.destinations.load(stored.get("destinations"))
        self.evidence = {
            str(d): Evidence.load(e) for d, e in (stored.get("evidence") or {}).items()
        }

    def stored(self) -> dict[str, Any]:
        """Return what the store keeps of the judge."""
        return {
            "applied": self._applied,
            "families": sorted(self.families),
            "history": self.history.stored(),
            "last_event": self.history.last_reported,
            "query_log": self.lookups.stored(),
            "destinations": self.destinations.stored(),
            "evidence": {d: e.stored() for d, e in self.evidence.items()},
        }

    def watching(self) -> set[str]:
        """Devices whose rules were in force: an answered lookup of theirs must be read."""
        return {d for d, e in self.evidence.items() if e.in_force_since is not None}

    def read_since(self, now: datetime) -> tuple[datetime, datetime]:
        """Where the next read of the query log starts, and the start of the window."""
        window_start = now - HISTORY_WINDOW
        cursor = self.lookups.cursor
        return (max(cursor, window_start) if cursor else window_start), window_start

    def judge(
        self,
        reading: Reading,
        policies: Mapping[str, DevicePolicy],
        allowed_until: Mapping[str, datetime | None],
        now: datetime,
    ) -> tuple[GuardSnapshot, bool]:
        """Return the snapshot of this reading, and whether what is stored changed."""
        log = reading.log
        devices = {d: p.device for d, p in policies.items()}
        unknown = self.lookups.unknown(devices)
        applied = {
            d: {"hosts": list(p.hosts), "clients": list(reading.result.clients.get(d, ()))}
            for d, p in policies.items()
        }
        changed = applied != self._applied
        if not log.families_seen <= self.families:
            self.families |= log.families_seen
            changed = True
        blocked, recorded = self._record(log.blocked, policies, now - HISTORY_WINDOW)
        changed |= recorded
        changed |= self.lookups.follow(log, devices, unknown, now)
        recorded, new_hosts = self.destinations.record(log.lookups, devices, now)
        changed |= recorded
        answered, weighed = self._weigh(policies, reading, now)
        changed |= weighed
        states = {
            device_id: self._state(device_id, policy, reading, allowed_until.get(device_id), now)
            for device_id, policy in policies.items()
        }
        news = News(
            blocked=blocked,
            answered=answered,
            new_hosts=[(n, self.categorizer(devices[n.device_id])(n.host)) for n in new_hosts],
            removed_rules=self._removed(policies, reading.result),
        )
        self._applied = applied
        return GuardSnapshot(info=reading.info, devices=states, now=now, news=news), changed

    def _state(
        self,
        device_id: str,
        policy: DevicePolicy,
        reading: Reading,
        allowed_until: datetime | None,
        now: datetime,
    ) -> DeviceState:
        log = reading.log
        state = DeviceState(
            policy=policy,
            now=now,
            evidence=self.evidence[device_id],
            confirmed=reading.confirmed.get(device_id, {}),
            conflicts=reading.result.conflicts.get(device_id, set()),
            blocked=self.history.of(device_id),
            last_lookup=self.lookups.last_lookup.get(device_id),
            hidden=log.hidden.get(device_id, ()),
            addresses=log.addresses.get(device_id, ()),
            shared=log.shared.get(device_id, ()),
            allowed_until=allowed_until,
            destinations=self.destinations.of(device_id, self.categorizer(policy.device), now),
            watched_since=self.lookups.watched_since.get(device_id),
            user_allows=reading.user_allows.get(device_id, {}),
            uncovered=log.uncovered.get(device_id, ()),
        )
        state.proof = verdict(
            hosts=policy.hosts,
            evidence=state.evidence,
            confirmed=state.confirmed,
            hidden=state.hidden,
            lookups_seen=state.lookups_seen,
            allowed=allowed_until is not None,
            user_allowed=bool(state.user_allows),
            # A family the filter cannot tell the device's addresses of, used in the home.
            uncovered=[f for f in state.uncovered if f in self.families],
        )
        return state

    def _removed(self, policies: Mapping[str, DevicePolicy], result: ReconcileResult) -> list[str]:
        """Devices whose rules, written before for the same clients, were missing now.

        Rules for a client the device did not have before (an address learned for its
        MAC) were never written, so missing them is no removal.
        """
        removed = []
        for device_id, hosts in result.missing.items():
            before = self._applied.get(device_id)
            if device_id not in policies or not isinstance(before, dict):
                continue
            same_clients = list(result.clients.get(device_id, ())) == before.get("clients")
            if same_clients and hosts & set(before.get("hosts") or ()):
                removed.append(device_id)
        return sorted(removed)

    def _weigh(
        self, policies: Mapping[str, DevicePolicy], reading: Reading, now: datetime
    ) -> tuple[list[tuple[str, Outcome]], bool]:
        """Take this update's evidence for each device; return the answered lookups to tell."""
        log = reading.log
        changed = False
        lookups: dict[str, list[BlockedQuery]] = {}
        for query in (*log.blocked, *log.answered):
            lookups.setdefault(query.device_id, []).append(query)
        for gone in set(self.evidence) - set(policies):
            del self.evidence[gone]
            changed = True
        answered: list[tuple[str, Outcome]] = []
        for device_id, policy in policies.items():
            evidence = self.evidence.setdefault(device_id, Evidence())
            before = evidence.stored()
            states = reading.confirmed.get(device_id, {})
            addresses = log.addresses.get(device_id, ())
            new = evidence.observe(
                covers=fingerprint(policy.hosts, addresses),
                addresses=addresses,
                in_force=bool(policy.hosts) and all(states.get(h, False) for h in policy.hosts),
                rewritten=device_id in reading.result.missing,
                complete_since=log.complete_since.get(device_id),
                lookups=lookups.get(device_id, ()),
                now=now,
            )
            answered += [(device_id, outcome) for outcome in new]
            changed |= evidence.stored() != before
        return answered, changed

    def _record(
        self,
        queries: list[BlockedQuery],
        policies: Mapping[str, DevicePolicy],
        cutoff: datetime,
    ) -> tuple[list[tuple[str, BlockedQuery, str]], bool]:
        """Keep 24 h of blocked lookups; return those not told before, and whether any changed."""
        changed = False
        news: list[tuple[str, BlockedQuery, str]] = []
        for query in queries:
            if query.device_id not in policies:
                continue
            category = category_of(query.host, policies[query.device_id])
            request = BlockedRequest(
                host=query.host, category=category, time=query.time.astimezone(UTC), rule=query.rule
            )
            if not self.history.add(query.device_id, request):
                continue
            changed = True
            if self.history.is_new(request):
                news.append((query.device_id, query, category))
                self.history.reported(request)
        return news, self.history.prune(policies, cutoff) or changed

    def categorizer(self, device: GuardedDevice) -> Categorizer:
        """Return the device's host categories: its type's whole catalog and extra hosts."""
        kept = self._categorizers.get(device.device_id)
        if kept is None or kept[0] != device:
            every = set(blocks_for(device.device_type))
            categories = desired_policy(device, every, self.catalog).categories
            kept = self._categorizers[device.device_id] = (device, Categorizer(categories))
        return kept[1]
