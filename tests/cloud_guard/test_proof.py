"""The proof from outcomes: what the device's own lookups show, level by level (proof.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.voice_guard.cloud_guard.dns.filters.base import (
    HIDDEN_ADDRESSES,
    HIDDEN_DOMAINS,
    BlockedQuery,
)
from custom_components.voice_guard.cloud_guard.proof import (
    CONFIRMED,
    Evidence,
    Proof,
    fingerprint,
    verdict,
)

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
HOSTS = ("avs-alexa-*.amazon.com",)
IPV4 = "192.168.1.20"
IPV6 = "fd00::20"
COVERS = fingerprint(HOSTS, (IPV4, IPV6))


def lookup(
    minutes: float, *, blocked: bool, client: str = IPV4, status: str | None = None
) -> BlockedQuery:
    """A guarded lookup of the device, minutes after T0."""
    return BlockedQuery(
        device_id="dev001",
        host="avs-alexa-eu.amazon.com",
        time=T0 + timedelta(minutes=minutes),
        client=client,
        rule=status or ("REGEX" if blocked else "FORWARDED"),
        blocked=blocked,
    )


def observe(
    evidence: Evidence,
    minutes: float,
    *lookups: BlockedQuery,
    in_force: bool = True,
    rewritten: bool = False,
    blocked_only: bool = False,
    covers: str = COVERS,
) -> bool:
    return evidence.observe(
        covers=covers,
        in_force=in_force,
        rewritten=rewritten,
        blocked_only=blocked_only,
        lookups=list(lookups),
        now=T0 + timedelta(minutes=minutes),
    )


def level(evidence: Evidence, *, hidden: tuple[str, ...] = (), seen: bool = True) -> Proof:
    return verdict(
        hosts=HOSTS,
        evidence=evidence,
        confirmed=dict.fromkeys(HOSTS, True),
        hidden=hidden,
        lookups_seen=seen,
        allowed=False,
    )


def test_an_answered_guarded_lookup_after_the_rules_took_effect_disproves() -> None:
    evidence = Evidence()
    observe(evidence, 0)  # the rules are found in force now
    assert level(evidence) is Proof.IN_FORCE
    assert observe(evidence, 1, lookup(0.5, blocked=True))
    assert level(evidence) is Proof.BLOCKED_SEEN
    assert observe(evidence, 2, lookup(1.5, blocked=False, status="CACHE"))
    assert level(evidence) is Proof.ANSWERED
    assert level(evidence) not in CONFIRMED
    answered = evidence.answered
    assert answered is not None
    assert (answered.host, answered.status, answered.address) == (
        "avs-alexa-eu.amazon.com",
        "CACHE",
        IPV4,
    )


def test_lookups_from_before_the_rules_took_effect_do_not_count() -> None:
    evidence = Evidence()
    observe(evidence, 10)
    observe(evidence, 11, lookup(9, blocked=False), lookup(9.5, blocked=True))
    assert level(evidence) is Proof.IN_FORCE
    assert evidence.answered is None
    assert evidence.blocked is None


def test_a_blocked_lookup_from_the_same_address_ends_the_disproof_another_does_not() -> None:
    evidence = Evidence()
    observe(evidence, 0)
    observe(evidence, 2, lookup(1, blocked=False, client=IPV6))
    observe(evidence, 3, lookup(2.5, blocked=True, client=IPV4))  # IPv4 blocked, IPv6 not
    assert level(evidence) is Proof.ANSWERED
    observe(evidence, 4, lookup(3.5, blocked=True, client=IPV6))
    assert level(evidence) is Proof.BLOCKED_SEEN


@pytest.mark.parametrize(
    "change",
    [
        {"rewritten": True},
        {"in_force": False},
        {"covers": fingerprint(HOSTS, ("192.168.1.21",))},  # the address changed
        {"covers": fingerprint((*HOSTS, "device-metrics-us.amazon.com"), (IPV4, IPV6))},
    ],
)
def test_a_new_write_address_or_host_starts_the_proof_again(change: dict[str, object]) -> None:
    evidence = Evidence()
    observe(evidence, 0)
    observe(evidence, 2, lookup(1, blocked=False))
    assert level(evidence) is Proof.ANSWERED
    observe(evidence, 3, **change)  # type: ignore[arg-type]
    assert evidence.answered is None
    assert evidence.blocked is None
    in_force = change.get("in_force", True)
    assert evidence.in_force_since == (T0 + timedelta(minutes=3) if in_force else None)


def test_a_read_of_blocked_lookups_only_keeps_a_disproof_and_drops_the_strongest_level() -> None:
    """After a gap only blocked lookups are read: answered ones in it are unseen."""
    evidence = Evidence()
    observe(evidence, 0)
    observe(evidence, 2, lookup(1, blocked=True))
    assert level(evidence) is Proof.BLOCKED_SEEN
    observe(evidence, 60, blocked_only=True)
    assert level(evidence) is Proof.IN_FORCE

    observe(evidence, 61, lookup(60.5, blocked=False, client=IPV6))
    observe(evidence, 120, blocked_only=True)
    assert level(evidence) is Proof.ANSWERED


def test_the_levels_in_order() -> None:
    evidence = Evidence()
    assert level(evidence) is Proof.RULES  # never found in force
    observe(evidence, 0)
    assert level(evidence, seen=False) is Proof.NO_LOOKUPS
    assert level(evidence, hidden=(HIDDEN_ADDRESSES,)) is Proof.HIDDEN
    assert level(evidence, hidden=(HIDDEN_DOMAINS,)) is Proof.HIDDEN
    observe(evidence, 2, lookup(1, blocked=False))
    assert level(evidence, hidden=(HIDDEN_DOMAINS,), seen=False) is Proof.ANSWERED
    confirmed = {HOSTS[0]: False}
    args = {"hidden": (), "lookups_seen": True}
    assert verdict(hosts=HOSTS, evidence=evidence, confirmed=confirmed, allowed=True, **args) is (
        Proof.ALLOWED
    )
    assert verdict(hosts=(), evidence=evidence, confirmed={}, allowed=False, **args) is (
        Proof.NOTHING_BLOCKED
    )


def test_evidence_survives_the_store_and_garbage_does_not_break_it() -> None:
    evidence = Evidence()
    observe(evidence, 0)
    observe(evidence, 2, lookup(1, blocked=True), lookup(1.5, blocked=False))
    assert Evidence.load(evidence.stored()) == evidence
    assert Evidence.load(None) == Evidence()
    broken = Evidence.load({"in_force_since": "yesterday", "answered": {"host": "x"}})
    assert (broken.in_force_since, broken.answered) == (None, None)
    assert not observe(Evidence.load(evidence.stored()), 3)  # nothing new: no change
