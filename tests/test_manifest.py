"""Check manifest.json, hacs.json, brand images, translations and quality_scale.yaml.

These are the rules hassfest and the HACS validator apply to a custom integration
(see the project notes), so a broken manifest fails CI rather than a user's install.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import struct
from typing import Any

from awesomeversion import AwesomeVersion
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
INTEGRATION = REPO / "custom_components" / "voice_guard"

IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
REQUIRED_MANIFEST_KEYS = {
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "requirements",
    "version",
}
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "country",
    "homeassistant",
    "hacs",
    "hide_default_branch",
    "render_readme",
    "persistent_directory",
}
# Requirements that cannot be installed on Home Assistant OS / Container (Alpine, musl).
NOT_ON_MUSL = {"vosk"}
# Packages Home Assistant core pins itself: a lower bound reuses core's copy.
SHARED_WITH_CORE = {"wyoming"}
QUALITY_RULES = {
    "bronze": """action-setup appropriate-polling brands common-modules config-flow
        config-flow-test-coverage dependency-transparency docs-actions docs-high-level-description
        docs-installation-instructions docs-removal-instructions entity-event-setup
        entity-unique-id has-entity-name runtime-data test-before-configure test-before-setup
        unique-config-entry""",
    "silver": """action-exceptions config-entry-unloading docs-configuration-parameters
        docs-installation-parameters entity-unavailable integration-owner log-when-unavailable
        parallel-updates reauthentication-flow test-coverage""",
    "gold": """devices diagnostics discovery discovery-update-info docs-data-update docs-examples
        docs-known-limitations docs-supported-devices docs-supported-functions
        docs-troubleshooting docs-use-cases dynamic-devices entity-category
        entity-device-class entity-disabled-by-default entity-translations
        exception-translations icon-translations reconfiguration-flow repair-issues
        stale-devices""",
    "platinum": "async-dependency inject-websession strict-typing",
}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(name="manifest")
def manifest_fixture() -> dict[str, Any]:
    """Load the integration's manifest."""
    data: dict[str, Any] = _load(INTEGRATION / "manifest.json")
    return data


def test_manifest_has_every_key_a_custom_integration_needs(manifest: dict[str, Any]) -> None:
    """Hassfest wants these keys for a custom integration."""
    assert manifest.keys() >= REQUIRED_MANIFEST_KEYS
    assert manifest["domain"] == "voice_guard"
    assert manifest["domain"] == INTEGRATION.name
    assert manifest["name"] == "Voice Guard"
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] in INTEGRATION_TYPES


def test_manifest_keys_are_sorted_as_hassfest_wants(manifest: dict[str, Any]) -> None:
    """Domain, name, then the rest in alphabetical order."""
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_values_are_well_formed(manifest: dict[str, Any]) -> None:
    """Version, owners and links are of the form hassfest accepts."""
    version = AwesomeVersion(manifest["version"])
    assert version.valid
    assert version.strategy in {"SemVer", "SimpleVer", "CalVer"}
    assert manifest["codeowners"]
    assert all(re.fullmatch(r"@[\w.-]+(/[\w.-]+)?", owner) for owner in manifest["codeowners"])
    for key in ("documentation", "issue_tracker"):
        assert manifest[key].startswith("https://")
    # One speech entry, any number of filter entries: uniqueness is per entry kind.
    assert "single_config_entry" not in manifest
    for matcher in manifest["dhcp"]:
        assert matcher["hostname"] == matcher["hostname"].lower()


def test_manifest_requirements_install_on_every_platform(manifest: dict[str, Any]) -> None:
    """Pinned, free of musl-less packages, and the same as requirements/runtime.txt."""
    requirements = manifest["requirements"]
    for requirement in requirements:
        name, sep, version = requirement.partition("==")
        if not sep:
            name, sep, version = requirement.partition(">=")
            assert name in SHARED_WITH_CORE, f"{requirement} must be pinned with =="
        assert sep
        assert version
        assert name.lower() not in NOT_ON_MUSL, f"{name} has no musllinux wheel"
    runtime = [
        line.strip()
        for line in (REPO / "requirements" / "runtime.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert sorted(requirements) == sorted(runtime)


def test_hacs_json() -> None:
    """HACS needs a name; we support Home Assistant 2025.4.0 and newer."""
    hacs = _load(REPO / "hacs.json")
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"] == "Voice Guard"
    assert hacs["homeassistant"] == "2025.4.0"
    assert AwesomeVersion(hacs["homeassistant"]).valid


def test_repository_has_what_hacs_requires() -> None:
    """A README, an OSI licence and the integration in custom_components/."""
    assert (REPO / "README.md").is_file()
    licence = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence
    assert "Version 2.0" in licence
    assert [p.name for p in (REPO / "custom_components").iterdir() if p.is_dir()] == ["voice_guard"]


@pytest.mark.parametrize(("name", "size"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_brand_icon(name: str, size: int) -> None:
    """The brand icon is a square PNG of the size Home Assistant's brands expect."""
    data = (INTEGRATION / "brand" / name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (size, size)


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        keys |= _keys(value, path) if isinstance(value, dict) else {path}
    return keys


def test_translations_are_complete_in_english_and_german() -> None:
    """Both languages translate exactly the same keys, none empty."""
    english = _load(INTEGRATION / "translations" / "en.json")
    german = _load(INTEGRATION / "translations" / "de.json")
    assert _keys(english) == _keys(german)
    for tree in (english, german):
        for key in _keys(tree):
            value: Any = tree
            for part in key.split("."):
                value = value[part]
            assert isinstance(value, str)
            assert value.strip(), key
    assert "speech_already_configured" in english["config"]["abort"]


def test_quality_scale_states_every_rule() -> None:
    """Every rule of every tier has a status; exemptions say why."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    expected = {rule for tier in QUALITY_RULES.values() for rule in tier.split()}
    assert set(rules) == expected
    for rule, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in {"exempt", "todo", "done"}, rule
            if status["status"] == "exempt":
                assert status.get("comment"), f"{rule}: an exemption needs a reason"
        else:
            assert status in {"done", "todo"}, rule
