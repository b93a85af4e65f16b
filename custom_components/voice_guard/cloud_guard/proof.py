"""Whether a guarded device is protected, proven by what happened to its own lookups.

Plain Python (no Home Assistant import): evidence in, one verdict per device out.

The filter's query log says, lookup by lookup, whether it was blocked or answered. That is
the evidence, not that our rules are in place:
- a lookup of a guarded host H by the device, made after its rules took effect and
  **answered**, disproves protection. The disproof is kept per host and address: only H
  itself seen **blocked** for the device later (from the same address, or from any while
  that address is no longer the device's) ends it. No rule write, no other host's block
  and no restart clears it;
- "confirmed" needs a guarded lookup of the device **blocked** since the rules took
  effect, the rules in force, lookups of the device reaching the filter and no disproof.
  Rules in force with no attempt seen yet are their own level, never "confirmed": a device
  that resolves its cloud elsewhere would otherwise stay confirmed for ever;
- when the device's addresses change, the lookups of the old ones say nothing any more:
  "address changed, checking" until a guarded lookup from the new ones is blocked.
Only lookups after the rules took effect count, and only from addresses that are the
device's alone (the filter clients decide that). The rules "took effect" at the first
update that found them in force for the device's current hosts and addresses; a write of
the device's rules, a change of its hosts or addresses, or a span whose answered lookups
could not all be read starts that time again (a disproof stays).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
import hashlib
import json
from typing import Any

from .dns.filters.base import CLIENT_ID, NO_PROOF, BlockedQuery
from .dns.hosts import matches
from .lookups import stored_time

# Disproofs kept per device (host and address each): more would only repeat the point.
MAX_DISPROOFS = 64


class Proof(StrEnum):
    """The proof levels, weakest first after the ones that say why there is none."""

    NOTHING_BLOCKED = "nothing_blocked"  # no switch is on
    ALLOWED = "allowed_temporarily"  # the owner lifted the blocks for a while
    UNREACHABLE = "filter_unreachable"  # the filter does not answer: nothing is known now
    ANSWERED = "answered"  # a guarded lookup was answered: not protected
    USER_ALLOWED = "allowed_by_your_entry"  # the user's own allow entry lets a host through
    RULES = "rules_not_in_force"
    HIDDEN = "hidden_by_filter"  # the filter's log hides what would prove it
    NO_LOOKUPS = "no_lookups_seen"  # the device does not ask this filter (DoH, own DNS)
    NOT_COVERED = "addresses_not_covered"  # the home uses IPv6, the device's are unknown
    ADDRESS_CHANGED = "address_changed"  # new addresses: checking them
    IN_FORCE = "rules_in_force_no_attempt_yet"  # rules active, no guarded lookup seen yet
    BLOCKED_SEEN = "blocked_seen"  # confirmed: a guarded lookup was blocked


# Only an outcome confirms: a guarded lookup of the device blocked since the rules took effect.
CONFIRMED = frozenset({Proof.BLOCKED_SEEN})


@dataclass(frozen=True, slots=True)
class Outcome:
    """One guarded lookup of the device and what the filter did with it."""

    host: str
    time: datetime
    address: str
    status: str  # the filter's word: its rule or status ("FORWARDED", "NotFilteredNotFound")

    @classmethod
    def of(cls, query: BlockedQuery) -> Outcome:
        """Return the outcome of a logged lookup."""
        return cls(
            host=query.host.lower().rstrip("."),
            time=query.time,
            address=query.client,
            status=query.rule,
        )

    def stored(self) -> dict[str, str]:
        """As the store keeps it."""
        return {
            "host": self.host,
            "time": self.time.isoformat(),
            "address": self.address,
            "status": self.status,
        }

    @classmethod
    def load(cls, value: Any) -> Outcome | None:
        """Take back what stored() gave (None for anything else)."""
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                host=str(value["host"]),
                time=datetime.fromisoformat(str(value["time"])),
                address=str(value["address"]),
                status=str(value["status"]),
            )
        except (KeyError, ValueError):
            return None


def fingerprint(hosts: Collection[str], addresses: Collection[str]) -> str:
    """Return what a device's rules cover: its guarded hosts and its own addresses."""
    text = json.dumps([sorted(hosts), sorted(addresses)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(slots=True)
class Evidence:
    """What the filter's log showed of one device since its rules took effect."""

    fingerprint: str = ""
    in_force_since: datetime | None = None
    blocked: Outcome | None = None  # the newest guarded lookup blocked since then
    # Guarded lookups answered after the rules took effect, by host and address: each
    # stays until that host is seen blocked for the device (see the module's docstring).
    disproofs: dict[str, Outcome] = field(default_factory=dict)
    addresses: tuple[str, ...] = ()  # the addresses whose lookups were the device's
    moved_at: datetime | None = None  # they changed then; no guarded lookup blocked since
    reported: datetime | None = None  # the newest answered lookup already reported

    @property
    def answered(self) -> Outcome | None:
        """The newest disproof (None if there is none)."""
        return max(self.disproofs.values(), key=lambda o: o.time, default=None)

    def disproof(self, hosts: Collection[str]) -> Outcome | None:
        """Return the newest disproof of a host the device's rules guard now."""
        current = [o for o in self.disproofs.values() if any(matches(o.host, p) for p in hosts)]
        return max(current, key=lambda o: o.time, default=None)

    def stored(self) -> dict[str, Any]:
        """As the store keeps it."""
        return {
            "fingerprint": self.fingerprint,
            "in_force_since": self.in_force_since.isoformat() if self.in_force_since else None,
            "blocked": self.blocked.stored() if self.blocked else None,
            "disproofs": [o.stored() for o in self.disproofs.values()],
            "addresses": list(self.addresses),
            "moved_at": self.moved_at.isoformat() if self.moved_at else None,
            "reported": self.reported.isoformat() if self.reported else None,
        }

    @classmethod
    def load(cls, value: Any) -> Evidence:
        """Take back what stored() gave (empty evidence for anything else)."""
        if not isinstance(value, dict):
            return cls()
        listed = value.get("disproofs")
        # Evidence stored before disproofs were kept per host had one "answered".
        items = listed if isinstance(listed, list) else [value.get("answered")]
        disproofs = [o for item in items if (o := Outcome.load(item)) is not None]
        addresses = value.get("addresses")
        return cls(
            fingerprint=str(value.get("fingerprint") or ""),
            in_force_since=stored_time(value.get("in_force_since")),
            blocked=Outcome.load(value.get("blocked")),
            disproofs={_key(o): o for o in disproofs[-MAX_DISPROOFS:]},
            addresses=tuple(str(a) for a in addresses) if isinstance(addresses, list) else (),
            moved_at=stored_time(value.get("moved_at")),
            reported=stored_time(value.get("reported")),
        )

    def observe(  # noqa: PLR0913 - one update's findings about the device
        self,
        *,
        covers: str,
        addresses: Collection[str],
        in_force: bool,
        rewritten: bool,
        complete_since: datetime | None,
        lookups: Sequence[BlockedQuery],
        now: datetime,
    ) -> list[Outcome]:
        """Take one update's findings; return the answered lookups not reported before.

        covers is the fingerprint of the rules' hosts and addresses; addresses the
        device's own; in_force whether every rule was found in force; rewritten whether
        this update wrote the device's rules; complete_since, when the read could not see
        every answered lookup of the device, the time from which it did.
        """
        own = tuple(sorted(set(addresses)))
        if self.addresses and own != self.addresses:
            self.moved_at = now  # the old addresses' lookups say nothing about it now
        self.addresses = own
        if not in_force or rewritten or covers != self.fingerprint or self.in_force_since is None:
            # The rules take effect now (or not at all): no lookup before counts.
            self.fingerprint = covers
            self.in_force_since = now if in_force else None
            self.blocked = None
        elif complete_since is not None and (
            self.in_force_since is None or complete_since > self.in_force_since
        ):
            # A span read without all its answered lookups: from where it is whole on.
            self.in_force_since = complete_since
            self.blocked = None
        since = self.in_force_since
        new: list[Outcome] = []
        for query in sorted(lookups, key=lambda q: q.time):
            if since is None or query.time <= since:
                continue
            outcome = Outcome.of(query)
            if query.blocked:
                self._blocked(outcome)
            else:
                self.disproofs.pop(_key(outcome), None)
                self.disproofs[_key(outcome)] = outcome
                if self.reported is None or outcome.time > self.reported:
                    new.append(outcome)
        while len(self.disproofs) > MAX_DISPROOFS:
            del self.disproofs[next(iter(self.disproofs))]
        if new:
            self.reported = new[-1].time
        return new

    def _blocked(self, outcome: Outcome) -> None:
        """Take a blocked guarded lookup: the strongest level, the end of its host's disproof.

        One known by a ClientID alone (perhaps another device's) proves nothing; it only
        ends a disproof of the same host on the same path.
        """
        if not outcome.address.startswith(CLIENT_ID):
            self.blocked = outcome
            if self.moved_at is not None and outcome.time > self.moved_at:
                self.moved_at = None
        for key, disproof in list(self.disproofs.items()):
            left = disproof.address not in self.addresses and CLIENT_ID not in disproof.address
            if (
                disproof.host == outcome.host
                and outcome.time > disproof.time
                and (disproof.address == outcome.address or left)
            ):
                del self.disproofs[key]


def _key(outcome: Outcome) -> str:
    return f"{outcome.host} {outcome.address}"


def verdict(  # noqa: PLR0911, PLR0913 - one reason each, one input each
    *,
    hosts: Collection[str],
    evidence: Evidence,
    confirmed: dict[str, bool],
    hidden: Collection[str],
    lookups_seen: bool,
    allowed: bool,
    user_allowed: bool = False,
    uncovered: Collection[str] = (),
) -> Proof:
    """Return the proof level of a device: why it is not protected, or how strongly it is."""
    if allowed:
        return Proof.ALLOWED
    if not hosts:
        return Proof.NOTHING_BLOCKED
    if evidence.disproof(hosts) is not None:
        return Proof.ANSWERED
    if user_allowed:
        return Proof.USER_ALLOWED
    if not all(confirmed.get(host, False) for host in hosts) or evidence.in_force_since is None:
        return Proof.RULES
    if NO_PROOF.intersection(hidden):
        return Proof.HIDDEN
    if not lookups_seen:
        return Proof.NO_LOOKUPS
    if uncovered:
        return Proof.NOT_COVERED
    if evidence.moved_at is not None:
        return Proof.ADDRESS_CHANGED
    return Proof.BLOCKED_SEEN if evidence.blocked is not None else Proof.IN_FORCE
