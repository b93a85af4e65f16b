"""Whether a guarded device is protected, proven by what happened to its own lookups.

Plain Python (no Home Assistant import): evidence in, one verdict per device out.

The filter's query log says, lookup by lookup, whether it was blocked or answered. That is
the evidence, not that our rules are in place:
- a lookup of a guarded host by the device, made after its rules took effect and
  **answered**, disproves protection (until the device's rules are written anew, or a
  later lookup of a guarded host from the same address is blocked);
- "confirmed" needs the rules in force, lookups of the device reaching the filter and no
  such answered lookup; a blocked lookup of a guarded host since the rules took effect is
  the strongest level.
Only lookups after the rules took effect count, and only from addresses that are the
device's alone (the filter clients decide that). The rules "took effect" at the first
update that found them in force for the device's current hosts and addresses; a write of
the device's rules, a change of its hosts or addresses, or a gap in what was read (a
restart's catch-up reads blocked lookups only) starts that time again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import hashlib
import json
from typing import Any

from .dns.filters.base import NO_PROOF, BlockedQuery


class Proof(StrEnum):
    """The proof levels, weakest first after the ones that say why there is none."""

    NOTHING_BLOCKED = "nothing_blocked"  # no switch is on
    ALLOWED = "allowed_temporarily"  # the owner lifted the blocks for a while
    ANSWERED = "answered"  # a guarded lookup was answered: not protected
    RULES = "rules_not_in_force"
    HIDDEN = "hidden_by_filter"  # the filter's log hides what would prove it
    NO_LOOKUPS = "no_lookups_seen"  # the device does not ask this filter (DoH, own DNS)
    IN_FORCE = "rules_in_force_no_attempt_yet"  # confirmed, no guarded lookup since
    BLOCKED_SEEN = "blocked_seen"  # confirmed, and a guarded lookup was blocked


CONFIRMED = frozenset({Proof.IN_FORCE, Proof.BLOCKED_SEEN})


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
        return cls(host=query.host, time=query.time, address=query.client, status=query.rule)

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
    answered: Outcome | None = None  # the newest guarded lookup answered since then

    def stored(self) -> dict[str, Any]:
        """As the store keeps it."""
        return {
            "fingerprint": self.fingerprint,
            "in_force_since": self.in_force_since.isoformat() if self.in_force_since else None,
            "blocked": self.blocked.stored() if self.blocked else None,
            "answered": self.answered.stored() if self.answered else None,
        }

    @classmethod
    def load(cls, value: Any) -> Evidence:
        """Take back what stored() gave (empty evidence for anything else)."""
        if not isinstance(value, dict):
            return cls()
        since = value.get("in_force_since")
        try:
            when = datetime.fromisoformat(since) if isinstance(since, str) else None
        except ValueError:
            when = None
        return cls(
            fingerprint=str(value.get("fingerprint") or ""),
            in_force_since=when,
            blocked=Outcome.load(value.get("blocked")),
            answered=Outcome.load(value.get("answered")),
        )

    def observe(  # noqa: PLR0913 - one update's findings about the device
        self,
        *,
        covers: str,
        in_force: bool,
        rewritten: bool,
        blocked_only: bool,
        lookups: Sequence[BlockedQuery],
        now: datetime,
    ) -> bool:
        """Take one update's findings; return whether the evidence changed.

        covers is the fingerprint of the rules' hosts and addresses; in_force whether every
        rule was found in force; rewritten whether this update wrote the device's rules;
        blocked_only whether the log read showed blocked lookups only (answered ones in
        that span are unseen, so a blocked one no longer proves the strongest level).
        """
        before = self.stored()
        if not in_force or rewritten or covers != self.fingerprint:
            # The rules take effect now (or not at all): nothing before counts.
            self.fingerprint = covers
            self.in_force_since = now if in_force else None
            self.blocked = self.answered = None
        elif blocked_only:
            # A span read without its answered lookups: from here on only. A disproof
            # already seen stays until a blocked lookup from its address follows.
            self.in_force_since = now
            self.blocked = None
        since = self.in_force_since
        for query in sorted(lookups, key=lambda q: q.time):
            if since is None or query.time <= since:
                continue
            outcome = Outcome.of(query)
            if query.blocked:
                self.blocked = outcome
                if self.answered is not None and self.answered.address == outcome.address:
                    self.answered = None  # the address is blocked now: the cause is gone
            else:
                self.answered = outcome
        return self.stored() != before


def verdict(  # noqa: PLR0911, PLR0913 - one reason each, one input each
    *,
    hosts: Collection[str],
    evidence: Evidence,
    confirmed: dict[str, bool],
    hidden: Collection[str],
    lookups_seen: bool,
    allowed: bool,
) -> Proof:
    """Return the proof level of a device: why it is not protected, or how strongly it is."""
    if allowed:
        return Proof.ALLOWED
    if not hosts:
        return Proof.NOTHING_BLOCKED
    if evidence.answered is not None:
        return Proof.ANSWERED
    if not all(confirmed.get(host, False) for host in hosts) or evidence.in_force_since is None:
        return Proof.RULES
    if NO_PROOF.intersection(hidden):
        return Proof.HIDDEN
    if not lookups_seen:
        return Proof.NO_LOOKUPS
    return Proof.BLOCKED_SEEN if evidence.blocked is not None else Proof.IN_FORCE
