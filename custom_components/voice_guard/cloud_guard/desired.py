"""The desired policy and the switch API: each guarded device's switches and allowances.

This is what the user asked for, kept in Home Assistant's storage (never only in the
filter). Reading it never changes it. Switches, buttons and actions change it through the
async_* methods here, which store it at once and ask for it to be applied (the
coordinator's update writes the rules). An allowance ends by itself at its time, also
after a restart; each start and end is written to the logbook.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from .dns.policy import Block, GuardedDevice, blocks_for
from .logbook_entries import GuardLogbook

DEFAULT_ALLOWANCE = timedelta(hours=1)
POLICY_OFF = "off"
POLICY_ALLOWED = "allowed_temporarily"
# What is in force, in one word (the Policy sensor's states, privacy_report's words).
POLICY_STATES = (
    POLICY_OFF,
    POLICY_ALLOWED,
    "voice",
    "alexa_plus",
    "telemetry",
    "voice_and_telemetry",
    "alexa_plus_and_telemetry",
    "local_only",
)


class DesiredPolicy:
    """The switches that are on per device, and until when a device's blocks are lifted."""

    def __init__(
        self,
        hass: HomeAssistant,
        devices: Callable[[], Mapping[str, GuardedDevice]],
        initial: Callable[[str], Collection[str]],
        apply: Callable[[], Awaitable[None]],
        logbook: GuardLogbook,
    ) -> None:
        """Use initial for a device's switches until one is changed; apply after a change."""
        self._hass = hass
        self._devices = devices
        self._initial = initial
        self._apply = apply
        self._logbook = logbook
        self._blocks: dict[str, list[str]] = {}
        self._allowed: dict[str, str] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}
        # The length the device page's Allow button starts (its select entity keeps it).
        self._lengths: dict[str, timedelta] = {}

    def load(self, stored: dict[str, Any]) -> None:
        """Take back what stored() gave; allowances still running end at their time."""
        self._blocks = dict(stored.get("blocks") or {})
        self._allowed = dict(stored.get("allowed") or {})
        for device_id, until in list(self._allowed.items()):
            when = datetime.fromisoformat(until)
            if when > dt_util.utcnow():
                self._schedule_end(device_id, when)
            else:
                del self._allowed[device_id]

    def stored(self) -> dict[str, Any]:
        """Return the policy as the store keeps it."""
        return {"blocks": self._blocks, "allowed": self._allowed}

    def enabled(self, device_id: str) -> set[Block]:
        """Return the switches that are on (those chosen when the device was added, first)."""
        stored = self._blocks.get(device_id)
        return {Block(b) for b in (stored if stored is not None else self._initial(device_id))}

    def allowed_until(self, device_id: str) -> datetime | None:
        """Return until when a device's blocks are lifted, if they are."""
        until = self._allowed.get(device_id)
        if until is None:
            return None
        when = datetime.fromisoformat(until)
        return when if when > dt_util.utcnow() else None

    def in_force(self, device_id: str) -> set[Block]:
        """Return the blocks to apply now: none while the device is allowed the cloud."""
        return set() if self.allowed_until(device_id) else self.enabled(device_id)

    def choose(self, blocks: Mapping[str, set[Block]]) -> None:
        """Set all switches of each device given."""
        for device_id, chosen in blocks.items():
            self._blocks[device_id] = sorted(b.value for b in chosen)

    def allow(self, device_id: str, duration: timedelta) -> datetime:
        """Lift a device's blocks for a while; return until when."""
        until = dt_util.utcnow() + duration
        self._allowed[device_id] = until.isoformat()
        self._schedule_end(device_id, until)
        return until

    def end_allowance(self, device_id: str) -> bool:
        """End a device's allowance now; return whether one was running."""
        if (cancel := self._timers.pop(device_id, None)) is not None:
            cancel()
        return self._allowed.pop(device_id, None) is not None

    def policy_state(self, device_id: str) -> str:
        """Summarise what is in force in one word (Alexa+ includes voice, see the switch)."""
        if self.allowed_until(device_id) is not None:
            return POLICY_ALLOWED
        blocks = self.enabled(device_id)
        if Block.ALL_CLOUD in blocks:
            return "local_only"
        voice = (
            "alexa_plus"
            if Block.GENERATIVE in blocks
            else "voice"
            if Block.VOICE in blocks
            else None
        )
        telemetry = "telemetry" if Block.TELEMETRY in blocks else None
        return "_and_".join(filter(None, [voice, telemetry])) or POLICY_OFF

    def set_allowance_length(self, device_id: str, length: timedelta) -> None:
        """Remember how long the device page's next allowance lasts."""
        self._lengths[device_id] = length

    def allowance_length(self, device_id: str) -> timedelta:
        """How long the device page's next allowance lasts (an hour unless chosen)."""
        return self._lengths.get(device_id, DEFAULT_ALLOWANCE)

    def has_switch(self, device_id: str, block: Block) -> bool:
        """Whether a guarded device's type has this switch."""
        device = self._devices().get(device_id)
        return device is not None and block in blocks_for(device.device_type)

    async def async_set_blocks(self, blocks: Mapping[str, set[Block]]) -> None:
        """Set all switches of the devices given, store them, and apply them in one update."""
        self.choose(blocks)
        await self._apply()

    async def async_set_block(self, device_id: str, block: Block, *, on: bool) -> None:
        """Change one switch, store it, and apply it to the filter at once.

        Turning a switch on ends a running cloud allowance: the owner wants blocks now.
        """
        if on and self.end_allowance(device_id):
            self._logbook.allowance_ended(device_id, self._name(device_id), early=True)
        blocks = self.enabled(device_id)
        await self.async_set_blocks({device_id: blocks | {block} if on else blocks - {block}})

    async def async_allow_temporarily(self, device_id: str, duration: timedelta) -> datetime:
        """Lift a device's blocks for a while; they return by themselves, even after a restart."""
        until = self.allow(device_id, duration)
        self._logbook.allowed(device_id, self._name(device_id), until)
        await self._apply()
        return until

    async def async_end_allowance(self, device_id: str) -> bool:
        """End a device's cloud allowance now; return whether one was running."""
        if not self.end_allowance(device_id):
            return False
        self._logbook.allowance_ended(device_id, self._name(device_id), early=True)
        await self._apply()
        return True

    def _name(self, device_id: str) -> str:
        device = self._devices().get(device_id)
        return device.name if device is not None else device_id

    def keep_only(self, devices: Collection[str]) -> None:
        """Forget the switches of devices no longer guarded."""
        self._blocks = {d: b for d, b in self._blocks.items() if d in devices}

    def stop(self) -> None:
        """Cancel the allowances' timers (on unload); they resume at the next start."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()

    def _schedule_end(self, device_id: str, until: datetime) -> None:
        if (cancel := self._timers.pop(device_id, None)) is not None:
            cancel()

        async def _end(_now: datetime) -> None:
            self._timers.pop(device_id, None)
            if self._allowed.get(device_id) == until.isoformat():
                del self._allowed[device_id]
                LOGGER.info("Blocks of %s are in force again", device_id)
                self._logbook.allowance_ended(device_id, self._name(device_id), early=False)
                await self._apply()

        self._timers[device_id] = async_track_point_in_utc_time(self._hass, _end, until)
