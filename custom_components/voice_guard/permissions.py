"""Only the home's administrators (and what they wrote) lower a device's protection.

Home Assistant lets every user call every action and switch every entity. A family's
children's accounts could then switch the guard off, start a week of cloud access or
take a satellite off the private pipeline. Voice Guard refuses those steps to a user who
is not an administrator:

- a call made by a person carries that person's user id in its context: it must be an
  administrator (or a system user Home Assistant made an administrator);
- a call with no user (an automation's trigger, a time, Home Assistant itself) comes from
  what an administrator wrote and is let through;
- raising protection (turning a guard on, ending an allowance) stays open to everyone.

A script run by a non-administrator runs in that user's context, so it is refused too:
"a non-administrator cannot lower protection by any path".
"""

from __future__ import annotations

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN


class NotAnAdministratorError(ServiceValidationError):
    """A user who is not an administrator tried to lower a device's protection."""


async def async_require_administrator(
    hass: HomeAssistant, context: Context | None, what: str
) -> None:
    """Refuse what lowers protection unless an administrator (or no person) asked.

    what names the step in the error ("turn off Echo Dot Kitchen Block cloud voice").
    """
    if context is None or context.user_id is None:
        return
    user = await hass.auth.async_get_user(context.user_id)
    if user is not None and user.is_active and user.is_admin:
        return
    raise NotAnAdministratorError(
        translation_domain=DOMAIN,
        translation_key="administrators_only",
        translation_placeholders={"what": what},
    )
