"""AdGuard Home: per-device rules in the user's custom filtering rules.

AdGuard Home replaces the whole rule list on every `set_rules`, so every change is a
read-modify-write that keeps each rule the user wrote: Voice Guard's rules live in one
block between two marker comments, rules are `||pattern^$client=<ip>|<ip>`, and the
list is read again right before writing so a change made meanwhile is not lost.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Collection, Sequence
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
import functools
import hashlib
import ipaddress
import json
import logging
import re
import time
from typing import Any

import aiohttp

from ....text import printable
from ..hosts import matches, normalize_pattern, sample_host
from ..policy import DevicePolicy
from .base import (
    CATCH_UP_LOOKUPS,
    CLIENT_ID,
    HIDDEN_ADDRESSES,
    HIDDEN_CLIENT_IGNORED,
    HIDDEN_DOMAINS,
    HIDDEN_LOG_OFF,
    MARK,
    SETTINGS_TTL,
    DnsFilter,
    FilterAuthError,
    FilterConnectionError,
    FilterInfo,
    FilterLockedOutError,
    FilterResponseError,
    NetworkClient,
    QueryLog,
    ReconcileResult,
    decode_json,
    families,
    http_call,
    is_ip,
    needs_catch_up,
    normalize_ip,
    objects,
    text,
)

_LOGGER = logging.getLogger(__name__)
NOT_IMPLEMENTED = 501  # what AdGuard Home answers for DHCP where it has none

BEGIN = f"! {MARK} begin: rules below are managed by Voice Guard, edit them in Home Assistant"
END = f"! {MARK} end"
DEVICE_PREFIX = f"! {MARK} device "
_RULE_PARTS = re.compile(r"^\|\|([^^$|]+)\^\$client=(.+)$")
_FRACTION = re.compile(r"(\.\d{6})\d+")
QUERYLOG_PAGE = 500
STEADY_PAGE = 50  # the least a steady read asks for
QUERYLOG_MAX_PAGES = 400  # a safety stop: 200,000 entries, more than a day of a busy home
WRITE_ATTEMPTS = 3
CONFIRM_TTL = 300.0  # seconds a check_host "yes" is trusted without asking again
TIMEOUT = 10
# What a blocked lookup's reason is (AdGuard Home's filtering.Reason names).
BLOCKED_REASONS = (
    "FilteredBlackList",
    "FilteredBlockedService",
    "FilteredSafeBrowsing",
    "FilteredParental",
)
# A rewrite answers before every rule; to these it blocks (the user's own way to block).
REWRITE_REASONS = frozenset({"Rewrite", "RewriteEtcHosts", "RewriteRule"})
BLOCKING_RCODES = frozenset({"NXDOMAIN", "REFUSED"})
SINKHOLES = frozenset({"0.0.0.0", "::"})  # noqa: S104 - addresses, not a bind
# Reasons of a lookup AdGuard Home answered with an address: not filtered, allowed by a
# list or an allowlist, or rewritten (a rewrite is checked before every rule).
ANSWERED_REASONS = frozenset(
    {
        "NotFilteredNotFound",
        "NotFilteredWhiteList",
        "NotFilteredAllowList",
        "NotFilteredError",
        "Rewrite",
        "RewriteEtcHosts",
        "RewriteRule",
    }
)
KNOWN_LINES = 20_000  # rule lines Voice Guard remembers having written (newest kept)


# The query log takes reason= (several) since this version; older ones response_status=.
QUERYLOG_REASON_SINCE = (0, 107, 77)
# check_host takes the client to check for since this version; older ones ignore it.
CHECK_HOST_CLIENT_SINCE = "v0.107.58"


def _version(version: str) -> tuple[int, ...] | None:
    numbers = re.findall(r"\d+", version)
    if len(numbers) < 3:  # noqa: PLR2004 - "edge" or unknown builds: assume current
        return None
    return tuple(int(n) for n in numbers[:3])


def checks_clients(version: str) -> bool:
    """Whether an AdGuard Home of this version checks a rule for one client (check_host)."""
    number = _version(version)
    return number is None or number >= (0, 107, 58)


def _quote_name(name: str) -> str | None:
    """Return a persistent client's name as $client takes it, or None if it cannot be.

    Quoted with ', and the characters urlfilter reads as syntax (quote, comma, pipe)
    escaped with a backslash; a name with a backslash, a control character or a `$` is
    left out rather than risk a rule that means something else (urlfilter splits a rule's
    options at its last `$`, so such a name drops the whole rule).
    """
    if not name or "\\" in name or "$" in name or not printable(name):
        return None
    escaped = "".join(f"\\{c}" if c in "',|" else c for c in name)
    return f"'{escaped}'"


def rule_for(pattern: str, ips: Sequence[str], names: Sequence[str] = ()) -> str:
    """Return the AdGuard rule that blocks pattern for the given clients only.

    Clients are IP addresses and the names of persistent clients (a name covers all of
    that client's addresses).
    """
    quoted = [q for q in map(_quote_name, names) if q is not None]
    return f"||{pattern}^$client={'|'.join([*ips, *quoted])}"


def _split_clients(text: str) -> list[str] | None:
    """Split a $client value into its items (IPs and quoted names), or None if malformed."""
    items: list[str] = []
    current = ""
    quote: str | None = None
    escaped = False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            current += char
            escaped = True
        elif quote is not None:
            current += char
            quote = None if char == quote else quote
        elif char in "'\"" and not current:
            current += char
            quote = char
        elif char == "|":
            items.append(current)
            current = ""
        else:
            current += char
    if quote is not None or escaped:
        return None
    return [*items, current]


def _unquote(item: str) -> str:
    body = item[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


@functools.lru_cache(maxsize=8192)  # the same lines come back on every poll
def is_our_rule(line: str) -> bool:
    """Whether a line has exactly the shape rule_for writes (the same code decides both)."""
    found = _RULE_PARTS.match(line)
    if found is None:
        return False
    pattern, clients = found.groups()
    items = _split_clients(clients)
    if not items:
        return False
    ips = [i for i in items if not i.startswith("'")]
    names = [_unquote(i) for i in items if i.startswith("'") and len(i) > 1 and i.endswith("'")]
    try:
        canonical = normalize_pattern(pattern, vendor=True) == pattern
    except ValueError:
        return False
    return canonical and all(is_ip(ip) for ip in ips) and rule_for(pattern, ips, names) == line


def device_comment(policy: DevicePolicy) -> str:
    """Return the comment line above a device's rules: its id and name, on one line."""
    name = "".join(c if printable(c) else " " for c in policy.device.name)
    return f"{DEVICE_PREFIX}{policy.device.device_id} {name}"


@dataclass(frozen=True, slots=True)
class _Context:
    """What AdGuard Home's settings say about the guarded devices, read once in a while."""

    names: dict[str, tuple[str, ...]]  # device id -> persistent clients that are it alone
    client_ips: dict[str, tuple[str, ...]]  # device id -> those clients' addresses
    hidden: dict[str, tuple[str, ...]]  # device id -> why its lookups are not logged
    log_enabled: bool
    # device id -> persistent clients that hold it and more (a subnet, other devices):
    # never named in its rules, their lookups never counted as its.
    shared: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # A fingerprint of the clients' settings that can cancel a rule (for check_host).
    clients_generation: str = ""
    # device id -> the ClientIDs of its persistent clients (DNS-over-HTTPS/TLS lookups).
    client_ids: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # device id -> addresses AdGuard Home's DHCP server leased to its MAC (IPv4 and IPv6),
    # besides those typed; only addresses that are this device's alone.
    learned: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # device id -> typed addresses the DHCP server now leases to another MAC (moved).
    moved: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def addresses(self, policy: DevicePolicy) -> list[str]:
        """Return the device's own addresses now: typed (not moved), its clients', leased."""
        device_id = policy.device.device_id
        moved = self.moved.get(device_id, ())
        return list(
            dict.fromkeys(
                [
                    *(ip for ip in policy.device.ips if is_ip(ip) and ip not in moved),
                    *self.client_ips.get(device_id, ()),
                    *self.learned.get(device_id, ()),
                ]
            )
        )


def _clients_of(policy: DevicePolicy, persistent: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the persistent clients whose ids hold one of the device's addresses or MACs."""
    ips = {ip for ip in policy.device.ips if is_ip(ip)}
    macs = {mac.lower() for mac in policy.device.macs}
    found = []
    for client in persistent:
        ids = [str(i) for i in client.get("ids") or []]
        if any(i in ips or i.lower() in macs or _in_network(ips, i) for i in ids):
            found.append(client)
    return found


def _exclusive(
    client: dict[str, Any],
    policy: DevicePolicy,
    others: set[str],
    *,
    with_client_ids: bool = False,
) -> bool:
    """Whether a persistent client is this device alone (so its name may stand for it).

    Not when an id is a subnet or a ClientID, names two MACs or two IPv4 addresses, or is
    another guarded device's address or MAC: its name in $client would block (and its
    lookups would "prove") more than this device. With with_client_ids, ClientIDs are
    allowed beside the device's own ids (for disproofs only, see _take).
    """
    ids = [str(i) for i in client.get("ids") or []]
    macs = [i.lower() for i in ids if _is_mac(i)]
    ips = [i for i in ids if is_ip(i)]
    client_ids = [i for i in ids if with_client_ids and _is_client_id(i)]
    if len(macs) + len(ips) + len(client_ids) != len(ids):
        return False  # a CIDR, a ClientID or anything else
    if len(macs) > 1 or sum(1 for i in ips if ipaddress.ip_address(i).version == 4) > 1:  # noqa: PLR2004
        return False
    if macs and policy.device.macs and macs[0] not in {m.lower() for m in policy.device.macs}:
        return False
    return not others.intersection([*ips, *macs])


def _in_network(ips: set[str], cidr: str) -> bool:
    if "/" not in cidr:
        return False
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return any(ipaddress.ip_address(ip) in network for ip in ips)


def device_clients(policy: DevicePolicy, context: _Context | None) -> tuple[list[str], list[str]]:
    """Return the $client items of a device's rules: addresses, persistent clients' names.

    The addresses are those typed and those AdGuard Home's DHCP server leased to the
    device's MAC (its IPv6 too).
    """
    learned = context.learned.get(policy.device.device_id, ()) if context else ()
    ips = list(dict.fromkeys([*(ip for ip in policy.device.ips if is_ip(ip)), *learned]))
    names = list(context.names.get(policy.device.device_id, ())) if context else []
    return ips, [n for n in names if _quote_name(n) is not None]


def _lease_owners(leases: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Address -> the MAC it is leased to now: a static lease first, else the latest."""
    owners: dict[str, tuple[tuple[bool, str], str]] = {}
    for lease in leases:
        rank = (bool(lease["static"]), str(lease["expires"]))
        if lease["ip"] not in owners or rank > owners[lease["ip"]][0]:
            owners[lease["ip"]] = (rank, lease["mac"])
    return {ip: mac for ip, (_, mac) in owners.items()}


def _learned(
    policies: Sequence[DevicePolicy], leases: Sequence[dict[str, Any]]
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Each device's leased addresses (its alone), and its typed ones leased to another MAC.

    A device's MACs are those typed (or linked in Home Assistant); a device known by an
    address alone gets the MAC the DHCP server leased that address to, and so its other
    leases (DHCPv6). An address two guarded devices claim, or another's typed one, is
    neither's.
    """
    owners = _lease_owners(leases)
    claims: dict[str, set[str]] = {}
    typed = {ip for p in policies for ip in p.device.ips}
    moved: dict[str, tuple[str, ...]] = {}
    for policy in policies:
        device = policy.device
        own_macs = {mac.lower() for mac in device.macs}
        macs = own_macs or {owners[ip] for ip in device.ips if ip in owners}
        if gone := tuple(
            ip for ip in device.ips if own_macs and owners.get(ip) not in (None, *own_macs)
        ):
            moved[device.device_id] = gone
        for ip, mac in owners.items():
            if mac in macs and ip not in device.ips:
                claims.setdefault(ip, set()).add(device.device_id)
    learned: dict[str, tuple[str, ...]] = {}
    for ip, devices in claims.items():
        if len(devices) == 1 and ip not in typed:
            (device_id,) = devices
            learned[device_id] = (*learned.get(device_id, ()), ip)
    return learned, moved


def render_block(policies: Sequence[DevicePolicy], context: _Context | None = None) -> list[str]:
    """Voice Guard's whole block of rules for the given policies."""
    lines: list[str] = []
    for policy in sorted(policies, key=lambda p: p.device.device_id):
        ips, names = device_clients(policy, context)
        if not (ips or names) or not policy.hosts:
            continue
        lines.append(device_comment(policy))
        lines += [rule_for(pattern, ips, names) for pattern in policy.hosts]
    return [BEGIN, *lines, END] if lines else []


def split_rules(
    rules: list[str], known: Collection[str] | None = None
) -> tuple[list[str], list[str]]:
    """Split a rule list into (the user's rules, Voice Guard's rules).

    known is every rule line Voice Guard has written (or tried to write): such a line is
    Voice Guard's wherever it stands, so a stale save from AdGuard Home's own page that
    brings back removed rules, a write whose answer was lost, or a deleted marker never
    make them the user's or duplicate them. Inside the block a line of Voice Guard's
    shape that it never wrote is the user's (kept, after it); with nothing known (no
    memory yet), every line of its shape inside the block is Voice Guard's.
    """
    theirs: list[str] = []
    ours: list[str] = []
    moved: list[str] = []
    mine = None if known is None else set(known)
    inside = False
    for line in rules:
        if line == BEGIN:
            inside = True
        elif line == END:
            inside = False
        elif _ours(line, mine, inside=inside):
            ours.append(line)
        elif inside:
            moved.append(line)
        else:
            theirs.append(line)
    return theirs + moved, ours


def _ours(line: str, mine: set[str] | None, *, inside: bool) -> bool:
    """Whether a line is Voice Guard's (see split_rules)."""
    if line.startswith(DEVICE_PREFIX):
        return inside or mine is not None
    return is_our_rule(line) and (line in mine if mine is not None else inside)


class AdGuardHome(DnsFilter):
    """AdGuard Home's REST API (/control), HTTP Basic authentication."""

    kind = "adguard_home"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        username: str,
        password: str,
        *,
        verify_ssl: bool = True,
    ) -> None:
        """Talk to the AdGuard Home at url."""
        super().__init__()
        self._session = session
        self._base = url.rstrip("/")
        self._login = {"name": username, "password": password}
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        # An AdGuard Home without users takes no credentials: send none then.
        self._headers = {"Authorization": f"Basic {token}"} if username or password else {}
        self._ssl = verify_ssl
        # Confirmations by (generation of what can cancel a rule, rule, pattern): when each
        # was given. Dropped whenever Voice Guard writes (AdGuard Home rebuilds its engine
        # later, and until then answers for the rules before).
        self._confirmed: dict[tuple[str, str, str], float] = {}
        # Every rule line Voice Guard wrote or tried to write, oldest first (None: nothing
        # known yet, e.g. before the first write after an update of Voice Guard).
        self._known: dict[str, None] | None = None
        # Lines sent but not yet seen stored: Voice Guard's while they may be in the filter
        # (an answer lost after the rules were stored), known once a read shows them,
        # forgotten once a read shows they were not stored (a 200 that stored nothing).
        self._pending: set[str] = set()
        self._log_cache: tuple[float, dict[str, Any]] | None = None
        self._clients_cache: list[dict[str, Any]] | None = None
        self._leases_cache: list[dict[str, Any]] | None = None
        self._derived: (
            tuple[list[dict[str, Any]], list[dict[str, Any]], list[DevicePolicy], _Context] | None
        ) = None
        self._version: str | None = None
        self._lists: list[list[Any]] = []
        # Rules this update added or removed: until AdGuard Home has rebuilt its engine
        # check_host may still answer for the rules before, so no "yes" for them is kept.
        self._unsettled: set[str] = set()
        self._page_hint = STEADY_PAGE
        # What this update read already (begin_update forgets it): status, rules, clients.
        self._status: bool | None = None
        self._read: tuple[list[str], bool] | None = None
        self.requests = 0

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | list[tuple[str, str]] | None = None,
        payload: Any = None,
    ) -> Any:
        self.requests += 1
        where = f"AdGuard Home at {self._base}"
        status, body = await http_call(
            self._session,
            method,
            f"{self._base}/control/{path}",
            where=where,
            path=path,
            timeout=TIMEOUT,
            params=params,
            payload=payload,
            headers=self._headers,
            ssl=self._ssl,
        )
        if status in (401, 403):
            # Also what a locked-out address gets: check_login() tells the two apart.
            raise FilterAuthError(f"AdGuard Home refused the credentials ({status})")
        if status != 200:  # noqa: PLR2004
            raise FilterResponseError(f"AdGuard Home answered {status} to {path}: {body[:200]!r}")
        if not body or method != "GET":
            return None
        return decode_json(body, where, path)

    async def check_login(self) -> None:
        """Test the credentials the way that tells a wrong password from a lockout.

        Basic auth answers a plain 401 to both: after five failures from one address that
        address is locked out for 15 minutes, even with the right password. The login
        endpoint says which (429 while locked out, 403 for wrong credentials) and counts as
        one attempt, like a Basic auth request would.
        """
        if not self._headers:
            return  # no credentials to test: info() says whether none are needed
        # AdGuard Home answers a login with a session cookie, and checks only that cookie
        # when one is sent (no fallback to Basic auth) until it ends 30 days later: so the
        # login goes through a session that keeps no cookie, on the injected connections.
        async with aiohttp.ClientSession(
            connector=self._session.connector,
            connector_owner=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        ) as cookieless:
            status, _ = await http_call(
                cookieless,
                "POST",
                f"{self._base}/control/login",
                where=f"AdGuard Home at {self._base}",
                path="login",
                timeout=TIMEOUT,
                params=None,
                payload=self._login,
                headers={},
                ssl=self._ssl,
            )
        if status == 429:  # noqa: PLR2004
            raise FilterLockedOutError(
                "AdGuard Home locked this address out after failed logins (15 minutes)"
            )
        if status in (401, 403):
            raise FilterAuthError("AdGuard Home refused the credentials")

    async def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        data = await self._request("GET", path, params=params)
        if not isinstance(data, dict):
            raise FilterResponseError(f"AdGuard Home sent {type(data).__name__} for {path}")
        return data

    async def info(self) -> FilterInfo:
        """Read /control/status."""
        status = await self._get("status")
        version, enabled = status.get("version"), status.get("protection_enabled")
        # Typed as AdGuard Home's source types them: an answer of another shape is refused
        # when the filter is added, not accepted and failing every update afterwards.
        if not isinstance(version, str) or not isinstance(enabled, bool):
            raise FilterResponseError(
                "AdGuard Home's status has no version text and protection switch"
            )
        info = FilterInfo(kind=self.kind, version=version, protection_enabled=enabled)
        self._version = info.version
        self._status = info.protection_enabled
        return info

    async def _rules(self) -> tuple[list[str], bool]:
        """Return the user rules and whether filtering is enabled."""
        data = await self._get("filtering/status")
        rules = data.get("user_rules") or []  # null when there are none
        if not isinstance(rules, list):
            raise FilterResponseError("AdGuard Home user_rules is not a list")
        # Lists change what is blocked without a change of the rules: their update times
        # and switches are part of what a confirmation depends on.
        self._lists = [
            [f.get("url"), f.get("enabled"), f.get("last_updated"), f.get("rules_count")]
            for key in ("filters", "whitelist_filters")
            for f in data.get(key) or []
            if isinstance(f, dict)
        ]
        read = [str(rule) for rule in rules], bool(data.get("enabled", True))
        self._read = read
        return read

    async def _recent_rules(self) -> tuple[list[str], bool]:
        """Return the rules read a moment ago (by this update's reconcile), or read them now."""
        if self._read is not None:
            return self._read
        return await self._rules()

    async def _protection(self) -> bool:
        if self._status is not None:
            return self._status
        return (await self.info()).protection_enabled

    def begin_update(self) -> None:
        """Start a new update: read status, rules and clients anew."""
        self._status = self._read = self._clients_cache = self._leases_cache = None
        self._unsettled = set()

    @property
    def memory(self) -> dict[str, Any]:
        """Every rule line Voice Guard wrote, to tell the user's rules from its own."""
        memory: dict[str, Any] = {}
        if self._known is not None:
            memory["known"] = list(self._known)
        if self._pending:
            memory["pending"] = sorted(self._pending)
        return memory

    def remember(self, memory: dict[str, Any]) -> None:
        """Take back what memory said after a restart (also the older "written" form)."""
        lines = memory.get("known", memory.get("written"))
        if isinstance(lines, list):
            self._known = dict.fromkeys(str(line) for line in lines)
        pending = memory.get("pending")
        if isinstance(pending, list):
            self._pending = {str(line) for line in pending}

    def _mine(self) -> set[str] | None:
        """Lines that are Voice Guard's wherever they stand (None: nothing known yet)."""
        return None if self._known is None else set(self._known) | self._pending

    def _settle(self, rules: Sequence[str], *, answered: bool) -> None:
        """Turn the pending lines a read shows stored into known ones.

        The others are forgotten only after a write of ours was answered: until then a
        write whose answer was lost may still be stored.
        """
        if self._pending:
            self._note_written([line for line in rules if line in self._pending])
            self._pending = set() if answered else self._pending - set(rules)

    def _note_written(self, lines: Sequence[str]) -> None:
        """Remember lines as Voice Guard's: a read showed them stored."""
        known = self._known if self._known is not None else {}
        for line in lines:
            known.pop(line, None)
            known[line] = None
        while len(known) > KNOWN_LINES:
            del known[next(iter(known))]
        self._known = known

    async def _persistent_clients(self) -> list[dict[str, Any]]:
        """Return the persistent clients, read once per update (settings can cancel a rule)."""
        if self._clients_cache is not None:
            return self._clients_cache
        listed = (await self._get("clients")).get("clients")
        persistent = [c for c in listed if isinstance(c, dict)] if isinstance(listed, list) else []
        self._clients_cache = persistent
        return persistent

    async def _leases(self) -> list[dict[str, Any]]:
        """Return the DHCP server's current leases (IPv4 and IPv6), read once per update.

        Nothing where AdGuard Home serves no DHCP (switched off, or on Windows, which answers
        501): a device's addresses are then only those typed and its clients'.
        """
        if self._leases_cache is not None:
            return self._leases_cache
        try:
            status = await self._get("dhcp/status")
        except FilterConnectionError as err:
            if err.status != NOT_IMPLEMENTED:
                raise
            status = {}  # AdGuard Home on Windows: "dhcp is unsupported" (501)
        leases: list[dict[str, Any]] = []
        if status.get("enabled") is True:
            now = datetime.now(UTC)
            for item, static in [
                *((i, True) for i in objects(status.get("static_leases"))),
                *((i, False) for i in objects(status.get("leases"))),
            ]:
                mac, ip = str(item.get("mac") or "").lower(), str(item.get("ip") or "")
                expires = None if static else _parse_time(item.get("expires"))
                if not _is_mac(mac) or not is_ip(ip) or (not static and expires is None):
                    continue
                if expires is not None and expires <= now:
                    continue  # an expired lease: the address may be anyone's now
                leases.append(
                    {
                        "mac": mac,
                        "ip": normalize_ip(ip),
                        "static": static,
                        # In UTC, so that the latest of two leases compares as text.
                        "expires": expires.astimezone(UTC).isoformat() if expires else "",
                    }
                )
        self._leases_cache = leases
        return leases

    async def _context(self, policies: Sequence[DevicePolicy]) -> _Context:
        """Derive the context from the persistent clients, the leases and the log settings."""
        persistent = await self._persistent_clients()
        leases = await self._leases() if policies else []
        now = time.monotonic()
        if self._log_cache is not None and now - self._log_cache[0] < SETTINGS_TTL:
            log = self._log_cache[1]
        else:
            log = await self._log_config()
            self._log_cache = (now, log)
        # reconcile, verify and query_log of one update ask with the same policies.
        derived = self._derived
        if (
            derived is not None
            and derived[0] is persistent
            and derived[1] is leases
            and derived[2] == list(policies)
            and derived[3].log_enabled == bool(log.get("enabled", True))
        ):
            return derived[3]
        context = self._derive_context(policies, persistent, log, leases)
        self._derived = (persistent, leases, list(policies), context)
        return context

    @staticmethod
    def _derive_context(
        policies: Sequence[DevicePolicy],
        persistent: list[dict[str, Any]],
        log: dict[str, Any],
        leases: Sequence[dict[str, Any]] = (),
    ) -> _Context:
        names: dict[str, tuple[str, ...]] = {}
        client_ips: dict[str, tuple[str, ...]] = {}
        client_ids: dict[str, tuple[str, ...]] = {}
        hidden: dict[str, tuple[str, ...]] = {}
        shared: dict[str, tuple[str, ...]] = {}
        # The ignore list applies only while it is switched on (ignored_enabled).
        ignored = (
            [str(d) for d in log.get("ignored") or []] if log.get("ignored_enabled", True) else []
        )
        everyone = {
            p.device.device_id: {*p.device.ips, *(m.lower() for m in p.device.macs)}
            for p in policies
        }
        for policy in policies:
            device_id = policy.device.device_id
            others = set().union(*(a for d, a in everyone.items() if d != device_id))
            holders = _clients_of(policy, persistent)
            alone = [c for c in holders if _exclusive(c, policy, others)]
            if common := [str(c.get("name") or "") for c in holders if c not in alone]:
                shared[device_id] = tuple(common)
            names[device_id] = tuple(str(c.get("name") or "") for c in alone if c.get("name"))
            client_ips[device_id] = tuple(
                str(i) for c in alone for i in c.get("ids") or [] if is_ip(str(i))
            )
            # A ClientID may be another device's (a phone's DNS over TLS) even in a client
            # that is otherwise the device's: its lookups can disprove, never prove.
            client_ids[device_id] = tuple(
                str(i)
                for c in holders
                if _exclusive(c, policy, others, with_client_ids=True)
                for i in c.get("ids") or []
                if _is_client_id(str(i))
            )
            reasons: list[str] = []
            if not log.get("enabled", True):
                reasons.append(HIDDEN_LOG_OFF)
            if log.get("anonymize_client_ip"):
                reasons.append(HIDDEN_ADDRESSES)
            if any(c.get("ignore_querylog") for c in holders):
                reasons.append(HIDDEN_CLIENT_IGNORED)
            if any(_ignored(sample_host(p), ignored) for p in policy.hosts):
                reasons.append(HIDDEN_DOMAINS)
            if reasons:
                hidden[device_id] = tuple(reasons)
        settings = json.dumps(
            [
                [
                    c.get("name"),
                    c.get("ids"),
                    c.get("use_global_settings"),
                    c.get("filtering_enabled"),
                ]
                for c in persistent
            ],
            sort_keys=True,
            default=str,
        )
        learned, moved = _learned(policies, leases)
        return _Context(
            names,
            client_ips,
            hidden,
            bool(log.get("enabled", True)),
            shared,
            hashlib.sha256(settings.encode()).hexdigest(),
            client_ids,
            learned,
            moved,
        )

    async def _log_config(self) -> dict[str, Any]:
        """Read the query log's settings (querylog/config; querylog_info before v0.107.30)."""
        for path in ("querylog/config", "querylog_info"):
            try:
                return await self._get(path)
            except FilterResponseError:
                continue
        return {}

    async def reconcile(self, policies: Sequence[DevicePolicy]) -> ReconcileResult:
        """Read-modify-write the rule list; the user's rules always survive.

        AdGuard Home has no compare-and-set: the list is written right after it is read
        (nothing else happens in between), and read back to see that it took.
        """
        result = ReconcileResult()
        context = await self._context(policies)
        desired = render_block(policies, context)
        for _ in range(WRITE_ATTEMPTS):
            current, _enabled = await self._rules()
            self._settle(current, answered=False)
            theirs, ours = split_rules(current, self._mine())
            present = set(ours)
            for policy in policies:
                ips, names = device_clients(policy, context)
                result.clients[policy.device.device_id] = tuple(sorted({*ips, *names}))
                missing = {p for p in policy.hosts if rule_for(p, ips, names) not in present}
                if missing:
                    result.missing[policy.device.device_id] = missing
                if policy.hosts and not (ips or names):
                    result.conflicts[policy.device.device_id] = set(policy.hosts)
            wanted = theirs + desired
            if current == wanted:
                if self._known is None:
                    self._note_written(desired)
                return result
            # Pending until a read shows them stored: an answer that is lost (the rules
            # stored all the same) must not turn them into the user's, and a write that
            # stored nothing must not make a rule the user types later Voice Guard's.
            self._pending |= set(desired) - set(self._known or ())
            # A rule added or removed loses its confirmation (also when removed and added
            # again later); the rules that stayed are the same rules after the rebuild.
            changed = set(ours).symmetric_difference(desired)
            self._confirmed = {k: t for k, t in self._confirmed.items() if k[1] not in changed}
            self._unsettled |= changed
            await self._request("POST", "filtering/set_rules", payload={"rules": wanted})
            result.writes += 1
            written, _ = await self._rules()
            self._settle(written, answered=True)
            if written == wanted:
                return result
            _LOGGER.debug("AdGuard Home rules changed while writing; merging again")
        raise FilterResponseError("AdGuard Home's rules kept changing while Voice Guard wrote")

    async def verify(self, policies: Sequence[DevicePolicy]) -> dict[str, dict[str, bool]]:
        """Read the rules back and ask AdGuard Home whether each pattern is blocked."""
        # The update read the status and the rules a moment ago: no need to ask again.
        rules, enabled = await self._recent_rules()
        protection = await self._protection()
        context = await self._context(policies)
        theirs, ours = split_rules(rules, self._mine())
        present = set(ours)
        # What can cancel a rule without touching our block: the user's rules, filter and
        # allow lists (their contents change with their update time), DNS rewrites and
        # the persistent clients' settings. A check stays valid while none changes.
        rewrites = await self._rewrites() if policies else []
        generation = hashlib.sha256(
            json.dumps(
                [theirs, self._lists, rewrites, context.clients_generation],
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()
        now = time.monotonic()  # confirmations of older rules or past their time go, once
        self._confirmed = {
            k: t for k, t in self._confirmed.items() if k[0] == generation and now - t < CONFIRM_TTL
        }
        result: dict[str, dict[str, bool]] = {}
        self.user_allows = {}
        for policy in policies:
            ips, names = device_clients(policy, context)
            clients = {*ips, *names, *context.client_ips.get(policy.device.device_id, ())}
            if allows := _user_allows(theirs, policy.hosts, clients):
                self.user_allows[policy.device.device_id] = allows
            # check_host takes an address: the device's, else one of its persistent client's.
            probe = next(iter([*ips, *context.client_ips.get(policy.device.device_id, ())]), None)
            states: dict[str, bool] = {}
            for pattern in policy.hosts:
                rule = rule_for(pattern, ips, names)
                ok = protection and enabled and probe is not None and rule in present
                if ok and probe is not None:
                    ok = await self._blocked(pattern, probe, rule, generation)
                states[pattern] = ok
            result[policy.device.device_id] = states
        return result

    async def _rewrites(self) -> list[Any]:
        """DNS rewrites (checked before every rule); [] where AdGuard Home has no such list."""
        try:
            data = await self._request("GET", "rewrite/list")
        except FilterResponseError:
            return []
        return data if isinstance(data, list) else []

    async def _blocked(self, pattern: str, ip: str, rule: str, generation: str) -> bool:
        """Ask check_host whether our rule blocks the host for the device.

        A "yes" is kept for CONFIRM_TTL within one generation of the user's rules: filter
        lists, DNS allowlists, rewrites and the client's own filtering switch can cancel a
        rule without changing the custom rules. A "no" is never kept: right after a write
        AdGuard Home may still answer for the old rules (its engine is rebuilt
        asynchronously), and the next poll asks again.
        """
        key = (generation, rule, pattern)
        if key in self._confirmed:  # verify dropped the stale ones before asking
            return True
        answer = await self._get(
            "filtering/check_host", {"name": sample_host(pattern), "client": ip}
        )
        listed = answer.get("rules")
        texts = (
            {str(r.get("text")) for r in listed or [] if isinstance(r, dict)}
            if isinstance(listed, list)
            else set()
        )
        blocked = (answer.get("reason") == "FilteredBlackList" and rule in texts) or (
            _rewritten_away(answer, texts)
        )
        # Right after a write the engine may still be the old one: ask again next time.
        if blocked and rule not in self._unsettled:
            self._confirmed[key] = time.monotonic()
        return blocked

    async def query_log(
        self,
        policies: Sequence[DevicePolicy],
        since: datetime,
        *,
        find_last: Collection[str] = (),
        window_start: datetime | None = None,
        keep_answered: Collection[str] | None = None,
    ) -> QueryLog:
        """Page back through the query log to since, the way AdGuard Home's source says.

        Each call scans at most 50,000 log lines and may answer no entries but an `oldest`
        to go on from: paging goes on while `oldest` is set and newer than since. A
        blocked lookup counts for a device when it comes from one of the device's
        addresses (or its persistent client) and its host is one of the device's blocked
        patterns, whatever rule blocked it.
        """
        context = await self._context(policies)
        report = QueryLog(hidden=dict(context.hidden), shared=dict(context.shared))
        owners = self._owners(policies, context)
        for address, device_id in owners.items():
            if not address.startswith(CLIENT_ID):
                report.addresses[device_id] = (*report.addresses.get(device_id, ()), address)
        for device_id, addresses in report.addresses.items():
            # AdGuard Home's API gives no address a device used besides those it was
            # given: a family none of them is of is not covered (its IPv6, mostly).
            if missing := {"IPv4", "IPv6"} - families(addresses):
                report.uncovered[device_id] = tuple(sorted(missing))
        if not owners or not context.log_enabled:
            return report
        by_id = {p.device.device_id: p for p in policies}
        whole = set(by_id)
        if needs_catch_up(since):
            whole = set(by_id) if keep_answered is None else set(by_id) & set(keep_answered)
            await self._catch_up(report, owners, by_id, since, whole)
        else:
            # AdGuard Home has no "newer than": a steady read asks for about as many
            # entries as the last poll brought (twice that, at least STEADY_PAGE), and
            # pages on if more came, so it reads little more than what is new.
            params = [("limit", str(QUERYLOG_PAGE))]
            read = 0
            async for entry, when in self._entries(params, since, first_page=self._page_hint):
                read += 1
                _take(report, owners, by_id, entry, when)
            self._page_hint = min(QUERYLOG_PAGE, max(STEADY_PAGE, 2 * read))
        # Where only blocked lookups were read, they do not show a device's newest one.
        wanted = (set(by_id) - whole) | ((set(find_last) & set(by_id)) - set(report.last_lookup))
        for device_id in sorted(wanted):
            last = await self._latest_lookup(by_id[device_id], context, window_start or since)
            if last is not None:
                report.saw(device_id, last)
        report.sort()
        return report

    async def _catch_up(
        self,
        report: QueryLog,
        owners: dict[str, str],
        by_id: dict[str, DevicePolicy],
        since: datetime,
        keep: set[str],
    ) -> None:
        """After a gap: each kept device's lookups by its addresses and ClientIDs.

        Answered ones too (a disproof while Home Assistant was stopped is still one); at
        most CATCH_UP_LOOKUPS per address, after which complete_since says from when on
        everything was read. The other devices' blocked lookups are read for all at once
        (reason= since v0.107.77, response_status=blocked before). The newest entry of
        all is where the next read starts.
        """
        async for _, when in self._entries([("limit", "1")], since):
            report.newest = when
            break
        rest = {o: d for o, d in owners.items() if d not in keep}
        if rest:
            params = [("limit", str(QUERYLOG_PAGE)), *self._blocked_filter()]
            async for entry, when in self._entries(params, since):
                _take(report, rest, by_id, entry, when)
        for owner, device_id in owners.items():
            if owner in rest:
                continue
            read = 0
            oldest: datetime | None = None
            # A quoted search is an exact match of the client address, ClientID or a host.
            term = owner.removeprefix(f"{CLIENT_ID} ")
            params = [("limit", str(QUERYLOG_PAGE)), ("search", f'"{term}"')]
            async for entry, when in self._entries(params, since, max_entries=CATCH_UP_LOOKUPS):
                read += 1
                oldest = when
                _take(report, owners, by_id, entry, when)
            if read >= CATCH_UP_LOOKUPS and oldest is not None:
                report.complete_since[device_id] = max(
                    report.complete_since.get(device_id, oldest), oldest
                )

    def _blocked_filter(self) -> list[tuple[str, str]]:
        number = _version(self._version or "")
        if number is None or number >= QUERYLOG_REASON_SINCE:
            return [("reason", reason) for reason in BLOCKED_REASONS]
        return [("response_status", "blocked")]

    @staticmethod
    def _owners(policies: Sequence[DevicePolicy], context: _Context) -> dict[str, str]:
        """Client address -> device id, for addresses that are one device's alone.

        A device's own IPs and those of a persistent client that is the device alone;
        never a client's name (a log line names the client, not the device) nor an
        address two guarded devices claim.
        """
        claims: dict[str, set[str]] = {}
        for policy in policies:
            device_id = policy.device.device_id
            for address in context.addresses(policy):
                claims.setdefault(address, set()).add(device_id)
            # Lookups over DNS-over-HTTPS/TLS name the client by ClientID, whatever the
            # address they come from (AdGuard Home picks the client by it first).
            for client_id in context.client_ids.get(device_id, ()):
                claims.setdefault(_by_client_id(client_id), set()).add(device_id)
        return {a: next(iter(d)) for a, d in claims.items() if len(d) == 1}

    async def _entries(
        self,
        params: list[tuple[str, str]],
        since: datetime,
        *,
        first_page: int | None = None,
        max_entries: int | None = None,
    ) -> AsyncIterator[tuple[dict[str, Any], datetime]]:
        """Entries newer than or as old as since, newest first, page by page."""
        older_than: str | None = None
        left = max_entries
        for number in range(QUERYLOG_MAX_PAGES):
            query = list(params)
            if number == 0 and first_page is not None:
                query = [p for p in query if p[0] != "limit"] + [("limit", str(first_page))]
            if older_than:
                query.append(("older_than", older_than))
            page = await self._get_log(query)
            for entry in objects(page.get("data")):  # null entries are no lookups
                when = _parse_time(entry.get("time"))
                if when is None:
                    continue
                if when < since or left == 0:
                    return
                if left is not None:
                    left -= 1
                yield entry, when
            oldest = page.get("oldest") or ""
            oldest_time = _parse_time(oldest)
            if not oldest or oldest_time is None or oldest_time < since or oldest == older_than:
                return
            older_than = str(oldest)
        _LOGGER.warning("AdGuard Home's query log: stopped after %s pages", QUERYLOG_MAX_PAGES)

    async def _get_log(self, params: list[tuple[str, str]]) -> dict[str, Any]:
        data = await self._request("GET", "querylog", params=params)
        if not isinstance(data, dict):
            raise FilterResponseError("AdGuard Home sent no object for querylog")
        return data

    async def _latest_lookup(
        self, policy: DevicePolicy, context: _Context, since: datetime
    ) -> datetime | None:
        """Search the device's most recent lookup since then, by its exact address."""
        for address in context.addresses(policy):
            # A quoted search is an exact match of the client address (or a host).
            params = [("limit", "1"), ("search", f'"{address}"')]
            async for entry, when in self._entries(params, since):
                if str(entry.get("client", "")) == address:
                    return when
        return None

    async def clients(self) -> list[NetworkClient]:
        """List persistent and automatically found clients (entries of another shape skipped)."""
        data = await self._get("clients")
        found: list[NetworkClient] = []
        for client in objects(data.get("clients")):
            listed = client.get("ids")
            ids = [i for i in listed if isinstance(i, str)] if isinstance(listed, list) else []
            found.append(
                NetworkClient(
                    ip=next((i for i in ids if is_ip(i)), None),
                    mac=next((i.lower() for i in ids if _is_mac(i)), None),
                    name=text(client.get("name")),
                )
            )
        for client in objects(data.get("auto_clients")):
            whois = client.get("whois_info")
            ip = text(client.get("ip"))
            found.append(
                NetworkClient(
                    ip=ip if ip and is_ip(ip) else None,
                    mac=None,
                    name=text(client.get("name")) or None,
                    vendor=text(whois.get("orgname")) if isinstance(whois, dict) else None,
                )
            )
        return [c for c in found if c.ip or c.mac]


_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")
# AdGuard Home's ClientIDs: up to 64 of a-z, 0-9 and "-" (its clientid.go).
_CLIENT_ID = re.compile(r"^[a-z0-9-]{1,64}$")


def _is_mac(value: str) -> bool:
    return bool(_MAC.match(value))


def _is_client_id(value: str) -> bool:
    """Whether a persistent client's id is a ClientID (not an address, a subnet or a MAC)."""
    if is_ip(value) or _is_mac(value):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return bool(_CLIENT_ID.match(value))
    return False


def _blocked_by(entry: dict[str, Any]) -> str | None:
    """Return the rule that blocked a log entry ("" if none is named); None if allowed.

    A rewrite (checked before every rule) to 0.0.0.0 or to NXDOMAIN blocks as well.
    """
    reason = entry.get("reason")
    rules = [r for r in entry.get("rules") or [] if isinstance(r, dict)]
    named = str(rules[0].get("text", "")) if rules else ""
    if reason in REWRITE_REASONS and _sinkholed(entry.get("status"), entry.get("answer")):
        return named or str(reason)
    if reason not in BLOCKED_REASONS:
        return None
    return named


def _sinkholed(status: Any, answers: Any) -> bool:
    """Whether a rewritten answer blocks: NXDOMAIN or REFUSED, or only unspecified addresses."""
    if status in BLOCKING_RCODES:
        return True
    values = (
        [str(a.get("value", "")) for a in answers if isinstance(a, dict)]
        if isinstance(answers, list)
        else []
    )
    return bool(values) and all(v in SINKHOLES for v in values)


def _user_allows(
    theirs: Sequence[str], patterns: Collection[str], clients: Collection[str]
) -> dict[str, str]:
    """Return the guarded patterns the user's @@ rules let through for a device, with each rule.

    An exception rule outranks every block without $important, and one with $important
    outranks ours too: either lets the host through for the clients it names (all when it
    names none).
    """
    found: dict[str, str] = {}
    for line in theirs:
        parsed = _allow_rule(line)
        if parsed is None:
            continue
        host, options = parsed
        if not _names_client(options, clients):
            continue
        for pattern in patterns:
            if matches(sample_host(pattern), host) or matches(sample_host(host), pattern):
                found.setdefault(pattern, line.strip())
    return found


def _allow_rule(line: str) -> tuple[str, str] | None:
    """Return an @@ rule's host pattern and options ("" for none); None for other lines."""
    text = line.strip()
    if not text.startswith("@@"):
        return None
    body, dollar, options = text[2:].rpartition("$")
    if not dollar:
        body, options = text[2:], ""
    host = body.removeprefix("||").removesuffix("^").lower()
    names = {o.partition("=")[0].strip() for o in options.split(",") if o.strip()}
    # urlfilter drops a rule with a modifier it does not know; others change its meaning.
    if not host or "/" in host or not names <= {"client", "important"}:
        return None
    return host, options


def _names_client(options: str, clients: Collection[str]) -> bool:
    """Whether a rule's $client option covers one of the device's clients (no option: all)."""
    for option in options.split(","):
        key, _, value = option.partition("=")
        if key.strip() != "client":
            continue
        named = [v.strip().strip("'\"") for v in value.split("|")]
        if any(v.startswith("~") and _covers(v[1:], clients) for v in named):
            return False
        positive = [v for v in named if not v.startswith("~")]
        return not positive or any(_covers(v, clients) for v in positive)
    return True


def _covers(item: str, clients: Collection[str]) -> bool:
    """Whether a $client value (an address, a subnet or a name) covers one of the clients."""
    if item in clients:
        return True
    try:
        network = ipaddress.ip_network(item, strict=False)
    except ValueError:
        return False
    return any(is_ip(c) and ipaddress.ip_address(c) in network for c in clients)


def _rewritten_away(answer: dict[str, Any], rules: Collection[str]) -> bool:
    """Whether check_host says the user's rewrite blocks the host (0.0.0.0, NXDOMAIN)."""
    if answer.get("reason") not in REWRITE_REASONS:
        return False
    listed = answer.get("ip_addrs")
    addresses = [str(a) for a in listed] if isinstance(listed, list) else []
    if addresses:
        return all(a in SINKHOLES for a in addresses)
    return not answer.get("cname") and any(
        f"dnsrewrite={code}" in rule.upper().replace("DNSREWRITE", "dnsrewrite")
        for rule in rules
        for code in BLOCKING_RCODES
    )


def _by_client_id(client_id: str) -> str:
    """How a lookup known by its ClientID alone is named: as an owner's key and a path."""
    return f"{CLIENT_ID} {client_id}"


def _take(
    report: QueryLog,
    owners: dict[str, str],
    by_id: dict[str, DevicePolicy],
    entry: dict[str, Any],
    when: datetime,
) -> None:
    """Count one log entry for the device it is from: by its address, else its ClientID.

    A lookup known by a ClientID alone (through a proxy, say) may be another device's that
    shares the ClientID: answered, it disproves; blocked, it proves nothing.
    """
    report.newest = max(report.newest or when, when)
    client = str(entry.get("client", ""))
    if client:
        report.families_seen.add("IPv6" if ":" in client else "IPv4")
    client_id = str(entry.get("client_id") or "")
    owner = owners.get(client)
    by_client_id = owner is None and bool(client_id)
    if by_client_id:
        owner = owners.get(_by_client_id(client_id))
    if owner is None:
        return
    blocked_by = _blocked_by(entry)
    reason = entry.get("reason")
    # The ClientID picked the settings: the lookup is that path's (see base.CLIENT_ID).
    path = f"{client} {CLIENT_ID} {client_id}" if client_id else client
    report.count(
        by_id[owner],
        _host(entry),
        when,
        _by_client_id(client_id) if by_client_id else path,
        blocked_by,
        answered_as=str(reason) if blocked_by is None and reason in ANSWERED_REASONS else None,
    )


def _host(entry: dict[str, Any]) -> str:
    question = entry.get("question") or {}
    return str(question.get("name") or "").rstrip(".").lower()


def _ignored(host: str, ignored: Sequence[str]) -> bool:
    """Whether the query log's ignore list covers host (plain domains and ||rules)."""
    for item in ignored:
        domain = item.strip().removeprefix("||").removesuffix("^").lstrip("*.").lower()
        if domain and (host == domain or host.endswith(f".{domain}")):
            return True
    return False


def _parse_time(value: Any) -> datetime | None:
    """AdGuard Home's RFC 3339 times: local time with an offset, up to nine digits.

    Trailing zeros are trimmed, so the number of digits varies; Python keeps six.
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", value).replace("Z", "+00:00"))  # noqa: FURB162
    except ValueError:
        return None
