"""AdGuard Home: per-device rules in the user's custom filtering rules.

AdGuard Home replaces the whole rule list on every `set_rules`, so every change is a
read-modify-write that keeps each rule the user wrote: Voice Guard's rules live in one
block between two marker comments, rules are `||pattern^$client=<ip>|<ip>`, and the
list is read again right before writing so a change made meanwhile is not lost.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
import functools
import hashlib
import ipaddress
import logging
import re
import time
from typing import Any

import aiohttp

from ..hosts import normalize_pattern, sample_host
from ..policy import DevicePolicy
from .base import (
    HIDDEN_ADDRESSES,
    HIDDEN_CLIENT_IGNORED,
    HIDDEN_DOMAINS,
    HIDDEN_LOG_OFF,
    MARK,
    SETTINGS_TTL,
    DnsFilter,
    FilterAuthError,
    FilterInfo,
    FilterRateLimitedError,
    FilterResponseError,
    NetworkClient,
    QueryLog,
    ReconcileResult,
    decode_json,
    http_call,
    is_ip,
    needs_catch_up,
    printable,
)

_LOGGER = logging.getLogger(__name__)

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
FRESH = 5.0  # seconds a status or rule list read in this update is reused by verify
TIMEOUT = 10
# What a blocked lookup's reason is (AdGuard Home's filtering.Reason names).
BLOCKED_REASONS = (
    "FilteredBlackList",
    "FilteredBlockedService",
    "FilteredSafeBrowsing",
    "FilteredParental",
)


# check_host takes the client to check for since this version; older ones ignore it.
CHECK_HOST_CLIENT_SINCE = "v0.107.58"
# The query log takes reason= (several) since this version; older ones response_status=.
QUERYLOG_REASON_SINCE = (0, 107, 77)


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
    escaped with a backslash; a name with a backslash or a control character is left out
    rather than risk a rule that means something else.
    """
    if not name or "\\" in name or not printable(name):
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
        canonical = normalize_pattern(pattern) == pattern
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

    names: dict[str, tuple[str, ...]]  # device id -> persistent clients holding it
    client_ips: dict[str, tuple[str, ...]]  # device id -> those clients' addresses
    hidden: dict[str, tuple[str, ...]]  # device id -> why its lookups are not logged
    log_enabled: bool


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


def _in_network(ips: set[str], cidr: str) -> bool:
    if "/" not in cidr:
        return False
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return any(ipaddress.ip_address(ip) in network for ip in ips)


