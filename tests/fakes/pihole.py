"""A fake Pi-hole v6 API that answers as a real FTL 6.4.1 did (shared/notes/pihole-v6-real.md).

Sessions limited in number (an expired sid keeps working until its slot is reused), login
rate limiting, no-password Pi-holes, groups, clients stored as sent and matched
case-insensitively, domain lists with their UNIQUE (domain, type, kind) constraint, the
awkward answers (201 with errors, PUT that creates, 404 with an empty body), blocking by
group membership, a query log with a cursor and server-side filters, and the network table
with its "ip-…" mock hardware addresses.

As captured on 2026-12-03: FTL decides an address's groups when it first sees it (an
exact IP client first, then the MAC the network table gives the address) and again only
when its lists are reloaded, which every list write does; privacy level 2 logs the client
as 0.0.0.0 and level 3 answers no lookup at all; webserver.api.excludeClients and
excludeDomains (regular expressions) drop lookups from /api/queries; dns.queryLogging off
does not change what /api/queries lists.
"""

from __future__ import annotations

from datetime import UTC, datetime
import re
import secrets
import time
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from . import FakeServer


def _error(status: int, key: str, message: str, hint: str | None = None) -> web.Response:
    return web.json_response(
        {"error": {"key": key, "message": message, "hint": hint}, "took": 0.0001}, status=status
    )


