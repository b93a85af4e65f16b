r"""A fake AdGuard Home: /control API with Basic auth, whole-list rules, check_host, query log.

It answers as `../shared/notes/adguard-home-source.md` says AdGuard Home v0.107.79 does:

- rules (urlfilter): `||domain^` blocks the domain and its subdomains, `*` crosses dots,
  `$client=` takes IPs, CIDRs and persistent clients' names (quoted, `\` escapes, `~`
  negates); a rule with an unknown modifier is dropped; priority is `@@`+`$important` >
  `$important` > `@@` > a `$client` rule > a basic rule, and one rule is reported;
  DNS allowlists are checked first and win; a persistent client's `filtering_enabled`
  turns filtering off for it;
- `set_rules` replaces the list; the engine can be rebuilt later (`rebuild_later`);
- `check_host` forces protection on, ignores `client` before v0.107.58;
- the query log: local-time RFC3339Nano with trailing zeros trimmed, at most `scan_window`
  lines scanned per call (so `data: []` with `oldest` set), `search`, `response_status`,
  `reason` (since v0.107.77), clients with `ignore_querylog`, ignored domains, the log
  switched off, anonymised addresses;
- empty lists are `null`; Basic auth with the brute-force lockout.

Read again on 2026-12-03: the lockout counts 5 failures within a minute of the first and
a success resets the count; a session cookie from /control/login is checked alone (no
fallback to Basic auth) and ends after 30 days; a persistent client's own
`filtering_enabled` applies only when `use_global_settings` is false; the allowlist reason
is `NotFilteredWhiteList`; urlfilter splits a rule's options at the last `$`; a client is
found by ClientID, then exact IP, then subnet, then DHCP MAC; DNS rewrites come before
rules; anonymisation zeroes 2 bytes of an IPv4 and 10 of an IPv6 address; the ignore list
applies only while `ignored_enabled` is set.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
import functools
import ipaddress
import re
import time
from typing import Any

from aiohttp import web

from . import FakeServer

MAX_FAILURES = 5  # failed logins from one address within ...
FAILURE_WINDOW = 60  # ... a minute of the first ...
LOCKOUT = 15 * 60  # ... lock it out for 15 minutes (seconds)
SESSION_TTL = 30 * 24 * 3600  # a web session's lifetime (seconds)
SCAN_WINDOW = 50_000  # log lines one querylog call scans at most
KNOWN_MODIFIERS = {"client", "important", "dnstype", "dnsrewrite", "denyallow", "ctag"}
BLOCKED_STATUS = ("FilteredBlackList", "FilteredBlockedService")
_RULE = re.compile(r"^(@@)?\|\|([^$^]+)\^$")


@dataclass(frozen=True)
class Rule:
    """One compiled rule line."""

    text: str
    allow: bool
    regex: re.Pattern[str]
    important: bool
    clients: list[tuple[bool, str]] | None  # (negated, IP | CIDR | name)


def _split(value: str, separator: str, *, unescape: bool = True) -> list[str]:
    """Split at separator outside quotes; a backslash escapes the next character."""
    items, current, quote, escaped = [], "", None, False
    for char in value:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
            current += "" if unescape else char
        elif not unescape:
            if char == separator:
                items.append(current)
                current = ""
            else:
                current += char
        elif quote:
            if char == quote:
                quote = None
            else:
                current += char
        elif char in "'\"" and not current.strip("~"):
            quote = char
        elif char == separator:
            items.append(current)
            current = ""
        else:
            current += char
    return [*items, current]


@functools.lru_cache(maxsize=65536)
def compile_rule(line: str) -> Rule | None:
    """Compile a rule line as urlfilter does; None for comments and dropped rules."""
    text = line.strip()
    if not text or text.startswith(("!", "#")):
        return None
    # urlfilter splits the options off at the last `$`.
    body, dollar, modifiers = text.rpartition("$")
    if not dollar:
        body, modifiers = text, ""
    found = _RULE.match(body)
    if not found:
        return None
    allow, pattern = found.groups()
    important = False
    clients: list[tuple[bool, str]] | None = None
    for modifier in _split(modifiers, ",", unescape=False) if modifiers else []:
        name, _, value = modifier.partition("=")
        if name not in KNOWN_MODIFIERS:
            return None  # an unknown modifier drops the whole rule
        if name == "important":
            important = True
        elif name == "client":
            clients = [(item.startswith("~"), item.lstrip("~")) for item in _split(value, "|")]
    regex = re.compile(r"(^|\.)" + re.escape(pattern).replace(r"\*", ".*") + "$")
    return Rule(text, bool(allow), regex, important, clients)


class FakeAdGuardHome(FakeServer):
    """State and behaviour of one AdGuard Home."""

    def __init__(self, username: str = "admin", password: str = "secret") -> None:  # noqa: S107
        """Start empty, protection on."""
        super().__init__()
        self.username = username
        self.password = password
        self.version = "v0.107.79"
        self.protection_enabled = True
        self.filtering_enabled = True
        self.user_rules: list[str] = []
        self.persistent_clients: list[dict[str, Any]] = []
        self.auto_clients: list[dict[str, Any]] = []
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self.sessions: dict[str, float] = {}  # agh_session cookie -> when it ends
        self.cookies_seen = 0
        self.filters: list[dict[str, Any]] = []  # subscribed block lists (url, last_updated)
        self.whitelist_filters: list[dict[str, Any]] = []
        self.rewrites: list[dict[str, str]] = []  # {"domain", "answer"}: before every rule
        # AdGuard Home as the DHCP server: its leases, IPv4 and IPv6 alike (dhcp/status).
        self.dhcp_enabled = False
        self.dhcp_leases: list[dict[str, Any]] = []  # {mac, ip, hostname, expires}
        self.dhcp_static_leases: list[dict[str, Any]] = []  # {mac, ip, hostname}
        # AdGuard Home where DHCP cannot run (Windows) answers dhcp/status with an error.
        self.dhcp_supported = True
        self.querylog_ignored_enabled = True
        self.dns_allowlist: list[str] = []  # domains of an allowlist filter: win over rules
        self.rebuild_later = False  # set_rules takes effect only at rebuild()
        self.store_writes = True  # False: set_rules answers 200 and stores nothing
        self._engine: list[str] | None = None
        # The query log, newest first, with AdGuard Home's settings for it.
        self.log: list[dict[str, Any]] = []
        self.querylog_enabled = True
        self.querylog_ignored: list[str] = []
        self.anonymize_client_ip = False
        self.scan_window = SCAN_WINDOW
        self.timezone = timezone(timedelta(hours=9))  # AdGuard Home writes local time
        self.querylog_calls = 0
        # (status, content type, body) the query log answers instead, when set: a log file
        # AdGuard cannot read answers 500; a proxy in front of it, an HTML page.
        self.querylog_answer: tuple[int, str, str] | None = None
        self.rule_writes = 0  # set_rules calls
        self.bytes_sent = 0

    def routes(self, app: web.Application) -> None:
        """The /control endpoints Voice Guard uses."""
        app.router.add_get("/control/status", self._status)
        app.router.add_post("/control/login", self._web_login)
        app.router.add_get("/control/filtering/status", self._filtering_status)
        app.router.add_post("/control/filtering/set_rules", self._set_rules)
        app.router.add_get("/control/filtering/check_host", self._check_host)
        app.router.add_get("/control/querylog", self._querylog)
        app.router.add_get("/control/querylog/config", self._querylog_config)
        app.router.add_get("/control/clients", self._clients)
        app.router.add_get("/control/rewrite/list", self._rewrite_list)
        app.router.add_get("/control/dhcp/status", self._dhcp_status)

    # --- auth --------------------------------------------------------------------------

    def _locked(self, request: web.Request) -> bool:
        return self._locked_until.get(request.remote or "", 0.0) > time.monotonic()

    def _fail(self, request: web.Request) -> None:
        """Count a failure; 5 within a minute of the first lock the source out."""
        now = time.monotonic()
        source = request.remote or ""
        failures = [t for t in self._failures.get(source, []) if t > now - FAILURE_WINDOW]
        failures.append(now)
        self._failures[source] = failures
        if len(failures) >= MAX_FAILURES:
            self._locked_until[source] = now + LOCKOUT
            self._failures[source] = []

    def _succeed(self, request: web.Request) -> None:
        self._failures.pop(request.remote or "", None)  # a success resets the count

    def unlock(self) -> None:
        """Fifteen minutes later: every lockout is over."""
        self._locked_until.clear()
        self._failures.clear()

    def expire_sessions(self) -> None:
        """Let every web session end (30 days later, or AdGuard Home restarted)."""
        self.sessions.clear()

    def _authorized(self, request: web.Request) -> bool:
        """A session cookie alone when one is sent; else Basic auth with the lockout."""
        if (cookie := request.cookies.get("agh_session")) is not None:
            self.cookies_seen += 1
            return self.sessions.get(cookie, 0.0) > time.monotonic()
        if not self.username and not self.password:
            return True  # no users configured: no auth at all
        if self._locked(request):
            return False  # a plain 401, even for the right password
        header = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if header == f"Basic {expected}":
            self._succeed(request)
            return True
        self._fail(request)
        return False

    async def _web_login(self, request: web.Request) -> web.Response:
        if self._locked(request):
            return web.Response(status=429, headers={"Retry-After": str(LOCKOUT)})
        body = await request.json()
        if body.get("name") != self.username or body.get("password") != self.password:
            self._fail(request)
            return web.Response(status=403, text="invalid username or password")
        self._succeed(request)
        token = f"s{len(self.sessions) + 1}"
        self.sessions[token] = time.monotonic() + SESSION_TTL
        return web.Response(
            status=200, headers={"Set-Cookie": f"agh_session={token}; Path=/; HttpOnly"}
        )

    def _deny(self) -> web.Response:
        return web.Response(status=401)  # an empty body, as AdGuard Home sends

    def _json(self, data: Any) -> web.Response:
        response = web.json_response(data)
        self.bytes_sent += len(response.body or b"")  # type: ignore[arg-type]
        return response

    async def _status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        return self._json(
            {
                "version": self.version,
                "running": True,
                "protection_enabled": self.protection_enabled,
            }
        )

    # --- rules -------------------------------------------------------------------------

    async def _filtering_status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        return self._json(
            {
                "enabled": self.filtering_enabled,
                "interval": 24,
                "filters": self.filters or None,  # every list is null when empty
                "whitelist_filters": self.whitelist_filters or None,
                "user_rules": self.user_rules or None,
            }
        )

    async def _set_rules(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        body = await request.json()
        if not isinstance(body.get("rules"), list):
            return web.Response(status=400, text="rules must be a list")
        self.rule_writes += 1
        if not self.store_writes:
            return web.Response(status=200)  # seen from a probe: a 200 that stored nothing
        if self.rebuild_later and self._engine is None:
            self._engine = list(self.user_rules)  # the engine keeps the old rules for now
        self.user_rules = [str(rule) for rule in body["rules"]]  # the whole list is replaced
        return web.Response(status=200)

    def rebuild(self) -> None:
        """The asynchronous engine rebuild after set_rules has finished."""
        self._engine = None

    def persistent_client(self, ip: str, client_id: str = "") -> dict[str, Any] | None:
        """The persistent client of a lookup: by ClientID, exact IP, subnet, then DHCP MAC."""
        ids = [(c, str(i)) for c in self.persistent_clients for i in c.get("ids") or []]
        for client, item in ids:  # the ClientID of a DNS-over-HTTPS/TLS lookup comes first
            if client_id and item == client_id:
                return client
        for client, item in ids:  # a ClientID or an exact address
            if item == ip:
                return client
        for client, item in ids:
            if _in_network(ip, item):
                return client
        leases = [*self.dhcp_leases, *self.dhcp_static_leases] if self.dhcp_enabled else []
        macs = {lease["mac"] for lease in leases if lease["ip"] == ip}
        for client, item in ids:
            if item.lower() in macs:
                return client
        return None

    def _client_matches(self, rule: Rule, ip: str, client_id: str = "") -> bool:
        if rule.clients is None:
            return True
        owner = self.persistent_client(ip, client_id) if ip else None
        positive = [c for negated, c in rule.clients if not negated]
        negative = [c for negated, c in rule.clients if negated]

        def hit(item: str) -> bool:
            return item == ip or _in_network(ip, item) or bool(owner and owner["name"] == item)

        if any(hit(item) for item in negative):
            return False
        return not positive or any(hit(item) for item in positive)

    def evaluate(
        self, host: str, client: str, *, forced: bool = False, client_id: str = ""
    ) -> tuple[str, list[str]]:
        """AdGuard Home's verdict for a lookup: reason and the one rule reported.

        check_host forces protection and filtering on (forced). A persistent client's own
        filtering switch still applies; DNS allowlists are a separate engine checked
        first; rules come from the engine, which lags behind set_rules until rebuilt.
        """
        if not forced and not (self.protection_enabled and self.filtering_enabled):
            return "NotFilteredNotFound", []
        owner = self.persistent_client(client, client_id) if client else None
        if (
            owner is not None
            and owner.get("use_global_settings") is False
            and owner.get("filtering_enabled") is False
        ):
            return "NotFilteredNotFound", []
        if any(host == a or host.endswith(f".{a}") for a in self.dns_allowlist):
            return "NotFilteredWhiteList", []
        if (rewrite := self._rewrite(host)) is not None:
            return rewrite
        hits = [
            rule
            for line in (self._engine if self._engine is not None else self.user_rules)
            if (rule := compile_rule(line)) is not None
            and rule.regex.search(host)
            and self._client_matches(rule, client, client_id)
            and "$dnsrewrite=" not in line
        ]
        if not hits:
            return "NotFilteredNotFound", []

        def rank(rule: Rule) -> int:
            if rule.allow and rule.important:
                return 0
            if rule.important:
                return 1
            if rule.allow:
                return 2
            return 3 if rule.clients is not None else 4

        winner = min(hits, key=rank)
        reason = "NotFilteredWhiteList" if winner.allow else "FilteredBlackList"
        return reason, [winner.text]

    def _rewrite(self, host: str) -> tuple[str, list[str]] | None:
        """A DNS rewrite or a $dnsrewrite rule for host: checked before every block."""
        if any(host == r["domain"] for r in self.rewrites):
            return "Rewrite", []
        rules = [
            line
            for line in (self._engine if self._engine is not None else self.user_rules)
            if "$dnsrewrite=" in line
            and (rule := compile_rule(line.split("$", 1)[0])) is not None
            and rule.regex.search(host)
        ]
        return ("RewriteRule", rules[:1]) if rules else None

    async def _check_host(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        name = request.query.get("name", "")
        if not name:
            return web.Response(status=400, text="name is required")
        # The client parameter exists since v0.107.58; older versions ignore it.
        client = request.query.get("client", "") if _version(self.version) >= (0, 107, 58) else ""
        reason, rules = self.evaluate(name, client, forced=True)
        answer: dict[str, Any] = {
            "reason": reason,
            "rules": [{"filter_list_id": 0, "text": r} for r in rules],
        }
        if reason in {"Rewrite", "RewriteRule"}:  # a rewrite answers with its addresses
            _, records = self._rewritten(name, rules)
            answer["ip_addrs"] = [r["value"] for r in records]
        return self._json(answer)

    # --- the query log -----------------------------------------------------------------

    def query(
        self, client: str, host: str, when: datetime | None = None, *, client_id: str = ""
    ) -> str:
        """A device looks host up: AdGuard Home answers and logs it. Returns the reason.

        client_id: the ClientID of a DNS-over-HTTPS/TLS lookup, which picks the client.
        """
        reason, rules = self.evaluate(host, client, client_id=client_id)
        self.record(client, host, reason, rules, when, client_id=client_id)
        return reason

    def _rewritten(self, host: str, rules: list[str]) -> tuple[str, list[dict[str, Any]]]:
        """The answer of a rewrite: its status and answer records, as the log shows them."""
        for rewrite in self.rewrites:
            if rewrite["domain"] == host:
                return "NOERROR", [{"type": "A", "value": rewrite["answer"], "ttl": 10}]
        code = rules[0].rsplit("$dnsrewrite=", 1)[-1].upper() if rules else "NOERROR"
        return (code, []) if code in {"NXDOMAIN", "REFUSED", "SERVFAIL"} else ("NOERROR", [])

    def record(
        self,
        client: str,
        host: str,
        reason: str = "NotFilteredNotFound",
        rules: list[str] | None = None,
        when: datetime | None = None,
        *,
        client_id: str = "",
    ) -> None:
        """Write one log line, unless the log, the client or the domain is not logged."""
        owner = self.persistent_client(client, client_id)
        if not self.querylog_enabled or (owner and owner.get("ignore_querylog")):
            return
        if self.querylog_ignored_enabled and any(
            host == d or host.endswith(f".{d}") for d in self.querylog_ignored
        ):
            return
        when = when or datetime.now(UTC)
        shown = _anonymised(client) if self.anonymize_client_ip else client
        entry = {
            "client": shown,
            "client_info": {"name": owner["name"] if owner else "", "whois": {}},
            "question": {"class": "IN", "name": host, "type": "A", "unicode_name": host},
            "reason": reason,
            "rules": [{"filter_list_id": 0, "text": r} for r in rules or []],
            "status": "NOERROR",
            "_when": when,
        }
        if client_id:  # the source sets client_id only for lookups that carried one
            entry["client_id"] = client_id
        if reason in {"Rewrite", "RewriteRule"}:
            entry["status"], entry["answer"] = self._rewritten(host, rules or [])
        self.log.append(entry)
        if len(self.log) > 1 and self.log[-2]["_when"] < when:
            self.log.sort(key=lambda e: e["_when"], reverse=True)

    def _shown(self, entry: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in entry.items() if k != "_when"}
        shown["time"] = rfc3339nano(entry["_when"], self.timezone)
        return shown

    def _selected(self, entry: dict[str, Any], query: Any) -> bool:
        if (status := query.get("response_status")) == "blocked" and entry[
            "reason"
        ] not in BLOCKED_STATUS:
            return False
        if status and status not in ("all", "blocked"):
            return False
        reasons = query.getall("reason", [])
        if reasons and _version(self.version) >= (0, 107, 77) and entry["reason"] not in reasons:
            return False
        if search := query.get("search"):
            fields = [entry["client"], entry["question"]["name"], entry["client_info"]["name"]]
            if search.startswith('"') and search.endswith('"') and len(search) > 1:
                return search[1:-1].lower() in (f.lower() for f in fields)
            return any(search.lower() in f.lower() for f in fields)
        return True

    async def _querylog(self, request: web.Request) -> web.Response:
        """Scan at most scan_window lines older than older_than, as the source does."""
        if not self._authorized(request):
            return self._deny()
        self.querylog_calls += 1
        if self.querylog_answer is not None:
            status, content_type, body = self.querylog_answer
            return web.Response(status=status, content_type=content_type, text=body)
        older = request.query.get("older_than")
        older_than = datetime.fromisoformat(older) if older else None
        limit = int(request.query.get("limit", "500"))
        found: list[dict[str, Any]] = []
        scanned = 0
        last_scanned: dict[str, Any] | None = None
        lines = [e for e in self.log if older_than is None or e["_when"] < older_than]
        for entry in lines:
            if scanned == self.scan_window or len(found) == limit:
                break
            scanned += 1
            last_scanned = entry
            if self._selected(entry, request.query):
                found.append(entry)
        more = scanned < len(lines)
        if found and (len(found) == limit or not more):
            oldest = self._shown(found[-1])["time"]
        elif more and last_scanned is not None:
            oldest = self._shown(last_scanned)["time"]  # nothing found in this window
        else:
            oldest = ""
        return self._json({"data": [self._shown(e) for e in found], "oldest": oldest})

    async def _querylog_config(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        return self._json(
            {
                "enabled": self.querylog_enabled,
                "interval": 90 * 24 * 3600 * 1000,
                "anonymize_client_ip": self.anonymize_client_ip,
                "ignored": self.querylog_ignored or None,
                "ignored_enabled": self.querylog_ignored_enabled,
            }
        )

    async def _clients(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        return self._json(
            {
                "clients": self.persistent_clients or None,
                "auto_clients": self.auto_clients or None,
                "supported_tags": None,
            }
        )

    def lease(
        self, mac: str, ip: str, *, static: bool = False, expires: datetime | None = None
    ) -> None:
        """The DHCP server leases ip to mac (a dynamic lease ends in a day by default)."""
        self.dhcp_enabled = True
        if static:
            self.dhcp_static_leases.append({"mac": mac.lower(), "ip": ip, "hostname": ""})
            return
        ends = expires or datetime.now(self.timezone) + timedelta(days=1)
        self.dhcp_leases.append(
            # RFC 3339 in AdGuard Home's local time, as its source writes it.
            {"mac": mac.lower(), "ip": ip, "hostname": "", "expires": ends.isoformat()}
        )

    def learn(self, mac: str, ip: str) -> None:
        """The DHCP server leases ip to mac now: one lease per address, per MAC and family.

        (The same call as the Pi-hole fake's: a device's address as the filter learns it.)
        """
        family = ":" in ip
        self.dhcp_leases = [
            lease
            for lease in self.dhcp_leases
            if lease["ip"] != ip
            and not (lease["mac"] == mac.lower() and (":" in lease["ip"]) == family)
        ]
        self.lease(mac, ip)

    async def _dhcp_status(self, request: web.Request) -> web.Response:
        """GET /control/dhcp/status: leases are [] (never null) when there are none."""
        if not self._authorized(request):
            return self._deny()
        if not self.dhcp_supported:
            return web.json_response({"message": "dhcp: unsupported on windows"}, status=501)
        return self._json(
            {
                "enabled": self.dhcp_enabled,
                "interface_name": "eth0" if self.dhcp_enabled else "",
                "v4": {},
                "v6": {},
                "leases": self.dhcp_leases,
                "static_leases": self.dhcp_static_leases,
            }
        )

    async def _rewrite_list(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        return self._json(self.rewrites)


def _anonymised(client: str) -> str:
    """As AdGuard Home's query log does: the last 2 bytes of IPv4, 10 of IPv6, zeroed."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    packed = bytearray(address.packed)
    keep = 2 if address.version == 4 else 6
    packed[keep:] = bytes(len(packed) - keep)
    return str(ipaddress.ip_address(bytes(packed)))


def rfc3339nano(when: datetime, zone: timezone) -> str:
    """Go's time.RFC3339Nano in AdGuard Home's local zone: trailing zeros trimmed."""
    local = when.astimezone(zone)
    nanos = f"{local.microsecond * 1000 + 123 * bool(local.microsecond):09d}".rstrip("0")
    offset = local.strftime("%z")
    offset = "Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{nanos}" if nanos else "") + offset


def _version(version: str) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", version)
    return tuple(int(n) for n in numbers[:3]) if len(numbers) >= 3 else (9, 9, 9)


def _in_network(ip: str, cidr: str) -> bool:
    if "/" not in cidr or not ip:
        return False
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
