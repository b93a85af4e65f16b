"""The cloud guard's one exception handler: a filter's failures as translated errors.

As the platinum integrations wrap every call that talks to their device, every call into
the filter library goes through here: the coordinator's update (``filter_errors``), and
every change a switch, a button or an action asks for (``raise_unless_written``): the
change is stored first, so a filter that could not be
written gets it as soon as it answers again, and the user is told so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import UpdateFailed

from ..const import DOMAIN, LOGGER
from .dns.filters.base import FilterAuthError, FilterError


class WritesRules(Protocol):
    """What tells whether a filter's rules were written (a GuardCoordinator)."""

    @property
    def rules_written(self) -> bool:
        """Whether the last update wrote the rules."""

    @property
    def filter_title(self) -> str:
        """The filter entry's title."""


# The steps of an update after the filter answered its status; each failure names its own.
STEP_RULES = "rules"
STEP_CHECK = "check"
STEP_QUERY_LOG = "query_log"


@contextmanager
def filter_errors(step: str | None = None) -> Iterator[None]:
    """Turn the filter library's errors into the coordinator's translated ones.

    step names what was asked of a filter that already answered (its rules, the check of
    them, its query log): such a failure is said as that step's, never as "cannot be
    reached".
    """
    try:
        yield
    except FilterAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="filter_auth_failed"
        ) from err
    except FilterError as err:
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=f"filter_failed_{step}" if step else "filter_unreachable",
            translation_placeholders={"error": str(err)},
        ) from err


def raise_unless_written(coordinators: Iterable[WritesRules]) -> None:
    """Say so when a filter could not be written (the change is stored and applied later).

    A filter whose rules were written is not reported, whatever failed after (reading
    its query log, say): the change is in force.
    """
    down = [c.filter_title for c in coordinators if not c.rules_written]
    if not down:
        return
    LOGGER.warning(
        "%s not reachable: the change is stored and applied when it answers again",
        ", ".join(down),
    )
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="filter_not_updated",
        translation_placeholders={"filter": ", ".join(down)},
    )
