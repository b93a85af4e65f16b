"""The proof from outcomes: what the device's own lookups show, level by level (proof.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.voice_guard.cloud_guard.dns.filters.base import (
    HIDDEN_ADDRESSES,
    HIDDEN_DOMAINS,
    BlockedQuery,
)
from custom_components.voice_guard.cloud_guard.proof import (
    CONFIRMED,
    MAX_DISPROOFS,
    Evidence,
    Outcome,
    Proof,
    fingerprint,
    verdict,
)

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
HOSTS = ("avs-alexa-*.amazon.com",)
IPV4 = "192.168.1.20"
IPV6 = "fd00::20"


def lookup(
    minutes: float,
    *,
    blocked: bool,
    client: str = IPV4,
    status: str | None = None,
    host: str = "avs-alexa-eu.amazon.com",
) -> BlockedQuery:
    """A guarded lookup of the device, minutes after T0."""
    return BlockedQuery(
        device_id="dev001",
        host=host,
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
    complete_since: float | None = None,
    addresses: tuple[str, ...] = (IPV4, IPV6),
) -> list[Outcome]:
    return evidence.observe(
        covers=fingerprint(HOSTS, addresses),
        addresses=addresses,
        in_force=in_force,
        rewritten=rewritten,
        complete_since=None if complete_since is None else T0 + timedelta(minutes=complete_since),
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
    assert level(evidence) not in CONFIRMED  # no attempt yet: not confirmed
    observe(evidence, 1, lookup(0.5, blocked=True))
    assert level(evidence) is Proof.BLOCKED_SEEN
    assert level(evidence) in CONFIRMED
    told = observe(evidence, 2, lookup(1.5, blocked=False, status="CACHE"))
    assert level(evidence) is Proof.ANSWERED
    assert [(o.host, o.status, o.address) for o in told] == [
        ("avs-alexa-eu.amazon.com", "CACHE", IPV4)
    ]


def test_lookups_from_before_the_rules_took_effect_do_not_count() -> None:
    evidence = Evidence()
    observe(evidence, 10)
    assert observe(evidence, 11, lookup(9, blocked=False), lookup(9.5, blocked=True)) == []
    assert level(evidence) is Proof.IN_FORCE
    assert evidence.answered is None
    assert evidence.blocked is None


def test_a_disproof_ends_only_when_that_host_is_blocked_from_that_address() -> None:
    """Class 1: another host's block, another address's block or a rule write end nothing."""
    evidence = Evidence()
    observe(evidence, 0)
    observe(evidence, 2, lookup(1, blocked=False, client=IPV6))
    observe(evidence, 3, lookup(2.5, blocked=True, client=IPV4))  # IPv4 blocked, IPv6 not
    assert level(evidence) is Proof.ANSWERED
    observe(evidence, 4, lookup(3.5, blocked=True, client=IPV6, host="avs-alexa-na.amazon.com"))
    assert level(evidence) is Proof.ANSWERED  # another host of the same pattern
    observe(evidence, 5, rewritten=True)  # the switch written again
    assert level(evidence) is Proof.ANSWERED
    observe(evidence, 6, in_force=False)
    observe(evidence, 7)
    assert level(evidence) is Proof.ANSWERED
    observe(evidence, 8, lookup(7.5, blocked=True, client=IPV6))
    assert level(evidence) is Proof.BLOCKED_SEEN


def test_an_answered_and_a_blocked_lookup_in_one_poll_are_both_told() -> None:
    """Class 1: the answered lookup is not hidden by a blocked one read with it."""
    evidence = Evidence()
    observe(evidence, 0)
    told = observe(
        evidence,
        2,
        lookup(1, blocked=False, host="avs-alexa-na.amazon.com"),
        lookup(1.5, blocked=True),
    )
    assert [o.host for o in told] == ["avs-alexa-na.amazon.com"]
    assert level(evidence) is Proof.ANSWERED
    assert observe(evidence, 3) == []  # told once


def test_a_moved_address_is_checked_until_the_new_one_shows_a_block() -> None:
    """Class 3: the old address's lookups prove nothing; the new one's must."""
    evidence = Evidence()
    observe(evidence, 0, addresses=(IPV4,))
    observe(evidence, 2, lookup(1, blocked=True), addresses=(IPV4,))
    assert level(evidence) is Proof.BLOCKED_SEEN
    moved = "192.168.1.77"
    observe(evidence, 3, addresses=(moved,))
    assert level(evidence) is Proof.ADDRESS_CHANGED
    observe(evidence, 5, lookup(4, blocked=True, client=moved), addresses=(moved,))
    assert level(evidence) is Proof.BLOCKED_SEEN


def test_a_disproof_from_an_address_the_device_left_ends_with_a_block_from_its_new_one() -> None:
    evidence = Evidence()
    observe(evidence, 0, addresses=(IPV4,))
    observe(evidence, 2, lookup(1, blocked=False), addresses=(IPV4,))
    moved = "192.168.1.77"
    observe(evidence, 3, addresses=(moved,))
    assert level(evidence) is Proof.ANSWERED  # it was answered: that stays known
    observe(evidence, 5, lookup(4, blocked=True, client=moved), addresses=(moved,))
    assert level(evidence) is Proof.BLOCKED_SEEN


def test_a_catch_up_keeps_what_it_read_and_counts_from_where_it_was_whole() -> None:
    """Class 5: answered lookups read after a gap are kept and told, not dropped."""
    evidence = Evidence()
    observe(evidence, 0)
    observe(evidence, 2, lookup(1, blocked=True))
    told = observe(evidence, 600, lookup(300, blocked=False))  # a whole catch-up read
    assert [o.time for o in told] == [T0 + timedelta(minutes=300)]
    assert level(evidence) is Proof.ANSWERED

    bounded = Evidence()
    observe(bounded, 0)
    observe(bounded, 2, lookup(1, blocked=True))
    # A read that stopped at its bound: whole from minute 500 on only.
    told = observe(bounded, 600, lookup(550, blocked=False), complete_since=500)
    assert len(told) == 1
    assert level(bounded) is Proof.ANSWERED
    cleared = Evidence()
    observe(cleared, 0)
    observe(cleared, 2, lookup(1, blocked=True))
    observe(cleared, 600, complete_since=500)
    assert level(cleared) is Proof.IN_FORCE  # the block before the unread span is no proof


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
    # A disproof of a host no longer guarded (its switch off) is not this verdict's.
    other = ("device-metrics-us.amazon.com",)
    assert (
        verdict(
            hosts=other,
            evidence=evidence,
            confirmed=dict.fromkeys(other, True),
            allowed=False,
            **args,
        )
        is not Proof.ANSWERED
    )


def test_evidence_survives_the_store_and_garbage_does_not_break_it() -> None:
    evidence = Evidence()
    observe(evidence, 0)
    observe(evidence, 2, lookup(1, blocked=True), lookup(1.5, blocked=False))
    assert Evidence.load(evidence.stored()) == evidence
    assert Evidence.load(None) == Evidence()
    broken = Evidence.load({"in_force_since": "yesterday", "answered": {"host": "x"}})
    assert (broken.in_force_since, broken.answered) == (None, None)
    assert observe(Evidence.load(evidence.stored()), 3) == []  # nothing new: nothing told
    # Evidence stored by the version before keeps its one disproof.
    old = {
        "fingerprint": "x",
        "in_force_since": None,
        "blocked": None,
        "answered": {
            "host": "avs-alexa-eu.amazon.com",
            "time": T0.isoformat(),
            "address": IPV4,
            "status": "A",
        },
    }
    assert Evidence.load(old).answered is not None


def test_disproofs_are_bounded() -> None:
    evidence = Evidence()
    observe(evidence, 0)
    many = [
        lookup(1 + n / 1000, blocked=False, host=f"avs-alexa-{n}.amazon.com") for n in range(200)
    ]
    observe(evidence, 2, *many)
    assert len(evidence.disproofs) == MAX_DISPROOFS
    assert evidence.answered is not None
    assert evidence.answered.host == "avs-alexa-199.amazon.com"  # the newest kept