def device_clients(policy: DevicePolicy, context: _Context | None) -> tuple[list[str], list[str]]:
    """Return the $client items of a device's rules: addresses, persistent clients' names."""
    ips = [ip for ip in policy.device.ips if is_ip(ip)]
    names = list(context.names.get(policy.device.device_id, ())) if context else []
    return ips, [n for n in names if _quote_name(n) is not None]


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
    rules: list[str], written: Collection[str] | None = None
) -> tuple[list[str], list[str]]:
    """Split a rule list into (the user's rules, Voice Guard's rules).

    Only lines of Voice Guard's own format inside its block are Voice Guard's, and, when
    it is known what Voice Guard wrote there (written), only those: a rule of the same
    shape that the user typed into the block is theirs. Everything of theirs found in the
    block is kept, after it.
    """
    theirs: list[str] = []
    ours: list[str] = []
    moved: list[str] = []
    mine = None if written is None else set(written)
    inside = False
    for line in rules:
        if line == BEGIN:
            inside = True
        elif line == END and inside:
            inside = False
        elif inside and (
            line.startswith(DEVICE_PREFIX) or ((mine is None or line in mine) and is_our_rule(line))
        ):
            ours.append(line)
        elif inside:
            moved.append(line)
        else:
            theirs.append(line)
    return theirs + moved, ours


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
        self._session = session
        self._base = url.rstrip("/")
        self._login = {"name": username, "password": password}
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self._ssl = verify_ssl
        # Confirmations by (rule list generation, rule, pattern): when each was given.
        self._confirmed: dict[tuple[str, str, str], float] = {}
        # The block Voice Guard wrote last (None: not known, e.g. before the first write).
        self._written: list[str] | None = None
        self._context_cache: tuple[float, list[dict[str, Any]], dict[str, Any]] | None = None
        self._derived: tuple[list[dict[str, Any]], list[DevicePolicy], _Context] | None = None
        self._version: str | None = None
        self._page_hint = STEADY_PAGE
        # The last status and rule list read, with when: reused within FRESH seconds.
        self._status: tuple[float, bool] | None = None
        self._read: tuple[float, list[str], bool] | None = None
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
        status, _ = await http_call(
            self._session,
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
            raise FilterRateLimitedError(
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
        try:
            info = FilterInfo(
                kind=self.kind,
                version=str(status["version"]),
                protection_enabled=bool(status["protection_enabled"]),
            )
        except KeyError as err:
            raise FilterResponseError(f"AdGuard Home status lacks {err}") from err
        self._version = info.version
        self._status = (time.monotonic(), info.protection_enabled)
        return info

    async def _rules(self) -> tuple[list[str], bool]:
        """Return the user rules and whether filtering is enabled."""
        data = await self._get("filtering/status")
        rules = data.get("user_rules") or []  # null when there are none
        if not isinstance(rules, list):
            raise FilterResponseError("AdGuard Home user_rules is not a list")
        read = [str(rule) for rule in rules], bool(data.get("enabled", True))
        self._read = (time.monotonic(), *read)
        return read

    async def _recent_rules(self) -> tuple[list[str], bool]:
        """Return the rules read a moment ago (by this update's reconcile), or read them now."""
        if self._read is not None and time.monotonic() - self._read[0] < FRESH:
            return self._read[1], self._read[2]
        return await self._rules()

    async def _protection(self) -> bool:
        if self._status is not None and time.monotonic() - self._status[0] < FRESH:
            return self._status[1]
        return (await self.info()).protection_enabled

    @property
    def memory(self) -> dict[str, Any]:
        """What Voice Guard last wrote into its block, to tell the user's rules from its own."""
        return {"written": self._written} if self._written is not None else {}

    def remember(self, memory: dict[str, Any]) -> None:
        """Take back what memory said after a restart."""
        if isinstance(written := memory.get("written"), list):
            self._written = [str(line) for line in written]

    async def _context(self, policies: Sequence[DevicePolicy]) -> _Context:
        """Read persistent clients and query-log settings, again every SETTINGS_TTL seconds."""
        now = time.monotonic()
        if self._context_cache is not None and now - self._context_cache[0] < SETTINGS_TTL:
            persistent, log = self._context_cache[1], self._context_cache[2]
        else:
            persistent = [c for c in (await self._get("clients")).get("clients") or [] if c]
            log = await self._log_config()
            self._context_cache = (now, persistent, log)
        # reconcile, verify and query_log of one update ask with the same policies.
        derived = self._derived
        if derived is not None and derived[0] is persistent and derived[1] == list(policies):
            return derived[2]
        context = self._derive_context(policies, persistent, log)
        self._derived = (persistent, list(policies), context)
        return context

    @staticmethod
    def _derive_context(
        policies: Sequence[DevicePolicy], persistent: list[dict[str, Any]], log: dict[str, Any]
    ) -> _Context:
        names: dict[str, tuple[str, ...]] = {}
        client_ips: dict[str, tuple[str, ...]] = {}
        hidden: dict[str, tuple[str, ...]] = {}
        ignored = [str(d) for d in log.get("ignored") or []]
        for policy in policies:
            device_id = policy.device.device_id
            holders = _clients_of(policy, persistent)
            names[device_id] = tuple(str(c.get("name") or "") for c in holders if c.get("name"))
            client_ips[device_id] = tuple(
                str(i) for c in holders for i in c.get("ids") or [] if is_ip(str(i))
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
        return _Context(names, client_ips, hidden, bool(log.get("enabled", True)))

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
            theirs, ours = split_rules(current, self._written)
            present = set(ours)
            for policy in policies:
                ips, names = device_clients(policy, context)
                missing = {p for p in policy.hosts if rule_for(p, ips, names) not in present}
                if missing:
                    result.missing[policy.device.device_id] = missing
                if policy.hosts and not (ips or names):
                    result.conflicts[policy.device.device_id] = set(policy.hosts)
            wanted = theirs + desired
            if current == wanted:
                self._written = desired
                return result
            await self._request("POST", "filtering/set_rules", payload={"rules": wanted})
            self._written = desired
            result.writes += 1
            written, _ = await self._rules()
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
        theirs, ours = split_rules(rules, self._written)
        present = set(ours)
        # Only the user's rules can override ours (an @@ allow rule, say): a check stays
        # valid until they change, however often Voice Guard's own block changes.
        generation = hashlib.sha256("\n".join(theirs).encode()).hexdigest()
        now = time.monotonic()  # confirmations of older rules or past their time go, once
        self._confirmed = {
            k: t for k, t in self._confirmed.items() if k[0] == generation and now - t < CONFIRM_TTL
        }
        result: dict[str, dict[str, bool]] = {}
        for policy in policies:
            ips, names = device_clients(policy, context)
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
        texts = {str(r.get("text")) for r in answer.get("rules") or [] if isinstance(r, dict)}
        blocked = answer.get("reason") == "FilteredBlackList" and rule in texts
        if blocked:
            self._confirmed[key] = time.monotonic()
        return blocked

    async def query_log(
        self,
        policies: Sequence[DevicePolicy],
        since: datetime,
        *,
        find_last: Collection[str] = (),
        window_start: datetime | None = None,
    ) -> QueryLog:
        """Page back through the query log to since, the way AdGuard Home's source says.

        Each call scans at most 50,000 log lines and may answer no entries but an `oldest`
        to go on from: paging goes on while `oldest` is set and newer than since. A
        blocked lookup counts for a device when it comes from one of the device's
        addresses (or its persistent client) and its host is one of the device's blocked
        patterns, whatever rule blocked it.
        """
        context = await self._context(policies)
        report = QueryLog(hidden=dict(context.hidden))
        owners = self._owners(policies, context)
        if not owners or not context.log_enabled:
            return report
        by_id = {p.device.device_id: p for p in policies}
        catch_up = needs_catch_up(since)
        # AdGuard Home has no "newer than": a steady read asks for about as many entries
        # as the last poll brought (twice that, at least STEADY_PAGE), and pages on if
        # more came, so it reads little more than what is new.
        first_page = QUERYLOG_PAGE if catch_up else self._page_hint
        params: list[tuple[str, str]] = [("limit", str(QUERYLOG_PAGE))]
        read = 0
        if catch_up:
            # Only blocked lookups are read; the newest entry of all is where the next
            # read starts (AdGuard Home's clock, not ours).
            params += self._blocked_filter()
            async for _, when in self._entries([("limit", "1")], since):
                report.newest = when
                break
        async for entry, when in self._entries(params, since, first_page=first_page):
            read += 1
            report.newest = max(report.newest or when, when)
            if (owner := self._owner(entry, owners)) is not None:
                client = str(entry.get("client", ""))
                report.count(by_id[owner], _host(entry), when, client, _blocked_by(entry))
        if not catch_up:
            self._page_hint = min(QUERYLOG_PAGE, max(STEADY_PAGE, 2 * read))
        # After a gap the blocked lookups read do not show a device's newest lookup.
        wanted = set(by_id) if catch_up else (set(find_last) & set(by_id)) - set(report.last_lookup)
        for device_id in sorted(wanted):
            last = await self._latest_lookup(by_id[device_id], context, window_start or since)
            if last is not None:
                report.saw(device_id, last)
        report.blocked.sort(key=lambda q: q.time)
        return report

    def _blocked_filter(self) -> list[tuple[str, str]]:
        number = _version(self._version or "")
        if number is None or number >= QUERYLOG_REASON_SINCE:
            return [("reason", reason) for reason in BLOCKED_REASONS]
        return [("response_status", "blocked")]

    @staticmethod
    def _owners(policies: Sequence[DevicePolicy], context: _Context) -> dict[str, str]:
        """Client address or persistent client name -> device id."""
        owners: dict[str, str] = {}
        for policy in policies:
            device_id = policy.device.device_id
            for key in (
                *policy.device.ips,
                *context.client_ips.get(device_id, ()),
                *(f"name:{n}" for n in context.names.get(device_id, ())),
            ):
                owners.setdefault(key, device_id)
        return owners

    @staticmethod
    def _owner(entry: dict[str, Any], owners: dict[str, str]) -> str | None:
        if (owner := owners.get(str(entry.get("client", "")))) is not None:
            return owner
        name = (entry.get("client_info") or {}).get("name")
        return owners.get(f"name:{name}") if name else None

    async def _entries(
        self, params: list[tuple[str, str]], since: datetime, *, first_page: int | None = None
    ) -> AsyncIterator[tuple[dict[str, Any], datetime]]:
        """Entries newer than or as old as since, newest first, page by page."""
        older_than: str | None = None
        for number in range(QUERYLOG_MAX_PAGES):
            query = list(params)
            if number == 0 and first_page is not None:
                query = [p for p in query if p[0] != "limit"] + [("limit", str(first_page))]
            if older_than:
                query.append(("older_than", older_than))
            page = await self._get_log(query)
            for entry in page.get("data") or []:
                when = _parse_time(entry.get("time"))
                if when is None:
                    continue
                if when < since:
                    return
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
        addresses = [*policy.device.ips, *context.client_ips.get(policy.device.device_id, ())]
        for address in dict.fromkeys(a for a in addresses if is_ip(a)):
            # A quoted search is an exact match of the client address (or a host).
            params = [("limit", "1"), ("search", f'"{address}"')]
            async for entry, when in self._entries(params, since):
                if str(entry.get("client", "")) == address:
                    return when
        return None

    async def clients(self) -> list[NetworkClient]:
        """List persistent and automatically found clients."""
        data = await self._get("clients")
        found: list[NetworkClient] = []
        for client in data.get("clients") or []:
            ids = [str(i) for i in client.get("ids") or []]
            found.append(
                NetworkClient(
                    ip=next((i for i in ids if is_ip(i)), None),
                    mac=next((i.lower() for i in ids if _is_mac(i)), None),
                    name=client.get("name"),
                )
            )
        for client in data.get("auto_clients") or []:
            whois = client.get("whois_info") or {}
            found.append(
                NetworkClient(
                    ip=client.get("ip"),
                    mac=None,
                    name=client.get("name") or None,
                    vendor=whois.get("orgname"),
                )
            )
        return found


_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")


def _is_mac(value: str) -> bool:
    return bool(_MAC.match(value))


def _blocked_by(entry: dict[str, Any]) -> str | None:
    """Return the rule that blocked a log entry ("" if none is named); None if allowed."""
    if entry.get("reason") not in BLOCKED_REASONS:
        return None
    rules = [r for r in entry.get("rules") or [] if isinstance(r, dict)]
    return str(rules[0].get("text", "")) if rules else ""


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
