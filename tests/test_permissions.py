"""Only administrators (and automations they wrote) lower a device's protection.

Measured from outside: a member of "Users" could allow the cloud for 7 days, apply a
policy with no block and switch a guard off. Each path that lowers protection is tried
here by such a user (refused, translated, nothing changed), by an administrator and by an
automation (a call with no user); raising protection stays open to everyone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from homeassistant.auth.const import GROUP_ID_ADMIN, GROUP_ID_USER
from homeassistant.auth.models import User
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.voice_guard.const import DOMAIN
from custom_components.voice_guard.permissions import NotAnAdministratorError

from .fakes.adguard_home import FakeAdGuardHome
from .guarded import KITCHEN_IP, device_of, filter_entry, kitchen, setup_entry

VOICE = "switch.kitchen_echo_block_cloud_voice"
TELEMETRY = "switch.kitchen_echo_block_telemetry"
HOST = "avs-alexa-na.amazon.com"


@pytest.fixture
async def owner(hass: HomeAssistant) -> User:
    """An administrator of the home (not its owner: the first user made is)."""
    await hass.auth.async_create_user("The owner", group_ids=[GROUP_ID_ADMIN])
    return await hass.auth.async_create_user("Owner", group_ids=[GROUP_ID_ADMIN])


@pytest.fixture
async def member(hass: HomeAssistant, owner: User) -> User:
    """A person in the "Users" group (a child's account)."""
    user = await hass.auth.async_create_user("Kid", group_ids=[GROUP_ID_USER])
    assert not user.is_owner
    return user


@pytest.fixture
async def guarded(hass: HomeAssistant, adguard: FakeAdGuardHome) -> str:
    """The kitchen Echo with cloud voice and telemetry blocked; returns its device id."""
    await setup_entry(
        hass,
        filter_entry(
            "adguard_home", adguard.url, kitchen(blocks=["block_voice", "block_telemetry"])
        ),
    )
    return device_of(hass, VOICE).id


def _lowering(device_id: str) -> dict[str, Callable[[HomeAssistant, Context], Awaitable[Any]]]:
    """Every action or switch that lowers the kitchen Echo's protection."""

    def call(domain: str, service: str, data: dict[str, Any]) -> Any:
        async def run(hass: HomeAssistant, context: Context) -> Any:
            return await hass.services.async_call(
                domain, service, data, blocking=True, context=context
            )

        return run

    return {
        "switch off": call("switch", "turn_off", {ATTR_ENTITY_ID: VOICE}),
        "allowance": call(
            DOMAIN, "allow_cloud_temporarily", {"device_id": device_id, "duration": "168:00:00"}
        ),
        "policy without a block": call(
            DOMAIN, "apply_policy", {"device_id": [device_id], "block": []}
        ),
        "policy with fewer blocks": call(
            DOMAIN, "apply_policy", {"device_id": [device_id], "block": ["block_telemetry"]}
        ),
        "allow button": call("button", "press", {ATTR_ENTITY_ID: ALLOW_BUTTON}),
    }


PATHS = (
    "switch off",
    "allowance",
    "policy without a block",
    "policy with fewer blocks",
    "allow button",
)
ALLOW_BUTTON = "button.kitchen_echo_allow_the_cloud"


@pytest.mark.parametrize("path", PATHS)
async def test_a_member_of_users_cannot_lower_protection(
    hass: HomeAssistant, adguard: FakeAdGuardHome, guarded: str, member: User, path: str
) -> None:
    with pytest.raises(NotAnAdministratorError) as err:
        await _lowering(guarded)[path](hass, Context(user_id=member.id))
    assert err.value.translation_key == "administrators_only"
    assert isinstance(err.value, ServiceValidationError)  # a clear answer, no traceback
    await hass.async_block_till_done()
    assert hass.states.get(VOICE).state == "on"
    assert hass.states.get(TELEMETRY).state == "on"
    assert adguard.query(KITCHEN_IP, HOST) == "FilteredBlackList"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("who", ["administrator", "automation"])
async def test_administrators_and_automations_can(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    guarded: str,
    owner: User,
    path: str,
    who: str,
) -> None:
    context = Context(user_id=owner.id) if who == "administrator" else Context()
    await _lowering(guarded)[path](hass, context)
    await hass.async_block_till_done()
    assert hass.states.get(VOICE).state == "off"
    assert adguard.query(KITCHEN_IP, HOST) == "NotFilteredNotFound"


async def test_an_inactive_administrator_account_cannot(
    hass: HomeAssistant, guarded: str, owner: User
) -> None:
    await hass.auth.async_deactivate_user(owner)
    with pytest.raises(NotAnAdministratorError):
        await _lowering(guarded)["switch off"](hass, Context(user_id=owner.id))


async def test_raising_protection_stays_open_to_everyone(
    hass: HomeAssistant, adguard: FakeAdGuardHome, guarded: str, owner: User, member: User
) -> None:
    """A member may turn a guard on, end an allowance and block more."""
    await _lowering(guarded)["allowance"](hass, Context(user_id=owner.id))
    kid = Context(user_id=member.id)
    await hass.services.async_call(
        DOMAIN, "end_cloud_allowance", {"device_id": guarded}, blocking=True, context=kid
    )
    await _lowering(guarded)["switch off"](hass, Context(user_id=owner.id))
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: VOICE}, blocking=True, context=kid
    )
    await hass.services.async_call(
        DOMAIN,
        "apply_policy",
        {"device_id": [guarded], "block": ["block_voice", "block_telemetry", "local_only"]},
        blocking=True,
        context=kid,
    )
    await hass.async_block_till_done()
    assert hass.states.get(VOICE).state == "on"
    assert adguard.query(KITCHEN_IP, HOST) == "FilteredBlackList"


async def test_the_refusal_reaches_the_frontend_translated(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_access_token: str,
    guarded: str,
    member: User,
) -> None:
    """Over the websocket, as the frontend calls it: an error in words, not a 500."""
    refresh = await hass.auth.async_create_refresh_token(member, "https://example.com/app")
    client = await hass_ws_client(hass, hass.auth.async_create_access_token(refresh))
    await client.send_json_auto_id(
        {"type": "call_service", "domain": "switch", "service": "turn_off",
         "target": {"entity_id": VOICE}}
    )  # fmt: skip
    reply = await client.receive_json()
    assert not reply["success"]
    assert reply["error"]["code"] == "service_validation_error"
    assert "Only an administrator of this home can turn off" in reply["error"]["message"]
    assert hass.states.get(VOICE).state == "on"


async def test_config_flows_that_change_or_remove_a_device_are_for_administrators(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    guarded: str,
    member: User,
) -> None:
    """Reconfigure and removal go through Home Assistant's admin-only config entry API.

    A member's token is refused there, before Voice Guard is asked.
    """
    assert await async_setup_component(hass, "config", {})
    refresh = await hass.auth.async_create_refresh_token(member, "https://example.com/app")
    client = await hass_client(hass.auth.async_create_access_token(refresh))
    entry: MockConfigEntry = hass.config_entries.async_entries(DOMAIN)[0]  # type: ignore[assignment]
    subentry_id = next(iter(entry.subentries))
    started = await client.post(
        "/api/config/config_entries/subentries/flow",
        json={"handler": [entry.entry_id, "guarded_device"], "subentry_id": subentry_id,
              "source": "reconfigure"},
    )  # fmt: skip
    assert started.status == HTTPStatus.UNAUTHORIZED
    removed = await client.delete(f"/api/config/config_entries/entry/{entry.entry_id}")
    assert removed.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND)
    assert hass.config_entries.async_get_entry(entry.entry_id) is not None
