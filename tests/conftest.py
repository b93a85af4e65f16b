"""Fixtures shared by the Voice Guard tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import logging
import os
from pathlib import Path
import sys
import threading
from typing import Any

from homeassistant import block_async_io
from homeassistant.components.repairs import issue_handler
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import loop as loop_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.voice_guard.const import (
    CONF_ENGINE,
    CONF_KIND,
    CONF_LANGUAGE,
    CONF_MODEL_PATH,
    DOMAIN,
    ENGINE_EMBEDDED,
    KIND_SPEECH,
    NAME,
)
from custom_components.voice_guard.local_voice import setup as speech_setup
from custom_components.voice_guard.local_voice.engine import vosk_engine

from .fakes.adguard_home import FakeAdGuardHome
from .fakes.pihole import FakePiHole
from .speech import KITCHEN_ON, LIVING_ROOM_ON, MODEL_PATH, cached_load_model, speak


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from this checkout."""
    return


def _called_by_voice_guard() -> bool:
    """Whether Voice Guard's code (not a test calling one of its helpers) is on the stack."""
    frame = sys._getframe(2)
    ours = False
    while frame is not None:
        if f"custom_components{os.sep}{DOMAIN}{os.sep}" in frame.f_code.co_filename:
            ours = True
        elif ours:  # the caller of Voice Guard's outermost frame
            return f"{os.sep}tests{os.sep}" not in frame.f_code.co_filename
        frame = frame.f_back
    return ours


def _unless_voice_guard(
    check: Callable[[dict[str, Any]], bool] | None,
) -> Callable[[dict[str, Any]], bool]:
    """Allow every blocking call but those made by Voice Guard's own code."""

    def allowed(mapped_args: dict[str, Any]) -> bool:
        if check is not None and check(mapped_args):
            return True
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a plain function called by a synchronous test
            return True
        return not _called_by_voice_guard()

    return allowed


@pytest.fixture(autouse=True)
def fail_on_blocking_calls_and_deprecations(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which Voice Guard blocks the event loop or uses a deprecated API.

    Home Assistant checks for blocking calls only outside tests (and skips file access in
    tests): here every check it has reports, without raising, and a report that names
    Voice Guard, or a "will stop working" warning about it, fails the test.
    """
    loop_thread = threading.get_ident()
    patched = []
    for call in block_async_io._BLOCKING_CALLS:
        current = getattr(call.object, call.function)
        if current is not call.original_func:  # already protected by Home Assistant
            continue
        protected = loop_util.protect_loop(
            call.original_func,
            loop_thread_id=loop_thread,
            strict=False,
            strict_core=False,
            check_allowed=_unless_voice_guard(call.check_allowed),
        )
        setattr(call.object, call.function, protected)
        patched.append(call)
    loop_util._PREVIOUSLY_REPORTED.clear()
    try:
        yield
    finally:
        for call in patched:
            setattr(call.object, call.function, call.original_func)
    offences = [
        record.getMessage()
        for record in caplog.get_records("call") + caplog.get_records("setup")
        if record.levelno >= logging.WARNING
        and "voice_guard" in record.getMessage()
        and (
            "Detected blocking call" in record.getMessage()
            or "will stop working in Home Assistant" in record.getMessage()
        )
    ]
    assert not offences, offences[0]


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """Return the single Voice Guard entry, as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=NAME,
        unique_id=DOMAIN,
        minor_version=3,
        data={
            CONF_KIND: KIND_SPEECH,
            CONF_ENGINE: ENGINE_EMBEDDED,
            CONF_MODEL_PATH: str(MODEL_PATH),
            CONF_LANGUAGE: "ko",
        },
        options={},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up Voice Guard and return its entry."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
async def entry_without_model(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, tmp_path: Path
) -> MockConfigEntry:
    """Set up the speech entry with a model folder that is gone; return the entry."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_MODEL_PATH: str(tmp_path / "x")}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture(autouse=True)
def cache_vosk_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Load the real Korean model once per session instead of once per test."""
    monkeypatch.setattr(vosk_engine, "_load_model", cached_load_model)


@pytest.fixture(autouse=True)
def own_grammar_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test's home grammar folders in its own place.

    Home Assistant's test harness gives every test the same config folder; tests running
    side by side must not see (or clean up) each other's home models there.
    """
    monkeypatch.setattr(speech_setup, "GRAMMAR_FOLDER", str(tmp_path / "home-grammars"))


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for espeak-ng's output."""
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def living_room_on(speech_dir: Path) -> bytes:
    """'Turn on the living room light' in Korean, spoken by espeak-ng."""
    return speak(LIVING_ROOM_ON, speech_dir)


@pytest.fixture(scope="session")
def kitchen_on(speech_dir: Path) -> bytes:
    """'Turn on the kitchen light' in Korean, spoken by espeak-ng."""
    return speak(KITCHEN_ON, speech_dir)


@pytest.fixture
async def adguard(socket_enabled: None) -> AsyncIterator[FakeAdGuardHome]:
    """A running fake AdGuard Home holding one rule of the user's."""
    fake = FakeAdGuardHome()
    fake.user_rules = ["||ads.example.com^"]
    async with fake.serve():
        yield fake


@pytest.fixture
async def pihole(socket_enabled: None) -> AsyncIterator[FakePiHole]:
    """A running fake Pi-hole v6."""
    fake = FakePiHole()
    async with fake.serve():
        yield fake


@pytest.fixture
async def assist(hass: HomeAssistant) -> None:
    """Assist is loaded, as with default_config."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_pipeline", {})
    assert await async_setup_component(hass, "repairs", {})
    process = getattr(issue_handler, "async_process_repairs_platforms", None)
    if process is not None:
        await process(hass)
