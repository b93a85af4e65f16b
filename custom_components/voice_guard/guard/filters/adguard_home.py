"""AdGuard Home: per-device rules in the user's custom filtering rules.

AdGuard Home replaces the whole rule list on every `set_rules`, so every change is a
read-modify-write that keeps each rule the user wrote: Voice Guard's rules live in one
block between two marker comments, rules are `||pattern^$client=<ip>|<ip>`, and the
list is read again right before writing so a change made meanwhile is not lost.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
import hashlib
import logging
import re
import time
from typing import Any

import aiohttp

from ..hosts import normalize_pattern, sample_host
from ..policy import DevicePolicy
from .base import (
    MARK,
    BlockedQuery,
    DnsFilter,
    FilterAuthError,
    FilterInfo,
    FilterRateLimitedError,
    FilterResponseError,
    NetworkClient,
    ReconcileResult,
    decode_json,
    http_call,
    is_ip,
    printable,
)

_LOGGER = logging.getLogger(__name__)

BEGIN = f"! {MARK} begin: rules below are managed by Voice Guard, edit them in Home Assistant"
END = f"! {MARK} end"
DEVICE_PREFIX = f"! {MARK} device "
_RULE_PARTS = re.compile(r"^\|\|([^^$|]+)\^\$client=([^$,]+)$")
_FRACTION = re.compile(r"(\.\d{6})\d+")
QUERYLOG_PAGE = 500
QUERYLOG_PAGES = 10
WRITE_ATTEMPTS = 3
CONFIRM_TTL = 300.0  # seconds a check_host "yes" is trusted without asking again
TIMEOUT = 10


# check_host takes the client to check for since this version; older ones ignore it.
CHECK_HOST_CLIENT_SINCE = "v0.107.58"


def checks_clients(version: str) -> bool:
    """Whether an AdGuard Home of this version checks a rule for one client (check_host)."""
    numbers = re.findall(r"\d+", version)
    if len(numbers) < 3:  # noqa: PLR2004 - "edge" or unknown builds: assume current
        return True
    return tuple(int(n) for n in numbers[:3]) >= (0, 107, 58)


def rule_for(pattern: str, ips: Sequence[str]) -> str:
    """Return the AdGuard rule that blocks pattern for the given client IPs only."""
    return f"||{pattern}^$client={'|'.join(ips)}"


def is_our_rule(line: str) -> bool:
    """Whether a line has exactly the shape rule_for writes (the same code decides both)."""
    found = _RULE_PARTS.match(line)
    if found is None:
        return False
    pattern, clients = found.groups()
    ips = clients.split("|")
    try:
        canonical = normalize_pattern(pattern) == pattern
    except ValueError:
        return False
    return canonical and all(is_ip(ip) for ip in ips) and rule_for(pattern, ips) == line


def device_comment(policy: DevicePolicy) -> str:
    """Return the comment line above a device's rules: its id and name, on one line."""
    name = "".join(c if printable(c) else " " for c in policy.device.name)
    return f"{DEVICE_PREFIX}{policy.device.device_id} {name}"


def render_block(policies: Sequence[DevicePolicy]) -> list[str]:
    """Voice Guard's whole block of rules for the given policies."""
    lines: list[str] = []
    for policy in sorted(policies, key=lambda p: p.device.device_id):
        ips = [ip for ip in policy.device.ips if is_ip(ip)]
        if not ips or not policy.hosts:
            continue
        lines.append(device_comment(policy))
        lines += [rule_for(pattern, ips) for pattern in policy.hosts]
    return [BEGIN, *lines, END] if lines else []


