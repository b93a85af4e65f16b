"""Fixtures for the cloud guard library tests: the catalog and the filter fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.voice_guard.cloud_guard.dns.catalog import Catalog, DeviceType, load_catalog
from custom_components.voice_guard.cloud_guard.dns.policy import (
    Block,
    DevicePolicy,
    GuardedDevice,
    desired_policy,
)

CATALOG = load_catalog()


def echo(number: int = 1, **kwargs: object) -> GuardedDevice:
    """An Echo Dot at 192.168.1.<19 + number>."""
    return GuardedDevice(
        device_id=f"dev{number:03d}",
        name=f"Echo {number}",
        device_type=DeviceType.ECHO_DOT,
        ips=(f"192.168.1.{19 + number}",),
        **kwargs,  # type: ignore[arg-type]
    )


def policy(device: GuardedDevice, *blocks: Block, catalog: Catalog = CATALOG) -> DevicePolicy:
    """The device's policy with the given switches on."""
    return desired_policy(device, set(blocks), catalog)


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session (Home Assistant injects its shared one)."""
    async with aiohttp.ClientSession() as client:
        yield client
