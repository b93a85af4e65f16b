"""The vendor catalog: which hosts carry a device type's voice, telemetry, ads or cloud.

One data file per vendor; every host has its category, source, confidence and known
breakage, because public block lists disagree and blocking the wrong host breaks devices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import json
from pathlib import Path

from ..hosts import matches, normalize_pattern

CATALOG_DIR = Path(__file__).parent


class Category(StrEnum):
    """What a host carries."""

    VOICE = "voice"
    GENERATIVE = "generative"
    TELEMETRY = "telemetry"
    ADS = "ads"
    ALL_CLOUD = "all_cloud"


class DeviceType(StrEnum):
    """Kinds of devices a user can guard."""

    ECHO = "echo"
    ECHO_DOT = "echo_dot"
    ECHO_SHOW = "echo_show"
    GOOGLE_NEST = "google_nest"
    RING = "ring"
    ROOMBA = "roomba"
    THERMOSTAT = "thermostat"
    LAMP_PLUG = "lamp_plug"
    OTHER = "other"


ECHO_TYPES = frozenset({DeviceType.ECHO, DeviceType.ECHO_DOT, DeviceType.ECHO_SHOW})
VOICE_TYPES = ECHO_TYPES | {DeviceType.GOOGLE_NEST, DeviceType.OTHER}


@dataclass(frozen=True, slots=True)
class CatalogHost:
    """One host pattern of a vendor."""

    host: str
    category: Category
    confidence: str
    source: str
    breakage: str
    vendor: str


@dataclass(frozen=True, slots=True)
class Catalog:
    """All vendors' hosts, by device type; their breakage notes in other languages."""

    hosts: dict[DeviceType, tuple[CatalogHost, ...]]
    # language -> the English note -> the note in that language (notes/<language>.json)
    notes: dict[str, dict[str, str]] = field(default_factory=dict)

    def in_language(self, note: str, language: str) -> str:
        """Return a breakage note in the language, where the catalog has it (else English)."""
        return self.notes.get(language.split("-", maxsplit=1)[0].lower(), {}).get(note, note)

    def for_device(self, device_type: DeviceType, categories: set[Category]) -> list[CatalogHost]:
        """Return the catalog hosts of device_type in the given categories."""
        return [h for h in self.hosts.get(device_type, ()) if h.category in categories]

    def breakage(
        self, device_type: DeviceType, categories: set[Category], language: str = "en"
    ) -> list[str]:
        """Return the known breakage of blocking these categories on a device type.

        Notes that say nothing ("None known", "Unknown") are left out; "As <host>." points
        to another host's note, which is used instead. Each note once, with its host, in
        the language where the catalog has it.
        """
        notes: dict[str, str] = {}
        for item in self.hosts.get(device_type, ()):
            if item.category in categories and (note := self._note(device_type, item)):
                notes.setdefault(note, item.host)
        return [f"{host}: {self.in_language(note, language)}" for note, host in notes.items()]

    def host_note(self, device_type: DeviceType, host: str) -> str | None:
        """Return the known breakage of blocking one host on a device type, if any."""
        covering = [h for h in self.hosts.get(device_type, ()) if matches(host, h.host)]
        if not covering:
            return None
        return self._note(device_type, max(covering, key=lambda h: len(h.host)))

    def _note(self, device_type: DeviceType, item: CatalogHost) -> str | None:
        """Return a host's breakage note ("As <host>." is that host's; None: says nothing)."""
        note = item.breakage
        if note.startswith("As "):
            target = note[3:].split(",")[0].split(" ")[0].rstrip(".")
            for other in self.hosts.get(device_type, ()):
                if other.host.split("*")[-1].lstrip("-.") == target:
                    note = other.breakage
                    break
        if not note or note.startswith(("None", "Unknown", "As ")):
            return None
        return note

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        """Return the catalog as plain data (for diagnostics)."""
        return {
            device_type.value: [
                {
                    "host": h.host,
                    "category": h.category.value,
                    "confidence": h.confidence,
                    "source": h.source,
                    "breakage": h.breakage,
                }
                for h in hosts
            ]
            for device_type, hosts in self.hosts.items()
        }


def load_catalog(folder: Path = CATALOG_DIR) -> Catalog:
    """Read every vendor file (blocking: run in an executor); raise ValueError if malformed."""
    hosts: dict[DeviceType, list[CatalogHost]] = {t: [] for t in DeviceType}
    for path in sorted(folder.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        vendor = str(raw["vendor"])
        entries = [
            CatalogHost(
                host=normalize_pattern(item["host"], vendor=True),
                category=Category(item["category"]),
                confidence=str(item["confidence"]),
                source=str(item["source"]),
                breakage=str(item["breakage"]),
                vendor=vendor,
            )
            for item in raw["hosts"]
        ]
        for device_type in raw["device_types"]:
            hosts[DeviceType(device_type)].extend(entries)
    notes = {
        path.stem: {str(k): str(v) for k, v in json.loads(path.read_text("utf-8")).items()}
        for path in sorted((folder / "notes").glob("*.json"))
    }
    return Catalog(hosts={t: tuple(h) for t, h in hosts.items()}, notes=notes)
