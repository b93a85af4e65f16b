"""A fake Pi-hole v6 API.

Sessions that expire and are limited in number, groups, clients, domain lists with their
UNIQUE (domain, type, kind) constraint, blocking by group membership, a query log and the
network table.
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


def _error(status: int, key: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"key": key, "message": message, "hint": None}}, status=status
    )


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
        self.blocking = True
        self.groups: list[dict[str, Any]] = [
            {"id": 0, "name": "Default", "comment": "The default group", "enabled": True}
        ]
        self.clients: list[dict[str, Any]] = []
        self.domains: list[dict[str, Any]] = []
        self.queries: list[dict[str, Any]] = []
        self.network: list[dict[str, Any]] = []
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
        app.router.add_get("/api/domains/{type}/{kind}", self._list_domains)
        app.router.add_post("/api/domains/{type}/{kind}", self._add_domains)
        app.router.add_put("/api/domains/{type}/{kind}/{domain:.+}", self._put_domain)
        app.router.add_delete("/api/domains/{type}/{kind}/{domain:.+}", self._delete_domain)
        app.router.add_post("/api/domains:batchDelete", self._batch_delete)
        app.router.add_get("/api/queries", self._queries)
        app.router.add_get("/api/network/devices", self._devices)

    # --- sessions -------------------------------------------------------------------------

    def expire_sessions(self) -> None:
        """Let every session run out, as after 30 minutes without requests."""
        self.sessions.clear()

    def _valid(self, request: web.Request) -> bool:
        sid = request.headers.get("X-FTL-SID") or request.query.get("sid")
        expires = self.sessions.get(sid or "")
        if expires is None or expires < time.monotonic():
            return False
        self.sessions[sid or ""] = time.monotonic() + self.validity  # use extends validity
        return True

    async def _login(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("password") != self.password:
            return web.json_response(
                {
                    "session": {
                        "valid": False,
                        "totp": False,
                        "sid": None,
                        "validity": -1,
                        "message": "password incorrect",
                    }
                },
                status=401,
            )
        now = time.monotonic()
        self.sessions = {s: e for s, e in self.sessions.items() if e >= now}
        if len(self.sessions) >= self.seats:
            return _error(429, "api_seats_exceeded", "API seats exceeded")
        sid = secrets.token_urlsafe(16)
        self.sessions[sid] = now + self.validity
        self.logins += 1
        return web.json_response(
            {
                "session": {
                    "valid": True,
                    "totp": False,
                    "sid": sid,
                    "csrf": "x",
                    "validity": self.validity,
                    "message": "app-password correct",
                }
            }
        )

    async def _logout(self, request: web.Request) -> web.Response:
        sid = request.headers.get("X-FTL-SID", "")
        if self.sessions.pop(sid, None) is None:
            return _error(401, "unauthorized", "Unauthorized")
        return web.Response(status=204)

    def _unauthorized(self) -> web.Response:
        return _error(401, "unauthorized", "Unauthorized")

    # --- reads -----------------------------------------------------------------------------

    async def _version(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        return web.json_response(
            {"version": {"ftl": {"local": {"version": "v6.2.3", "branch": "master"}}}}
        )

    async def _blocking(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        return web.json_response(
            {"blocking": "enabled" if self.blocking else "disabled", "timer": None}
        )

    def _list(self, key: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            if not self._valid(request):
                return self._unauthorized()
            return web.json_response({key: getattr(self, key), "took": 0.001})

        return handler

    # --- groups ----------------------------------------------------------------------------

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def _add_group(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        body = await request.json()
        if any(g["name"] == body["name"] for g in self.groups):
            return _error(400, "database_error", "UNIQUE constraint failed: group.name")
        group = {
            "id": self._id(),
            "name": body["name"],
            "comment": body.get("comment"),
            "enabled": body.get("enabled", True),
        }
        self.groups.append(group)
        return web.json_response(
            {"groups": [group], "processed": {"success": [{"item": body["name"]}], "errors": []}},
            status=201,
        )

    async def _put_group(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        name = unquote(request.match_info["name"])
        body = await request.json()
        for group in self.groups:
            if group["name"] == name:
                group.update(
                    name=body.get("name", name),
                    comment=body.get("comment"),
                    enabled=body.get("enabled", True),
                )
                return web.json_response({"groups": [group]})
        return _error(400, "uri_error", "item_missing")

    async def _delete_group(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        name = unquote(request.match_info["name"])
        group = next((g for g in self.groups if g["name"] == name), None)
        if group is None:
            return _error(404, "not_found", "Item not found")
        self.groups.remove(group)
        for item in self.clients + self.domains:  # Pi-hole's triggers drop the links
            item["groups"] = [g for g in item["groups"] if g != group["id"]]
        return web.Response(status=204)

    # --- clients ---------------------------------------------------------------------------

    async def _add_client(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        body = await request.json()
        name = str(body["client"]).lower()
        if any(c["client"] == name for c in self.clients):
            return _error(400, "database_error", "UNIQUE constraint failed: client.ip")
        client = {
            "id": self._id(),
            "client": name,
            "comment": body.get("comment"),
            "groups": list(body.get("groups") or [0]),
        }
        self.clients.append(client)
        return web.json_response({"clients": [client]}, status=201)

    async def _put_client(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        name = unquote(request.match_info["client"]).lower()
        body = await request.json()
        for client in self.clients:
            if client["client"] == name:
                client.update(comment=body.get("comment"), groups=list(body.get("groups") or []))
                return web.json_response({"clients": [client]})
        return _error(400, "uri_error", "item_missing")

    async def _delete_client(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        name = unquote(request.match_info["client"]).lower()
        before = len(self.clients)
        self.clients = [c for c in self.clients if c["client"] != name]
        return (
            web.Response(status=204)
            if len(self.clients) < before
            else _error(404, "not_found", "Item not found")
        )

    # --- domains ---------------------------------------------------------------------------

    async def _list_domains(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        kind = f"{request.match_info['type']}/{request.match_info['kind']}"
        return web.json_response(
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
        body = await request.json()
        type_, kind = request.match_info["type"], request.match_info["kind"]
        names = body["domain"] if isinstance(body["domain"], list) else [body["domain"]]
        success, errors, added = [], [], []
        for name in names:
            if kind == "regex":
                try:
                    re.compile(name)
                except re.error:
                    errors.append({"item": name, "error": "Invalid regex"})
                    continue
            if any(
                d["domain"] == name and d["type"] == type_ and d["kind"] == kind
                for d in self.domains
            ):
                errors.append(
                    {
                        "item": name,
                        "error": "UNIQUE constraint failed: domainlist.domain, domainlist.type",
                    }
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
            self.domains.append(entry)
            added.append(entry)
            success.append({"item": name})
        status = 201 if success else 400
        return web.json_response(
            {"domains": added, "processed": {"success": success, "errors": errors}}, status=status
        )

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
        entry = self._find(request)
        if entry is None:
            return _error(400, "uri_error", "item_missing")
        body = await request.json()
        entry.update(
            comment=body.get("comment"),
            groups=list(body.get("groups") or []),
            enabled=body.get("enabled", True),
        )
        return web.json_response({"domains": [entry]})

    async def _delete_domain(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        entry = self._find(request)
        if entry is None:
            return _error(404, "not_found", "Item not found")
        self.domains.remove(entry)
        return web.Response(status=204)

    async def _batch_delete(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
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
        return web.Response(status=204)

    # --- resolving and logging -------------------------------------------------------------

    def _groups_of(self, ip: str) -> list[int]:
        mac = next((d["hwaddr"] for d in self.network for i in d["ips"] if i["ip"] == ip), None)
        for client in self.clients:
            if client["client"] in (ip, (mac or "").lower()):
                return client["groups"]
        return [0]

    def query(self, ip: str, domain: str, when: datetime | None = None) -> str:
        """A device looks domain up: Pi-hole decides by its groups and logs it."""
        status = "FORWARDED"
        list_id = None
        if self.blocking:
            groups = set(self._groups_of(ip))
            enabled = {g["id"] for g in self.groups if g["enabled"]}
            for entry in self.domains:
                if not entry["enabled"] or not (set(entry["groups"]) & groups & enabled):
                    continue
                if entry["kind"] == "regex" and re.search(entry["domain"], domain):
                    status, list_id = (
                        ("REGEX" if entry["type"] == "deny" else "FORWARDED"),
                        entry["id"],
                    )
                    break
                if entry["kind"] == "exact" and entry["domain"] == domain:
                    status, list_id = (
                        ("DENYLIST" if entry["type"] == "deny" else "FORWARDED"),
                        entry["id"],
                    )
                    break
        when = when or datetime.now(UTC)
        self.queries.append(
            {
                "id": len(self.queries) + 1,
                "time": when.timestamp(),
                "type": "A",
                "status": status,
                "domain": domain,
                "client": {"ip": ip, "name": None},
                "list_id": list_id,
                "upstream": None,
            }
        )
        return status

    async def _queries(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        start = float(request.query.get("from", "0"))
        until = float(request.query.get("until", "1e12"))
        length = int(request.query.get("length", "100"))
        found = [q for q in self.queries if start <= q["time"] <= until]
        found.sort(key=lambda q: q["time"], reverse=True)
        return web.json_response(
            {
                "queries": found[:length],
                "cursor": None,
                "recordsTotal": len(self.queries),
                "recordsFiltered": len(found),
            }
        )

    async def _devices(self, request: web.Request) -> web.Response:
        if not self._valid(request):
            return self._unauthorized()
        return web.json_response({"devices": self.network})
