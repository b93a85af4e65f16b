"""What each guarded device still contacts: every host it looked up, blocked or answered.

Plain Python (no Home Assistant import). Built from the lookups each poll already reads
from the filter's query log (no extra read): per device and host the first and last
lookup, and counts by hour (the last 24 hours) and by day (the last 7 days, UTC days),
each split into blocked and answered. A lookup whose outcome the log does not give
(still in progress) counts as a lookup, neither blocked nor answered.

Bounded: at most MAX_HOSTS hosts per device; past that the host looked up longest ago
goes first, then the one with the fewest lookups in 7 days. A host never seen before
is news once the device has been watched for LEARNING_PERIOD (before that, everything
is new); at most MAX_NEWS_PER_POLL per device and poll are reported, the rest only kept.

What DNS shows is a host name being looked up: not what was sent, and not traffic that
needs no lookup (fixed addresses, DNS over HTTPS to a server the filter does not see).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .dns import hosts
from .dns.hosts import matches

MAX_HOSTS = 100  # hosts kept per device
LEARNING_PERIOD = timedelta(hours=48)
MAX_NEWS_PER_POLL = 5  # new-host reports per device and poll
# Counts alone are written at most this often (and at shutdown); a new host, soon.
COUNTS_SAVE_EVERY = timedelta(minutes=10)
TOP_HOSTS = 10  # hosts the sensors name
UNKNOWN = "unknown"  # a host in no vendor catalog entry of the device
HOUR = 3600
DAY = 86400
HOURS_KEPT = 24
TRIM_SPREAD = 10  # polls over which the hourly drop of old counts is spread
DAYS_KEPT = 7

# One lookup as the query log gave it: host, time, outcome (True blocked, False answered,
# None not said).
Lookup = tuple[str, datetime, bool | None]


def registrable_domain(host: str) -> str:
    """Return the domain a host belongs to (the Public Suffix List's), or the host itself."""
    return hosts.registrable_domain(host) or host.lower().rstrip(".")


def catalog_category(host: str, categories: Mapping[str, str]) -> str:
    """Return the category of the most specific catalog pattern covering host, or unknown."""
    covering = [pattern for pattern in categories if matches(host, pattern)]
    return categories[max(covering, key=len)] if covering else UNKNOWN


class Categorizer:
    """A device's catalog patterns (every category, extra hosts included) → host category.

    Remembers each host's answer: a poll categorises a host once, not per lookup.
    """

    def __init__(self, categories: Mapping[str, str]) -> None:
        """Use these patterns (pattern → category)."""
        self.categories = dict(categories)
        self._memo: dict[str, str] = {}

    def __call__(self, host: str) -> str:
        """Return the host's category, or unknown."""
        if (found := self._memo.get(host)) is None:
            if len(self._memo) >= 4 * MAX_HOSTS:
                self._memo.clear()
            found = self._memo[host] = catalog_category(host, self.categories)
        return found


def _bucket(buckets: dict[int, list[int]], key: int, *, outcome: bool | None) -> None:
    counts = buckets.setdefault(key, [0, 0, 0])  # lookups, blocked, answered
    counts[0] += 1
    if outcome is True:
        counts[1] += 1
    elif outcome is False:
        counts[2] += 1


@dataclass(slots=True)
class HostSeen:
    """One host a device looked up."""

    host: str
    first_seen: datetime
    last_seen: datetime
    hours: dict[int, list[int]] = field(default_factory=dict)  # epoch hour → counts
    days: dict[int, list[int]] = field(default_factory=dict)  # epoch day → counts

    def add(self, when: datetime, *, outcome: bool | None) -> None:
        """Count one lookup."""
        self.first_seen = min(self.first_seen, when)
        self.last_seen = max(self.last_seen, when)
        stamp = int(when.timestamp())
        _bucket(self.hours, stamp // HOUR, outcome=outcome)
        _bucket(self.days, stamp // DAY, outcome=outcome)

    def counts(self, now: datetime, *, days: bool = False) -> tuple[int, int, int]:
        """Return (lookups, blocked, answered) of the last 24 hours, or of the last 7 days."""
        stamp = int(now.timestamp())
        if days:
            buckets, since = self.days, stamp // DAY - DAYS_KEPT + 1
        else:
            buckets, since = self.hours, stamp // HOUR - HOURS_KEPT + 1
        kept = [c for key, c in buckets.items() if key >= since]
        return (sum(c[0] for c in kept), sum(c[1] for c in kept), sum(c[2] for c in kept))

    def trim(self, now: datetime) -> bool:
        """Drop counts older than the windows; return whether any were dropped."""
        stamp = int(now.timestamp())
        hours = {k: c for k, c in self.hours.items() if k > stamp // HOUR - HOURS_KEPT}
        days = {k: c for k, c in self.days.items() if k > stamp // DAY - DAYS_KEPT}
        dropped = len(hours) != len(self.hours) or len(days) != len(self.days)
        self.hours, self.days = hours, days
        return dropped

    def stored(self) -> list[Any]:
        """As the store keeps it (compact: epoch seconds and bucket lists)."""
        return [
            self.host,
            int(self.first_seen.timestamp()),
            int(self.last_seen.timestamp()),
            [[k, *c] for k, c in sorted(self.hours.items())],
            [[k, *c] for k, c in sorted(self.days.items())],
        ]

    @classmethod
    def load(cls, item: Any) -> HostSeen | None:
        """Take back what stored() gave; None for anything malformed."""
        try:
            host, first, last, hours, days = item
            return cls(
                host=str(host),
                first_seen=datetime.fromtimestamp(int(first), UTC),
                last_seen=datetime.fromtimestamp(int(last), UTC),
                hours={int(k): [int(n) for n in c] for k, *c in hours if len(c) == 3},  # noqa: PLR2004
                days={int(k): [int(n) for n in c] for k, *c in days if len(c) == 3},  # noqa: PLR2004
            )
        except (TypeError, ValueError, OverflowError, OSError):
            return None


@dataclass(slots=True)
class DeviceDestinations:
    """The hosts of one device, and from when on it is watched."""

    watched_since: datetime
    counted_until: datetime | None = None  # the newest lookup counted (re-reads skip it)
    hosts: dict[str, HostSeen] = field(default_factory=dict)
    # Hosts whose counts changed (or that went) since the entities' view was worked out.
    dirty: set[str] = field(default_factory=set)

    def record(self, lookups: Iterable[Lookup]) -> list[str]:
        """Count lookups newer than the last counted; return hosts never seen before."""
        new: list[str] = []
        newest = self.counted_until
        for host, when, outcome in lookups:
            if self.counted_until is not None and when <= self.counted_until:
                continue
            seen = self.hosts.get(host)
            if seen is None:
                seen = self.hosts[host] = HostSeen(host, when, when)
                new.append(host)
            seen.add(when, outcome=outcome)
            self.dirty.add(host)
            newest = when if newest is None else max(newest, when)
        self.counted_until = newest
        return new

    def bound(self, now: datetime) -> None:
        """Keep at most MAX_HOSTS: the longest unseen go first, then the rarest (7 days)."""
        while len(self.hosts) > MAX_HOSTS:
            oldest = min(s.last_seen for s in self.hosts.values())
            tied = [s for s in self.hosts.values() if s.last_seen == oldest]
            gone = min(tied, key=lambda s: s.counts(now, days=True)[0]).host
            del self.hosts[gone]
            self.dirty.add(gone)


@dataclass(frozen=True, slots=True)
class Destination:
    """A host as the entities, the report and the panel show it."""

    host: str
    domain: str
    category: str
    first_seen: datetime
    last_seen: datetime
    lookups_24h: int
    blocked_24h: int
    answered_24h: int
    lookups_7d: int
    blocked_7d: int
    answered_7d: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data, times in ISO 8601."""
        return {
            "host": self.host,
            "domain": self.domain,
            "category": self.category,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "lookups_24h": self.lookups_24h,
            "blocked_24h": self.blocked_24h,
            "answered_24h": self.answered_24h,
            "lookups_7d": self.lookups_7d,
            "blocked_7d": self.blocked_7d,
            "answered_7d": self.answered_7d,
        }


def _destination(seen: HostSeen, category: str, now: datetime) -> Destination:
    day = seen.counts(now)
    week = seen.counts(now, days=True)
    return Destination(
        host=seen.host,
        domain=registrable_domain(seen.host),
        category=category,
        first_seen=seen.first_seen,
        last_seen=seen.last_seen,
        lookups_24h=day[0],
        blocked_24h=day[1],
        answered_24h=day[2],
        lookups_7d=week[0],
        blocked_7d=week[1],
        answered_7d=week[2],
    )


@dataclass(slots=True)
class _View:
    """A device's hosts as last worked out, for one categorizer."""

    categorize: Categorizer
    by_host: dict[str, Destination]
    ordered: list[Destination]


@dataclass(frozen=True, slots=True)
class NewHost:
    """A host a device looked up for the first time after its learning period."""

    device_id: str
    host: str
    time: datetime
    blocked: bool | None


class Destinations:
    """Every guarded device's hosts, stored with the filter entry's history."""

    def __init__(self) -> None:
        """Start empty."""
        self._devices: dict[str, DeviceDestinations] = {}
        self._trimmed_hour: int | None = None
        self._to_trim: list[str] = []  # devices whose old counts this hour has not dropped
        # Per device: what of() answered; only changed hosts are worked out again.
        self._shown: dict[str, _View] = {}
        self._counted_since_saved: datetime | None = None  # the first unsaved count

    def load(self, stored: Any) -> None:
        """Take back what stored() gave (malformed parts are dropped)."""
        for device_id, item in (stored if isinstance(stored, dict) else {}).items():
            try:
                since = datetime.fromisoformat(item["watched_since"])
                until = item.get("counted_until")
                hosts = [HostSeen.load(h) for h in item.get("hosts", [])]
            except (TypeError, ValueError, KeyError, AttributeError):
                continue
            self._devices[str(device_id)] = DeviceDestinations(
                watched_since=since,
                counted_until=datetime.fromisoformat(until) if isinstance(until, str) else None,
                hosts={h.host: h for h in hosts if h is not None},
            )

    def stored(self) -> dict[str, Any]:
        """As the store keeps it."""
        return {
            device_id: {
                "watched_since": item.watched_since.isoformat(),
                "counted_until": item.counted_until.isoformat() if item.counted_until else None,
                "hosts": [h.stored() for h in item.hosts.values()],
            }
            for device_id, item in self._devices.items()
        }

    def record(
        self, lookups: Mapping[str, list[Lookup]], devices: Collection[str], now: datetime
    ) -> tuple[bool, list[NewHost]]:
        """Count a poll's lookups of the guarded devices; return (to be stored, news).

        To be stored: a host or device came or went, or counts have waited for
        COUNTS_SAVE_EVERY (saved() says they were handed to the store). Costs what the
        poll read: devices without lookups are not looked at, except once an hour when
        old counts are dropped.
        """
        changed = self._follow(devices, now)
        news: list[NewHost] = []
        for device_id, found in lookups.items():
            item = self._devices.get(device_id)
            if item is None or not found:
                continue
            before = item.counted_until
            new = item.record(found)
            changed |= bool(new)
            if item.counted_until != before and self._counted_since_saved is None:
                self._counted_since_saved = now
            if new and now - item.watched_since >= LEARNING_PERIOD:
                first = {h: (w, o) for h, w, o in reversed(found) if h in new}
                news += [
                    NewHost(device_id, host, first[host][0], first[host][1])
                    for host in new[:MAX_NEWS_PER_POLL]
                ]
            item.bound(now)
        self._trim(lookups, now)
        since = self._counted_since_saved
        return changed or (since is not None and now - since >= COUNTS_SAVE_EVERY), news

    def _trim(self, lookups: Mapping[str, list[Lookup]], now: datetime) -> None:
        """Move the windows on: drop counts older than 24 hours / 7 days, hour by hour.

        Spread over the polls after the hour begins (a tenth of the devices per poll,
        those that looked something up first), so no poll does it for every host at once:
        a quiet device's figures lag the hour by at most ten polls.
        """
        hour = int(now.timestamp()) // HOUR
        if hour != self._trimmed_hour:
            self._trimmed_hour = hour
            self._to_trim = list(self._devices)
        if not self._to_trim:
            return
        share = -(-len(self._devices) // TRIM_SPREAD)
        first = [d for d in self._to_trim if d in lookups]
        now_trimmed = set(first + [d for d in self._to_trim if d not in lookups][:share])
        self._to_trim = [d for d in self._to_trim if d not in now_trimmed]
        for device_id in now_trimmed:
            if (item := self._devices.get(device_id)) is not None:
                item.dirty.update(h for h, seen in item.hosts.items() if seen.trim(now))

    def _follow(self, devices: Collection[str], now: datetime) -> bool:
        """Watch new devices from now on, forget those no longer guarded; True if any."""
        changed = False
        for device_id in devices:
            if device_id not in self._devices:
                self._devices[device_id] = DeviceDestinations(watched_since=now)
                changed = True
        for gone in set(self._devices) - set(devices):
            del self._devices[gone]
            self._shown.pop(gone, None)
            changed = True
        return changed

    def saved(self) -> None:
        """Note that the store is about to write everything: no count is waiting."""
        self._counted_since_saved = None

    def of(self, device_id: str, categorize: Categorizer, now: datetime) -> list[Destination]:
        """Return a device's hosts, most looked up in 24 hours first (then in 7 days).

        Works out again only the hosts looked up (or whose old counts were dropped) since
        the last call, so a poll costs the lookups it read, not every host kept. (The
        windows move on with the hourly trim in record().)
        """
        item = self._devices.get(device_id)
        if item is None:
            return []
        view = self._shown.get(device_id)
        if view is None or view.categorize is not categorize:
            by_host = {h: _destination(s, categorize(h), now) for h, s in item.hosts.items()}
            view = self._shown[device_id] = _View(categorize, by_host, [])
        elif item.dirty:
            for host in item.dirty:
                seen = item.hosts.get(host)
                if seen is None:
                    view.by_host.pop(host, None)
                else:
                    view.by_host[host] = _destination(seen, categorize(host), now)
        else:
            return view.ordered
        item.dirty.clear()
        view.ordered = sorted(
            view.by_host.values(), key=lambda d: (-d.lookups_24h, -d.lookups_7d, d.host)
        )
        return view.ordered

    def hourly(self, device_id: str, categorize: Categorizer, now: datetime) -> list[Any]:
        """Return the last 24 hours by hour: [hour start, {category: [blocked, answered]}]."""
        item = self._devices.get(device_id)
        stamp = int(now.timestamp()) // HOUR
        series: dict[int, dict[str, list[int]]] = {
            h: {} for h in range(stamp - HOURS_KEPT + 1, stamp + 1)
        }
        for seen in item.hosts.values() if item else ():
            category = categorize(seen.host)
            for key, counts in seen.hours.items():
                if key in series:
                    slot = series[key].setdefault(category, [0, 0])
                    slot[0] += counts[1]
                    slot[1] += counts[2]
        return [
            [datetime.fromtimestamp(h * HOUR, UTC).isoformat(), cats]
            for h, cats in sorted(series.items())
        ]

    def learning_until(self, device_id: str) -> datetime | None:
        """When new hosts of the device start to be news (None: not watched)."""
        item = self._devices.get(device_id)
        return item.watched_since + LEARNING_PERIOD if item else None

    def knows(self, device_id: str, host: str) -> bool:
        """Whether the device's inventory holds the host."""
        item = self._devices.get(device_id)
        return item is not None and host in item.hosts
