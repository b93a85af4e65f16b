"""A fake AdGuard Home: /control API with Basic auth, whole-list rules, check_host, query log.

Rules are evaluated the way AdGuard Home does for the syntax Voice Guard and users write
here: `||domain^` blocks the domain and its subdomains, `*` is a wildcard, `$client=`
restricts a rule to clients (IP or quoted name), `@@` rules allow and win over blocks,
`!` and `#` start comments.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
import re
import time
from typing import Any

from aiohttp import web

from . import FakeServer

MAX_FAILURES = 5  # failed logins from one address ...
LOCKOUT = 15 * 60  # ... lock it out for 15 minutes (seconds)
_RULE = re.compile(r"^(@@)?\|\|([^$^]+)\^(?:\$(.*))?$")


def _rule_matches(rule: str, host: str, client: str) -> tuple[bool, bool]:
    """(matches, is_allow) for one rule line."""
    found = _RULE.match(rule.strip())
    if not found:
        return False, False
    allow, pattern, modifiers = found.groups()
    regex = r"(^|\.)" + re.escape(pattern).replace(r"\*", ".*") + "$"
    if not re.search(regex, host):
        return False, False
    if modifiers:
        for modifier in modifiers.split(","):
            if modifier.startswith("client="):
                clients = [c.strip("'\"") for c in modifier.removeprefix("client=").split("|")]
                if client not in clients:
                    return False, False
    return True, bool(allow)


class FakeAdGuardHome(FakeServer):
    """State and behaviour of one AdGuard Home."""

    def __init__(self, username: str = "admin", password: str = "secret") -> None:  # noqa: S107
        """Start empty, protection on."""
        super().__init__()
        self.username = username
        self.password = password
        self.version = "v0.107.63"
        self.protection_enabled = True
        self.filtering_enabled = True
        self.user_rules: list[str] = []
        self.querylog: list[dict[str, Any]] = []  # newest first, as AdGuard Home returns it
        self.persistent_clients: list[dict[str, Any]] = []
        self.auto_clients: list[dict[str, Any]] = []
        self._failures: dict[str, list[float]] = {}
        self.dns_allowlist: list[str] = []  # domains of an allowlist filter: win over rules
        self.rebuild_later = False  # set_rules takes effect only at rebuild()
        self._engine: list[str] | None = None

    def routes(self, app: web.Application) -> None:
        """The /control endpoints Voice Guard uses."""
        app.router.add_get("/control/status", self._status)
        app.router.add_post("/control/login", self._web_login)
        app.router.add_get("/control/filtering/status", self._filtering_status)
        app.router.add_post("/control/filtering/set_rules", self._set_rules)
        app.router.add_get("/control/filtering/check_host", self._check_host)
        app.router.add_get("/control/querylog", self._querylog)
        app.router.add_get("/control/clients", self._clients)

    def _locked(self, request: web.Request) -> bool:
        now = time.monotonic()
        source = request.remote or ""
        self._failures[source] = [t for t in self._failures.get(source, []) if t > now - LOCKOUT]
        return len(self._failures[source]) >= MAX_FAILURES

    def _fail(self, request: web.Request) -> None:
        self._failures.setdefault(request.remote or "", []).append(time.monotonic())

    def _authorized(self, request: web.Request) -> bool:
        """Basic auth with AdGuard Home's brute-force lockout (5 failures → 15 minutes)."""
        if self._locked(request):
            return False  # a plain 401, even for the right password
        header = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if header == f"Basic {expected}":
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
        return web.Response(status=200, headers={"Set-Cookie": "agh_session=x; HttpOnly"})

    def _deny(self) -> web.Response:
        return web.Response(status=401, text="Unauthorized")

    async def _status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        return web.json_response(
            {
                "version": self.version,
                "running": True,
                "protection_enabled": self.protection_enabled,
            }
        )

    async def _filtering_status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        return web.json_response(
            {
                "enabled": self.filtering_enabled,
                "interval": 24,
                "filters": [],
                "user_rules": self.user_rules,
            }
        )

    async def _set_rules(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        body = await request.json()
        if not isinstance(body.get("rules"), list):
            return web.Response(status=400, text="rules must be a list")
        if self.rebuild_later and self._engine is None:
            self._engine = list(self.user_rules)  # the engine keeps the old rules for now
        self.user_rules = [str(rule) for rule in body["rules"]]  # the whole list is replaced
        return web.Response(status=200)

    def rebuild(self) -> None:
        """The asynchronous engine rebuild after set_rules has finished."""
        self._engine = None

    def evaluate(self, host: str, client: str, *, forced: bool = False) -> tuple[str, list[str]]:
        """AdGuard Home's verdict for a lookup: reason and matching rules.

        check_host forces protection and filtering on (forced). DNS allowlists are a
        separate engine checked first; rules come from the engine, which lags behind
        set_rules until rebuilt.
        """
        if not forced and not (self.protection_enabled and self.filtering_enabled):
            return "NotFilteredNotFound", []
        if any(host == a or host.endswith(f".{a}") for a in self.dns_allowlist):
            return "NotFilteredAllowList", []
        blocking: list[str] = []
        for rule in self._engine if self._engine is not None else self.user_rules:
            if rule.startswith(("!", "#")):
                continue
            hit, allow = _rule_matches(rule, host, client)
            if hit and allow:
                return "NotFilteredWhiteList", [rule]
            if hit:
                blocking.append(rule)
        if blocking:
            return "FilteredBlackList", blocking[:1]
        return "NotFilteredNotFound", []

    async def _check_host(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        name = request.query.get("name", "")
        if not name:
            return web.Response(status=400, text="name is required")
        reason, rules = self.evaluate(name, request.query.get("client", ""), forced=True)
        return web.json_response(
            {"reason": reason, "rules": [{"filter_list_id": 0, "text": r} for r in rules]}
        )

    def query(self, client: str, host: str, when: datetime | None = None) -> str:
        """A device looks host up: AdGuard Home answers and logs it. Returns the reason."""
        reason, rules = self.evaluate(host, client)
        when = when or datetime.now(UTC)
        self.querylog.insert(
            0,
            {
                "client": client,
                "question": {"class": "IN", "name": host, "type": "A"},
                "reason": reason,
                "rules": [{"filter_list_id": 0, "text": r} for r in rules],
                # Nanoseconds, as AdGuard Home writes them.
                "time": when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123+00:00",
                "status": "NOERROR",
            },
        )
        self.querylog.sort(key=lambda e: e["time"], reverse=True)
        return reason

    async def _querylog(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        entries = self.querylog
        if request.query.get("response_status") == "blocked":
            entries = [e for e in entries if e["reason"] == "FilteredBlackList"]
        if older := request.query.get("older_than"):
            entries = [e for e in entries if e["time"] < older]
        limit = int(request.query.get("limit", "500"))
        page = entries[:limit]
        return web.json_response({"data": page, "oldest": page[-1]["time"] if page else ""})

    async def _clients(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._deny()
        return web.json_response(
            {
                "clients": self.persistent_clients,
                "auto_clients": self.auto_clients,
                "supported_tags": [],
            }
        )