def _ok(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response({**body, "took": 0.0003}, status=status)


def _processed(success: list[str], errors: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "success": [{"item": item} for item in success],
        "errors": [{"item": item, "error": error} for item, error in errors],
    }


def _session(
    *, valid: bool, message: str, sid: str | None = None, validity: int = -1
) -> dict[str, Any]:
    """FTL's session object, as /api/auth answers it."""
    session: dict[str, Any] = {
        "valid": valid,
        "totp": False,
        "sid": sid,
        "validity": validity,
        "message": message,
    }
    if sid is not None:
        session["csrf"] = "x"
    return {"session": session}


def _not_found() -> web.Response:
    return web.json_response({}, status=404)  # FTL's answer to deleting what is not there


class FakePiHole(FakeServer):
    """State and behaviour of one Pi-hole v6."""

    def __init__(
        self,
        password: str = "secret",  # noqa: S107 - a fake's password
        *,
        validity: int = 1800,
        seats: int = 16,
    ) -> None:
        """Start with the Default group only, blocking on."""
        super().__init__()
        self.password = password
        self.validity = validity
        self.seats = seats
        self.sessions: dict[str, float] = {}
        self.logins = 0
        self.logouts = 0
        self._failed_logins: list[float] = []
        self.blocking = True
        self.groups: list[dict[str, Any]] = [
            {"id": 0, "name": "Default", "comment": "The default group", "enabled": True}
        ]
        self.clients: list[dict[str, Any]] = []
        self.domains: list[dict[str, Any]] = []
        self.queries: list[dict[str, Any]] = []
        self.network: list[dict[str, Any]] = []
        # Who really holds each address now (ARP); FTL writes it into the network table at
        # its database pass. table_lags: the pass happens only at db_pass() (DBinterval),
        # not right after each lookup, so a moved address is still the old MAC's there.
        self.holders: dict[str, str] = {}
        self.table_lags = False
        self._asked: dict[str, float] = {}  # address -> its last lookup since the last pass
        self.query_requests = 0
        # Pi-hole's privacy level (0 shows everything, 1 hides domains, 2 also clients,
        # 3 anonymous) and dns.queryLogging, per Pi-hole's documentation of /api/config.
        self.privacy_level = 0
        self.query_logging = True
        self.config_api = True  # False: these config paths answer 404
        self.exclude_clients: list[str] = []  # webserver.api.excludeClients (regexes)
        self.exclude_domains: list[str] = []  # webserver.api.excludeDomains (regexes)
        # Groups of each address, decided when FTL first saw it; a list reload forgets them.
        self._decided: dict[str, list[int]] = {}
        self.reloads = 0
        self._next_id = 1

    def routes(self, app: web.Application) -> None:
        """The /api endpoints Voice Guard uses."""
        app.router.add_post("/api/auth", self._login)
        app.router.add_delete("/api/auth", self._logout)
        app.router.add_get("/api/info/version", self._version)
        app.router.add_get("/api/dns/blocking", self._blocking)
        app.router.add_get("/api/groups", self._list("groups"))
        app.router.add_post("/api/groups", self._add_group)
        app.router.add_put("/api/groups/{name}", self._put_group)
        app.router.add_delete("/api/groups/{name}", self._delete_group)
        app.router.add_get("/api/clients", self._list("clients"))
        app.router.add_post("/api/clients", self._add_client)
        app.router.add_put("/api/clients/{client}", self._put_client)
        app.router.add_delete("/api/clients/{client}", self._delete_client)
        app.router.add_get("/api/domains", self._all_domains)
        app.router.add_get("/api/domains/{type}/{kind}", self._list_domains)
        app.router.add_post("/api/domains/{type}/{kind}", self._add_domains)
        app.router.add_put("/api/domains/{type}/{kind}/{domain:.+}", self._put_domain)
        app.router.add_delete("/api/domains/{type}/{kind}/{domain:.+}", self._delete_domain)
        app.router.add_post("/api/domains:batchDelete", self._batch_delete)
        app.router.add_get("/api/queries", self._queries)
        app.router.add_get("/api/network/devices", self._devices)
        app.router.add_get("/api/config/misc/privacylevel", self._privacy_level)
        app.router.add_get("/api/config/dns/queryLogging", self._query_logging)
        app.router.add_get("/api/config/webserver/api/{key}", self._api_config)

    # --- sessions -------------------------------------------------------------------------

    def expire_sessions(self) -> None:
        """Let every session go, as when FTL reused their slots or the password changed."""
        self.sessions.clear()

    def _valid(self, request: web.Request) -> bool:
        if not self.password:  # no password set: everything is open
            return True
        sid = request.headers.get("X-FTL-SID") or request.query.get("sid")
        if sid not in self.sessions:
            return False
        # Even an expired sid is accepted and extended, until a login reuses its slot.
        self.sessions[sid] = time.monotonic() + self.validity
        return True

    async def _login(self, request: web.Request) -> web.Response:
        body = await request.json()
        now = time.monotonic()
        if not self.password:
            self.logins += 1
            return _ok(_session(valid=True, message="no password set"))
        self._failed_logins = [t for t in self._failed_logins if t > now - 1]
        if len(self._failed_logins) >= 3:  # more than three failures in a second
            return _error(429, "rate_limiting", "Rate-limiting login attempts")
        if body.get("password") != self.password:
            self._failed_logins.append(now)
            return web.json_response(
                _session(valid=False, message="password incorrect"), status=401
            )
        if len(self.sessions) >= self.seats:
            expired = [s for s, e in sorted(self.sessions.items(), key=lambda i: i[1]) if e < now]
            if not expired:
                return _error(429, "api_seats_exceeded", "API seats exceeded")
            del self.sessions[expired[0]]  # the slot of an expired session is reused
        sid = secrets.token_urlsafe(16)
        self.sessions[sid] = now + self.validity
        self.logins += 1
        return web.json_response(
            _session(valid=True, sid=sid, validity=self.validity, message="app-password correct")
        )

    async def _logout(self, request: web.Request) -> web.Response:
        sid = request.headers.get("X-FTL-SID", "")
        if self.sessions.pop(sid, None) is None:
            message = "session unknown" if sid else "no SID provided"
            return _ok(_session(valid=False, message=message), 401)
        self.logouts += 1
        return web.Response(status=204)

    def _unauthorized(self) -> web.Response:
        return _error(401, "unauthorized", "Unauthorized")

    def _stamp(self, row: dict[str, Any], *, new: bool) -> dict[str, Any]:
        now = int(time.time())
        if new:
            row["date_added"] = now
        row["date_modified"] = now
        return row

    # --- reads -----------------------------------------------------------------------------

    async def _version(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        local = {"version": "v6.4.1", "branch": "master", "hash": "8d1add8d", "date": "2026-11-20"}
        return _ok(
            {
                "version": {
                    "core": {"local": {"version": "v6.3", "branch": "master", "hash": "abc"}},
                    "web": {"local": {"version": "v6.4", "branch": "master", "hash": "def"}},
                    "docker": {"local": None, "remote": None},
                    "ftl": {"local": local, "remote": {"version": "v6.4.1", "hash": "8d1add8d"}},
                }
            }
        )

    async def _blocking(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        return _ok({"blocking": "enabled" if self.blocking else "disabled", "timer": None})

    def _list(self, key: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            if not self._valid(request):
                return self._unauthorized()
            return _ok({key: getattr(self, key)})

        return handler

    # --- groups ----------------------------------------------------------------------------

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def _add_group(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        body = await request.json()
        if existing := next((g for g in self.groups if g["name"] == body["name"]), None):
            # 201, with the row that exists and the failure in processed.errors.
            errors = [(body["name"], "UNIQUE constraint failed: group.name")]
            return _ok({"groups": [existing], "processed": _processed([], errors)}, 201)
        group = self._stamp(
            {
                "id": self._id(),
                "name": body["name"],
                "comment": body.get("comment"),
                "enabled": body.get("enabled", True),
            },
            new=True,
        )
        self.groups.append(group)
        return _ok({"groups": [group], "processed": _processed([body["name"]], [])}, 201)

    async def _put_group(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        name = unquote(request.match_info["name"])
        body = await request.json()
        for group in self.groups:
            if group["name"] == name:
                group.update(
                    name=body.get("name", name),
                    comment=body.get("comment"),
                    enabled=body.get("enabled", True),
                )
                self._stamp(group, new=False)
                return _ok({"groups": [group], "processed": _processed([name], [])})
        # A group that is not there: 200, nothing changed, and "success" all the same.
        return _ok({"groups": [], "processed": _processed([name], [])})

    async def _delete_group(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        name = unquote(request.match_info["name"])
        group = next((g for g in self.groups if g["name"] == name), None)
        if group is None:
            return _not_found()
        self.groups.remove(group)
        for item in self.clients + self.domains:  # Pi-hole's triggers drop the links
            item["groups"] = [g for g in item["groups"] if g != group["id"]]
        return web.Response(status=204)

    # --- clients ---------------------------------------------------------------------------

    async def _add_client(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        body = await request.json()
        name = str(body["client"])  # stored as sent: FTL keeps the spelling (capitals too)
        if existing := next((c for c in self.clients if c["client"] == name), None):
            errors = [(name, "UNIQUE constraint failed: client.ip")]
            return _ok({"clients": [existing], "processed": _processed([], errors)}, 201)
        client = self._new_client(name, body)
        return _ok({"clients": [client], "processed": _processed([name], [])}, 201)

    def _new_client(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        client = self._stamp(
            {
                "id": self._id(),
                "client": name,
                "name": None,
                "comment": body.get("comment"),
                "groups": list(body.get("groups") or [0]),
            },
            new=True,
        )
        self.clients.append(client)
        return client

    async def _put_client(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        name = unquote(request.match_info["client"])
        body = await request.json()
        for client in self.clients:
            if client["client"] == name:  # the path must match the stored spelling exactly
                client.update(comment=body.get("comment"), groups=list(body.get("groups") or []))
                self._stamp(client, new=False)
                return _ok({"clients": [client], "processed": _processed([name], [])})
        # Another spelling (or no row): FTL creates a second row (upsert).
        client = self._new_client(name, body)
        return _ok({"clients": [client], "processed": _processed([name], [])})

    async def _delete_client(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        name = unquote(request.match_info["client"])
        before = len(self.clients)
        self.clients = [c for c in self.clients if c["client"] != name]
        return web.Response(status=204) if len(self.clients) < before else _not_found()

    # --- domains ---------------------------------------------------------------------------

    async def _list_domains(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        kind = f"{request.match_info['type']}/{request.match_info['kind']}"
        return _ok(
            {
                "domains": [
                    d
                    for d in self.domains
                    if d["type"] == kind.split("/", maxsplit=1)[0]
                    and d["kind"] == kind.split("/")[1]
                ]
            }
        )

    async def _add_domains(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        body = await request.json()
        type_, kind = request.match_info["type"], request.match_info["kind"]
        names = body["domain"] if isinstance(body["domain"], list) else [body["domain"]]
        if kind == "regex":
            for name in names:
                try:
                    re.compile(name)
                except re.error as err:  # one bad regex refuses the whole batch
                    return _error(400, "regex_error", "Regex validation failed", str(err))
        success, errors, added = [], [], []
        for name in names:
            if any(
                d["domain"] == name and d["type"] == type_ and d["kind"] == kind
                for d in self.domains
            ):
                errors.append(
                    (name, "UNIQUE constraint failed: domainlist.domain, domainlist.type")
                )
                continue
            entry = {
                "id": self._id(),
                "domain": name,
                "unicode": name,
                "type": type_,
                "kind": kind,
                "comment": body.get("comment"),
                "groups": list(body.get("groups") or [0]),
                "enabled": body.get("enabled", True),
            }
            self.domains.append(self._stamp(entry, new=True))
            added.append(entry)
            success.append(name)
        # 201 even when some (or all) failed: the failures are in processed.errors.
        return _ok({"domains": added, "processed": _processed(success, errors)}, 201)

    def _find(self, request: web.Request) -> dict[str, Any] | None:
        name = unquote(request.match_info["domain"])
        return next(
            (
                d
                for d in self.domains
                if d["domain"] == name
                and d["type"] == request.match_info["type"]
                and d["kind"] == request.match_info["kind"]
            ),
            None,
        )

    async def _put_domain(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        entry = self._find(request)
        body = await request.json()
        name = unquote(request.match_info["domain"])
        if entry is None:  # PUT creates what is not there (upsert)
            entry = self._stamp(
                {
                    "id": self._id(),
                    "domain": name,
                    "unicode": name,
                    "type": request.match_info["type"],
                    "kind": request.match_info["kind"],
                },
                new=True,
            )
            self.domains.append(entry)
        entry.update(
            comment=body.get("comment"),
            groups=list(body.get("groups") or []),
            enabled=body.get("enabled", True),
        )
        self._stamp(entry, new=False)
        return _ok({"domains": [entry], "processed": _processed([name], [])})

    async def _delete_domain(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        entry = self._find(request)
        if entry is None:
            return _not_found()
        self.domains.remove(entry)
        return web.Response(status=204)

    async def _batch_delete(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        self._reload()
        before = len(self.domains)
        for item in await request.json():
            self.domains = [
                d
                for d in self.domains
                if not (
                    d["domain"] == item["item"]
                    and d["type"] == item["type"]
                    and d["kind"] == item["kind"]
                )
            ]
        return web.Response(status=204) if len(self.domains) < before else _not_found()

    # --- resolving and logging -------------------------------------------------------------

    def _reload(self) -> None:
        """A list write: FTL reloads its lists and decides every address's groups anew."""
        self._decided.clear()
        self.reloads += 1

    def db_pass(self) -> None:
        """FTL's database pass (every DBinterval): the table gets who asked from where.

        Each address that asked since the last pass is written under the MAC that holds
        it now (ARP), with the time of its last lookup.
        """
        for ip, asked in self._asked.items():
            mac = self.holders.get(ip) or _newest_mac(self.network, ip)
            if mac is not None:
                self._write(mac, ip, asked)
        self._asked.clear()

    def learn(self, mac: str, ip: str, when: float | None = None) -> None:
        """FTL learns (EDNS0 option 65001, ARP) that ip is the device with mac now."""
        self.holders[ip] = mac.lower()
        self._write(mac, ip, when if when is not None else time.time())

    def _write(self, mac: str, ip: str, seen: float) -> None:
        """The network table row: ip under mac, last seen then."""
        for device in self.network:
            if device["hwaddr"].lower() == mac.lower():
                device["ips"] = [i for i in device["ips"] if i["ip"] != ip]
                device["ips"].append({"ip": ip, "name": None, "lastSeen": int(seen)})
                return
        self.network.append(
            {
                "hwaddr": mac,
                "macVendor": "",
                "ips": [{"ip": ip, "name": None, "lastSeen": int(seen)}],
            }
        )

    def _groups_of(self, ip: str) -> list[int]:
        """The address's groups as FTL decided them when it first saw it (until a reload)."""
        if ip in self._decided:
            return self._decided[ip]
        by_age = sorted(self.clients, key=lambda c: c["id"])  # the oldest row wins
        mac = next((d["hwaddr"] for d in self.network for i in d["ips"] if i["ip"] == ip), None)
        groups = next((c["groups"] for c in by_age if c["client"].lower() == ip.lower()), None)
        if groups is None and mac:
            groups = next((c["groups"] for c in by_age if c["client"].lower() == mac.lower()), None)
        self._decided[ip] = list(groups) if groups is not None else [0]
        return self._decided[ip]

    def query(self, ip: str, domain: str, when: datetime | None = None) -> str:
        """A device looks domain up: Pi-hole decides by its groups and logs it.

        Allow entries (exact, then regex) win over deny entries, as in FTL; what is not
        blocked is answered (FORWARDED the first time, from the CACHE after).
        """
        status = "FORWARDED"
        list_id = None
        if self.blocking:
            groups = set(self._groups_of(ip))
            enabled = {g["id"] for g in self.groups if g["enabled"]}
            active = [
                e for e in self.domains if e["enabled"] and set(e["groups"]) & groups & enabled
            ]
            order = [("allow", "exact"), ("allow", "regex"), ("deny", "exact"), ("deny", "regex")]
            for type_, kind in order:
                entry = next(
                    (
                        e
                        for e in active
                        if e["type"] == type_
                        and e["kind"] == kind
                        and (
                            re.search(e["domain"], domain)
                            if kind == "regex"
                            else e["domain"] == domain
                        )
                    ),
                    None,
                )
                if entry is not None:
                    blocked = {"exact": "DENYLIST", "regex": "REGEX"}[kind]
                    status, list_id = (blocked if type_ == "deny" else "FORWARDED"), entry["id"]
                    break
        if status == "FORWARDED" and any(
            q["domain"] == domain and q["status"] in ("FORWARDED", "CACHE") for q in self.queries
        ):
            status = "CACHE"
        when = when or datetime.now(UTC)
        self._asked[ip] = max(self._asked.get(ip, 0.0), when.timestamp())
        if not self.table_lags:
            self.db_pass()  # a pass right after each lookup (DBinterval 0) unless told
        if self.privacy_level >= 3:  # anonymous: nothing is kept
            return status
        hide_domain = self.privacy_level >= 1
        hide_client = self.privacy_level >= 2
        self.queries.append(
            {
                "id": len(self.queries) + 1,
                "time": when.timestamp(),
                "type": "A",
                "status": status,
                "domain": "hidden" if hide_domain else domain,
                "client": {"ip": "0.0.0.0", "name": "hidden"}  # noqa: S104 - what FTL shows
                if hide_client
                else {"ip": ip, "name": None},
                "list_id": list_id,
                "upstream": "blocklist" if status in ("REGEX", "DENYLIST") else "8.8.8.8#53",
                "dnssec": "UNKNOWN",
                "reply": {"type": "IP", "time": 0.3},
                "ede": {"code": -1, "text": None},
                "cname": None,
            }
        )
        return status

    async def _queries(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        begin = float(request.query.get("from", "0"))
        until = float(request.query.get("until", "1e12"))  # exclusive
        length = int(request.query.get("length", "100"))
        offset = int(request.query.get("start", "0"))
        # The cursor pins the newest row of the first page, so pages do not shift.
        cursor = int(request.query.get("cursor", str(len(self.queries))))
        found = [q for q in self.queries[:cursor] if begin <= q["time"] < until]
        if client_ip := request.query.get("client_ip"):
            found = [q for q in found if q["client"]["ip"] == client_ip]
        if request.query.get("upstream") == "blocklist":
            found = [q for q in found if q["upstream"] == "blocklist"]
        found = [
            q
            for q in found
            if not any(re.search(p, q["client"]["ip"]) for p in self.exclude_clients)
            and not any(re.search(p, q["domain"]) for p in self.exclude_domains)
        ]
        found.sort(key=lambda q: q["time"], reverse=True)
        self.query_requests += 1
        if self.privacy_level >= 3:
            return _ok({"queries": [], "cursor": None, "recordsTotal": 0, "recordsFiltered": 0})
        return _ok(
            {
                "queries": found[offset : offset + length],
                "cursor": cursor,
                "recordsTotal": len(self.queries),
                "recordsFiltered": len(found),
                "draw": 0,
            }
        )

    async def _privacy_level(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        if not self.config_api:
            return _error(404, "not_found", "Not found")
        return _ok({"config": {"misc": {"privacylevel": self.privacy_level}}})

    async def _query_logging(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        return _ok({"config": {"dns": {"queryLogging": self.query_logging}}})

    async def _api_config(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        key = request.match_info["key"]
        values = {"excludeClients": self.exclude_clients, "excludeDomains": self.exclude_domains}
        if not self.config_api or key not in values:
            return _error(404, "not_found", "Not found")
        return _ok({"config": {"webserver": {"api": {key: values[key]}}}})

    async def _devices(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        return _ok({"devices": self.network})

    async def _all_domains(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        return _ok({"domains": self.domains})


def _newest_mac(table: list[dict[str, Any]], ip: str) -> str | None:
    """The MAC the network table saw with ip last."""
    rows = [(i.get("lastSeen", 0), d["hwaddr"]) for d in table for i in d["ips"] if i["ip"] == ip]
    return max(rows)[1].lower() if rows else None