def split_rules(rules: list[str]) -> tuple[list[str], list[str]]:
    """Split a rule list into (the user's rules, Voice Guard's rules).

    Only lines of Voice Guard's own format inside its block are Voice Guard's; anything
    else found there was written by someone else and is kept, after the block.
    """
    theirs: list[str] = []
    ours: list[str] = []
    moved: list[str] = []
    inside = False
    for line in rules:
        if line == BEGIN:
            inside = True
        elif line == END and inside:
            inside = False
        elif inside and (line.startswith(DEVICE_PREFIX) or is_our_rule(line)):
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
        self.requests = 0

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
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
            return FilterInfo(
                kind=self.kind,
                version=str(status["version"]),
                protection_enabled=bool(status["protection_enabled"]),
            )
        except KeyError as err:
            raise FilterResponseError(f"AdGuard Home status lacks {err}") from err

    async def _rules(self) -> tuple[list[str], bool]:
        """Return the user rules and whether filtering is enabled."""
        data = await self._get("filtering/status")
        rules = data.get("user_rules") or []
        if not isinstance(rules, list):
            raise FilterResponseError("AdGuard Home user_rules is not a list")
        return [str(rule) for rule in rules], bool(data.get("enabled", True))

    async def reconcile(self, policies: Sequence[DevicePolicy]) -> ReconcileResult:
        """Read-modify-write the rule list; the user's rules always survive."""
        result = ReconcileResult()
        desired = render_block(policies)
        for _ in range(WRITE_ATTEMPTS):
            current, _enabled = await self._rules()
            theirs, ours = split_rules(current)
            present = set(ours)
            for policy in policies:
                ips = [ip for ip in policy.device.ips if is_ip(ip)]
                missing = {p for p in policy.hosts if rule_for(p, ips) not in present}
                if missing:
                    result.missing[policy.device.device_id] = missing
                if policy.hosts and not ips:
                    result.conflicts[policy.device.device_id] = set(policy.hosts)
            wanted = theirs + desired
            if current == wanted:
                return result
            # Read again right before writing: a change made meanwhile restarts the merge.
            again, _ = await self._rules()
            if again != current:
                continue
            await self._request("POST", "filtering/set_rules", payload={"rules": wanted})
            result.writes += 1
            written, _ = await self._rules()
            if written == wanted:
                return result
            _LOGGER.debug("AdGuard Home rules changed while writing; merging again")
        raise FilterResponseError("AdGuard Home's rules kept changing while Voice Guard wrote")

    async def verify(self, policies: Sequence[DevicePolicy]) -> dict[str, dict[str, bool]]:
        """Read the rules back and ask AdGuard Home whether each pattern is blocked."""
        rules, enabled = await self._rules()
        protection = (await self.info()).protection_enabled
        theirs, ours = split_rules(rules)
        present = set(ours)
        # Only the user's rules can override ours (an @@ allow rule, say): a check stays
        # valid until they change, however often Voice Guard's own block changes.
        generation = hashlib.sha256("\n".join(theirs).encode()).hexdigest()
        result: dict[str, dict[str, bool]] = {}
        for policy in policies:
            ips = [ip for ip in policy.device.ips if is_ip(ip)]
            states: dict[str, bool] = {}
            for pattern in policy.hosts:
                ok = protection and enabled and bool(ips) and rule_for(pattern, ips) in present
                if ok:
                    ok = await self._blocked(pattern, ips[0], rule_for(pattern, ips), generation)
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
        now = time.monotonic()
        self._confirmed = {
            k: t for k, t in self._confirmed.items() if k[0] == generation and now - t < CONFIRM_TTL
        }
        if key in self._confirmed:
            return True
        answer = await self._get(
            "filtering/check_host", {"name": sample_host(pattern), "client": ip}
        )
        texts = {str(r.get("text")) for r in answer.get("rules") or [] if isinstance(r, dict)}
        blocked = answer.get("reason") == "FilteredBlackList" and rule in texts
        if blocked:
            self._confirmed[key] = now
        return blocked

    async def blocked_queries(
        self, policies: Sequence[DevicePolicy], since: datetime
    ) -> list[BlockedQuery]:
        """Page through the blocked part of the query log back to since."""
        by_rule: dict[str, str] = {}
        for policy in policies:
            ips = [ip for ip in policy.device.ips if is_ip(ip)]
            for pattern in policy.hosts:
                by_rule[rule_for(pattern, ips)] = policy.device.device_id
        found: list[BlockedQuery] = []
        if not by_rule:
            return found
        params = {"response_status": "blocked", "limit": str(QUERYLOG_PAGE)}
        for _ in range(QUERYLOG_PAGES):
            page = await self._get("querylog", params)
            entries = page.get("data") or []
            for entry in entries:
                when = _parse_time(entry.get("time"))
                if when is None or when <= since:
                    continue
                texts = [
                    str(r.get("text")) for r in entry.get("rules") or [] if isinstance(r, dict)
                ]
                device_id = next((by_rule[t] for t in texts if t in by_rule), None)
                if device_id is not None:
                    found.append(
                        BlockedQuery(
                            device_id=device_id,
                            host=str((entry.get("question") or {}).get("name", "")).rstrip("."),
                            time=when,
                            client=str(entry.get("client", "")),
                        )
                    )
            oldest = _parse_time(page.get("oldest"))
            if not entries or oldest is None or oldest <= since:
                break
            params = {**params, "older_than": str(page["oldest"])}
        return sorted(found, key=lambda q: q.time)

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


def _parse_time(value: Any) -> datetime | None:
    """AdGuard Home's RFC 3339 times carry nanoseconds; Python takes microseconds."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(_FRACTION.sub(r"\1", value).replace("Z", "+00:00"))  # noqa: FURB162
    except ValueError:
        return None
