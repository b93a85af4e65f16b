"""Pin the development instance's HTTP server to 127.0.0.1:<port> (run by scripts/develop).

Home Assistant 2026 keeps its HTTP settings in .storage/http as a confirmed "stable"
config and an unconfirmed "pending" one. YAML is imported once, as pending, and reverted
(with a restart) unless someone confirms it within five minutes; the next start then
listens on 0.0.0.0:8123. So on 2026 this writes the wanted settings as the stable config,
with nothing pending, before every start. Home Assistant 2025 reads http: from YAML only:
there it writes a package file instead.

    python dev_http.py <config folder> <port>
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from pathlib import Path
import sys

HOST = "127.0.0.1"
PACKAGE = "voice_guard_dev_http.yaml"


def main(config: Path, port: int) -> None:
    """Write the HTTP settings the way this Home Assistant version reads them."""
    package = config / "packages" / PACKAGE
    try:
        from homeassistant.components.http import config as http_config  # noqa: PLC0415
    except ImportError:  # Home Assistant 2025: YAML only, and no trial period
        package.parent.mkdir(parents=True, exist_ok=True)
        package.write_text(f"http:\n  server_host: {HOST}\n  server_port: {port}\n")
        return
    package.unlink(missing_ok=True)
    store = config / ".storage" / "http"
    wanted = http_config.HTTP_STORAGE_SCHEMA({"server_host": [HOST], "server_port": port})
    if store.exists():
        # Home Assistant 2025 keeps a flat config here (no "stable"): then it is rewritten.
        data = json.loads(store.read_text()).get("data") or {}
        current = data.get("stable") if isinstance(data.get("stable"), dict) else {}
        stable = {k: v for k, v in current.items() if k in wanted}
        if stable == wanted and data.get("pending") is None and data.get("yaml_migration_done"):
            return
    stable = {
        **wanted,
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    store.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "version": http_config.STORAGE_VERSION,
        "minor_version": http_config.STORAGE_MINOR_VERSION,
        "key": http_config.STORAGE_KEY,
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }
    store.write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
