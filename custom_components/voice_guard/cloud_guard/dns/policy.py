"""From a device's switches to the host patterns its filter must block."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .catalog import ECHO_TYPES, VOICE_TYPES, Catalog, Category, DeviceType
from .hosts import matches, minimize


class Block(StrEnum):
    """The per-device switches."""

    VOICE = "block_voice"
    GENERATIVE = "block_generative"
    TELEMETRY = "block_telemetry"
    ALL_CLOUD = "local_only"


# What each switch blocks. Alexa+ on an Echo uses the same voice gateway as classic
# Alexa, so blocking Alexa+ on a device necessarily blocks its cloud voice too.
BLOCK_CATEGORIES: dict[Block, frozenset[Category]] = {
    Block.VOICE: frozenset({Category.VOICE}),
    Block.GENERATIVE: frozenset({Category.GENERATIVE, Category.VOICE}),
    Block.TELEMETRY: frozenset({Category.TELEMETRY, Category.ADS}),
    Block.ALL_CLOUD: frozenset(Category),
}


def blocks_for(device_type: DeviceType) -> list[Block]:
    """Return the switches a device type has."""
    blocks = []
    if device_type in VOICE_TYPES:
        blocks.append(Block.VOICE)
    if device_type in ECHO_TYPES:
        blocks.append(Block.GENERATIVE)
    blocks += [Block.TELEMETRY, Block.ALL_CLOUD]
    return blocks


@dataclass(frozen=True, slots=True)
class GuardedDevice:
    """A device as the user described it."""

    device_id: str
    name: str
    device_type: DeviceType
    ips: tuple[str, ...] = ()
    macs: tuple[str, ...] = ()
    extra_voice_hosts: tuple[str, ...] = ()
    extra_telemetry_hosts: tuple[str, ...] = ()

    @property
    def clients(self) -> tuple[str, ...]:
        """How the filter recognises the device."""
        return self.ips + self.macs


@dataclass(frozen=True, slots=True)
class DevicePolicy:
    """A device and the host patterns it must not reach."""

    device: GuardedDevice
    hosts: tuple[str, ...]
    # Every pattern behind the policy, also those a broader one covers -> its category,
    # so a blocked query is attributed to the most specific category ("voice", not "all").
    categories: dict[str, str] = field(default_factory=dict)


def desired_policy(device: GuardedDevice, enabled: set[Block], catalog: Catalog) -> DevicePolicy:
    """Combine the enabled switches into the device's minimal set of host patterns."""
    categories: set[Category] = set()
    for block in enabled & set(blocks_for(device.device_type)):
        categories |= BLOCK_CATEGORIES[block]
    by_host: dict[str, str] = {
        h.host: h.category.value for h in catalog.for_device(device.device_type, categories)
    }
    if Category.VOICE in categories:
        by_host.update(dict.fromkeys(device.extra_voice_hosts, Category.VOICE.value))
    if Category.TELEMETRY in categories:
        by_host.update(dict.fromkeys(device.extra_telemetry_hosts, Category.TELEMETRY.value))
    return DevicePolicy(device=device, hosts=tuple(minimize(set(by_host))), categories=by_host)


def category_of(host: str, policy: DevicePolicy) -> str:
    """Return the category of the most specific policy pattern covering a queried host."""
    covering = [p for p in policy.categories if matches(host, p)]
    if not covering:
        return Category.ALL_CLOUD.value
    return policy.categories[max(covering, key=len)]
