"""Drive the real Home Assistant frontend in Debian's Chromium through a newcomer's first hour.

Starts the fake AdGuard Home and scripts/develop on free loopback ports with a fresh
config, then runs tests/browser/first_hour.mjs (playwright-core, installed by
scripts/setup under .venvs/node, never a browser download). Screenshots are kept in
.venvs/browser-shots for people to look at. Run by scripts/test, or by hand:

    python3 scripts/browser_check.py
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import shutil
import subprocess
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smoke_develop import REPO, Client, free_port, start_develop, stop, wait_until_up

CONFIG = REPO / ".venvs" / "browser-config"
SHOTS = REPO / ".venvs" / "browser-shots"
LOG = REPO / ".venvs" / "browser-develop.log"
PLAYWRIGHT = REPO / ".venvs" / "node" / "node_modules"
BROWSER_TIMEOUT = 300
# Home Assistant runs with --debug (asyncio debug): blocking calls and callbacks slower
# than 0.1 s are logged with the code that ran. Ours may show up as slow, not as stuck.
SLOW_LIMIT = 0.5
_SLOW = re.compile(r"Executing <.*custom_components/voice_guard/.* took (\d+\.\d+) seconds")


def event_loop_offences(log: str) -> list[str]:
    """Return the log's reports of Voice Guard blocking or stalling the event loop."""
    offences = []
    for line in log.splitlines():
        reported = "voice_guard" in line and (
            "Detected blocking call" in line or "will stop working in Home Assistant" in line
        )
        slow = _SLOW.search(line)
        if reported or (slow and float(slow.group(1)) >= SLOW_LIMIT):
            offences.append(line)
        elif slow:
            print(f"  note: {line[-200:]}")
    return offences


# The logbook, as a user has it (default_config): the recorder's database lives in the
# check's fresh config folder.
HISTORY = """\
recorder:
history:
logbook:
"""

FAKE_ADGUARD = "source scripts/lib/common.sh && run_new python -m tests.browser.fake_adguard"


def main() -> int:
    """Run the browser test against fresh instances; 0 when every step passed."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    fake = subprocess.Popen(
        ["bash", "-c", FAKE_ADGUARD], cwd=REPO, stdout=subprocess.PIPE, start_new_session=True
    )
    port = free_port()
    develop = start_develop(CONFIG, port, LOG, args=("--debug",), packages={"history": HISTORY})
    try:
        assert fake.stdout is not None
        adguard_url = fake.stdout.readline().decode().strip()
        if not adguard_url.startswith("http://127.0.0.1:"):
            print(f"browser: the fake AdGuard Home did not start ({adguard_url!r})")
            return 1
        wait_until_up(Client(f"http://127.0.0.1:{port}"), develop)
        browser_env = {
            **os.environ,
            "HA_URL": f"http://127.0.0.1:{port}",
            "ADGUARD_URL": adguard_url,
            "SHOTS": str(SHOTS),
            "PLAYWRIGHT_DIR": str(PLAYWRIGHT),
        }
        try:
            done = subprocess.run(
                ["node", str(REPO / "tests" / "browser" / "first_hour.mjs")],
                env=browser_env,
                timeout=BROWSER_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            print(f"browser: no end after {BROWSER_TIMEOUT} s")
            return 1
        if done.returncode:
            print(f"  screenshots: {SHOTS}; Home Assistant's log: {LOG}")
        offences = event_loop_offences(LOG.read_text(errors="replace"))
        for line in offences:
            print(f"  FAIL in the event loop: {line[:400]}")
        print(f"browser: Voice Guard in the event loop: {len(offences)} reports")
        return done.returncode or (1 if offences else 0)
    finally:
        stop(develop)
        stop(fake)


if __name__ == "__main__":
    sys.exit(main())
