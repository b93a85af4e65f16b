"""A filter that answers what no filter should: every case ends in the library's own error.

Table-driven: a loopback server answers each path with a fixed body (or a huge or endless
one); the clients must raise FilterResponseError (a translated "unexpected answer" for
the user) or skip what has the wrong shape, never an AttributeError or a memory spike.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from datetime import UTC, datetime, timedelta
import json
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import AdGuardHome
from custom_components.voice_guard.cloud_guard.dns.filters.base import (
    MAX_BODY,
    FilterError,
    FilterResponseError,
)
from custom_components.voice_guard.cloud_guard.dns.filters.pihole import PiHole
from custom_components.voice_guard.cloud_guard.dns.policy import Block

from .conftest import echo, policy

Answer = bytes | Callable[[web.Request], Awaitable[web.StreamResponse]]
LOGIN = json.dumps({"session": {"valid": True, "sid": "s", "validity": 300}}).encode()


@contextlib.asynccontextmanager
async def liar(answers: dict[str, Answer]) -> AsyncIterator[str]:
    """Serve each path's answer (JSON bytes, or a handler) on loopback; yield the base URL."""

    async def handle(request: web.Request) -> web.StreamResponse:
        answer = answers.get(request.path, b"{}")
        if callable(answer):
            return await answer(request)
        return web.Response(body=answer, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def endless(request: web.Request) -> web.StreamResponse:
    """A chunked body that never ends."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    with contextlib.suppress(ConnectionError):
        await response.write(b"[")
        while True:
            await response.write(b"0," * 32_768)
            await asyncio.sleep(0)
    return response  # pragma: no cover - the client hangs up first


TOO_BIG = b"[" + b"0," * (MAX_BODY // 2) + b"0]"


@pytest.mark.parametrize(
    ("answers", "call"),
    [
        ({"/api/auth": b"[1, 2]"}, "info"),
        ({"/api/auth": b'{"session": "yes"}'}, "info"),
        ({"/api/auth": b'{"session": {"valid": "yes"}}'}, "info"),
        ({"/api/auth": b'{"session": {"valid": true, "sid": 5}}'}, "info"),
        ({"/api/auth": b'{"session": {"valid": true, "validity": "long"}}'}, "info"),
        ({"/api/auth": TOO_BIG}, "info"),
        ({"/api/auth": endless}, "info"),
        ({"/api/auth": LOGIN, "/api/info/version": TOO_BIG}, "info"),
    ],
    ids=[
        "list",
        "session-text",
        "valid-text",
        "sid-number",
        "validity-text",
        "big",
        "endless",
        "big-info",
    ],
)
async def test_pihole_answers_of_the_wrong_shape(
    answers: dict[str, Answer], call: str, session: aiohttp.ClientSession
) -> None:
    """A login or an answer no Pi-hole gives is the library's error, read within bounds."""
    async with liar(answers) as url:
        client = PiHole(session, url, "secret")
        with pytest.raises(FilterError) as err:
            await asyncio.wait_for(getattr(client, call)(), timeout=60)  # a hang guard
        await client.close()
    assert isinstance(err.value, FilterResponseError), err.value


async def test_pihole_clients_of_the_wrong_shape_are_skipped(
    session: aiohttp.ClientSession,
) -> None:
    """Devices of the network table that are no device are left out, the rest listed."""
    table: dict[str, Any] = {
        "devices": [
            None,
            3,
            {"ips": "192.168.1.5", "hwaddr": 5},
            {"ips": [None, {"ip": 7, "name": ["x"]}], "hwaddr": "aa:bb"},
            {"ips": [{"ip": "192.168.1.50", "name": "echo"}], "hwaddr": "F0:27:2D:11:22:33"},
        ]
    }
    async with liar(
        {"/api/auth": LOGIN, "/api/network/devices": json.dumps(table).encode()}
    ) as url:
        client = PiHole(session, url, "secret")
        clients = await client.clients()
        await client.close()
    assert [(c.ip, c.mac, c.name) for c in clients] == [
        ("192.168.1.50", "f0:27:2d:11:22:33", "echo")
    ]


async def test_adguard_clients_of_the_wrong_shape_are_skipped(
    session: aiohttp.ClientSession,
) -> None:
    """Clients of another shape (null, numbers, ids as text) are skipped."""
    clients = {
        "clients": [
            None,
            3,
            {"ids": "192.168.1.9", "name": 5},
            {"ids": ["192.168.1.50"], "name": "Echo"},
        ],
        "auto_clients": [None, {"ip": 5}, {"ip": "192.168.1.60", "whois_info": "x"}],
    }
    async with liar({"/control/clients": json.dumps(clients).encode()}) as url:
        found = await AdGuardHome(session, url, "", "").clients()
    assert [(c.ip, c.name) for c in found] == [("192.168.1.50", "Echo"), ("192.168.1.60", None)]


@pytest.mark.parametrize(
    "answer",
    [
        TOO_BIG,
        endless,
        b"[null, 3]",
        b'"text"',
        b'{"version": 107, "protection_enabled": true}',
        b'{"version": "v0.107.79", "protection_enabled": "false"}',
        b'{"version": "v0.107.79"}',
    ],
    ids=["big", "endless", "list", "text", "version-number", "switch-text", "no-switch"],
)
async def test_adguard_answers_too_big_or_of_the_wrong_shape(
    answer: Answer, session: aiohttp.ClientSession
) -> None:
    """A status of 5 MB, an endless body or no object: the library's error, within bounds."""
    async with liar({"/control/status": answer}) as url:
        with pytest.raises(FilterResponseError):
            await asyncio.wait_for(AdGuardHome(session, url, "", "").info(), timeout=60)


async def test_query_logs_holding_null_entries_are_read_past_them(
    session: aiohttp.ClientSession,
) -> None:
    """Null or numbers among the lookups are no lookups: the rest is read as usual."""
    since = datetime.now(UTC) - timedelta(minutes=5)
    now = datetime.now(UTC).isoformat()
    lookup = {
        "time": now,
        "question": {"name": "avs-alexa-na.amazon.com"},
        "client": "192.168.1.20",
        "reason": "FilteredBlackList",
    }
    answers = {"/control/querylog": json.dumps({"data": [None, 3, lookup], "oldest": ""}).encode()}
    async with liar(answers) as url:
        log = await AdGuardHome(session, url, "", "").query_log(
            [policy(echo(), Block.VOICE)], since
        )
    # The one real lookup among the junk is read and counted: blocked, the device's, its time.
    assert [(q.device_id, q.host, q.blocked) for q in log.blocked] == [
        ("dev001", "avs-alexa-na.amazon.com", True)
    ]
    assert log.answered == []
    assert log.last_lookup["dev001"] == datetime.fromisoformat(now)
    assert log.lookups == {
        "dev001": [("avs-alexa-na.amazon.com", datetime.fromisoformat(now), True)]
    }
    queries = {
        "queries": [
            None,
            7,
            {
                "time": datetime.now(UTC).timestamp(),
                "domain": "x.example",
                "client": {"ip": "192.168.1.20"},
                "status": "GRAVITY",
            },
        ],
        "cursor": None,
    }
    pihole_answers = {"/api/auth": LOGIN, "/api/queries": json.dumps(queries).encode()}
    async with liar(pihole_answers) as url:
        client = PiHole(session, url, "secret")
        log = await client.query_log([policy(echo(), Block.VOICE)], since)
        await client.close()
    # A lookup of no guarded host: seen (the device asks), neither blocked nor answered proof.
    assert (log.blocked, log.answered) == ([], [])
    assert list(log.last_lookup) == ["dev001"]
    assert [(host, blocked) for host, _, blocked in log.lookups["dev001"]] == [("x.example", True)]
