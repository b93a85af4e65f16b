"""Actions for automations: transcribe, allow cloud temporarily, apply a policy, privacy report."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
import os
from pathlib import Path
import stat
from typing import Any, BinaryIO, cast

from homeassistant.const import ATTR_AREA_ID, ATTR_DEVICE_ID, CONF_NAME
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr

from .cloud_guard.coordinator import GuardConfigEntry, GuardCoordinator
from .cloud_guard.dns.filters.base import printable
from .cloud_guard.dns.policy import Block
from .compat import all_devices, vol
from .const import DOMAIN, LOGGER
from .data import VoiceGuardConfigEntry, filter_entries, loaded_speech_entry
from .local_voice.engine.base import RecognitionSettings
from .local_voice.engine.errors import SpeechError

SERVICE_TRANSCRIBE = "transcribe"
SERVICE_ALLOW_CLOUD = "allow_cloud_temporarily"
SERVICE_APPLY_POLICY = "apply_policy"
SERVICE_PRIVACY_REPORT = "privacy_report"
ATTR_FILE = "file"
ATTR_MEDIA = "media_content_id"
ATTR_LANGUAGE = "language"
ATTR_DURATION = "duration"
ATTR_BLOCK = "block"
ATTR_LABEL_ID = "label_id"
MIN_ALLOWANCE = timedelta(minutes=1)
MAX_ALLOWANCE = timedelta(days=7)
LOCAL_MEDIA_PREFIX = "media-source://media_source/"
CHUNK = 64 * 1024
# Makers whose devices talk to their cloud: shown in the report when not guarded.
CLOUD_MANUFACTURERS = ("amazon", "google", "ring", "irobot", "ecobee", "nest", "honeywell")

TRANSCRIBE_SCHEMA = vol.Schema(
    {
        vol.Exclusive(ATTR_FILE, "source"): cv.string,
        vol.Exclusive(ATTR_MEDIA, "source"): cv.string,
        vol.Optional(ATTR_LANGUAGE): cv.string,
    }
)
ALLOW_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        # The range is checked in the action, so its error is translated.
        vol.Required(ATTR_DURATION): cv.time_period,
    }
)
APPLY_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_AREA_ID): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_LABEL_ID): vol.All(cv.ensure_list, [cv.string]),
        vol.Required(ATTR_BLOCK): vol.All(cv.ensure_list, [vol.In([b.value for b in Block])]),
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register Voice Guard's actions (once, when the integration loads)."""

    async def transcribe(call: ServiceCall) -> ServiceResponse:
        return await _transcribe(hass, call)

    async def allow_cloud(call: ServiceCall) -> ServiceResponse:
        return await _allow_cloud(hass, call)

    async def apply_policy(call: ServiceCall) -> ServiceResponse:
        return await _apply_policy(hass, call)

    async def privacy_report(call: ServiceCall) -> ServiceResponse:
        return await _privacy_report(hass)

    hass.services.async_register(
        DOMAIN, SERVICE_TRANSCRIBE, transcribe, TRANSCRIBE_SCHEMA, SupportsResponse.ONLY
    )
    hass.services.async_register(
        DOMAIN, SERVICE_ALLOW_CLOUD, allow_cloud, ALLOW_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_APPLY_POLICY, apply_policy, APPLY_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, SERVICE_PRIVACY_REPORT, privacy_report, None, SupportsResponse.ONLY
    )


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


# --- transcribe --------------------------------------------------------------------------


def _speech_entry(hass: HomeAssistant) -> VoiceGuardConfigEntry:
    if (entry := loaded_speech_entry(hass)) is None:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="no_speech_engine")
    return entry


def _local_path(hass: HomeAssistant, call: ServiceCall) -> Path:
    """Return the file to transcribe: a path, or a media-source id of a local folder."""
    if (file := call.data.get(ATTR_FILE)) is not None:
        if not printable(file):
            raise _error("path_invalid")
        path = Path(file)
    elif (media := call.data.get(ATTR_MEDIA)) is not None:
        if not printable(media):
            raise _error("path_invalid")
        if not media.startswith(LOCAL_MEDIA_PREFIX):
            raise _error("media_not_local", media=media)
        source, _, location = media.removeprefix(LOCAL_MEDIA_PREFIX).partition("/")
        if source not in hass.config.media_dirs or not location:
            raise _error("media_not_local", media=media)
        path = Path(hass.config.media_dirs[source]) / location
    else:
        raise _error("no_audio_source")
    if not path.is_absolute():
        path = Path(hass.config.path(str(path)))
    if ".." in path.parts or not hass.config.is_allowed_path(str(path)):
        raise _error("path_not_allowed", path=str(path))
    return path


class _NotAFileError(OSError):
    """The path is a folder, FIFO, socket or device: nothing to read a recording from."""


class _NotWavError(OSError):
    """The file does not start with a RIFF/WAVE header."""


def _open_wav(path: Path) -> BinaryIO:
    """Open a regular WAV file for reading (blocking: in the executor).

    The type is checked before opening and again on the open descriptor, which is opened
    non-blocking: a FIFO or device swapped in between can never hang the thread.
    """
    _require_regular(path, path.stat().st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        _require_regular(path, os.fstat(fd).st_mode)
        file = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    try:
        _require_wav(path, file.read(12))
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


def _require_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise _NotAFileError(str(path))


def _require_wav(path: Path, header: bytes) -> None:
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:] != b"WAVE":  # noqa: PLR2004
        raise _NotWavError(str(path))


async def _transcribe(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    entry = _speech_entry(hass)
    path = _local_path(hass, call)
    try:
        file = await hass.async_add_executor_job(_open_wav, path)
    except FileNotFoundError as err:
        raise _error("file_not_found", path=str(path)) from err
    except (_NotAFileError, IsADirectoryError) as err:
        raise _error("not_a_file", path=str(path)) from err
    except _NotWavError as err:
        raise _error("not_wav", path=str(path)) from err
    except OSError as err:
        raise _error("file_unreadable", path=str(path), error=err.strerror or str(err)) from err
    runtime = entry.runtime_data
    language = call.data.get(ATTR_LANGUAGE) or runtime.engine.languages[0]

    async def chunks() -> AsyncGenerator[bytes]:
        # Read as the engine asks for more: its length limit stops reading a huge file.
        while chunk := await hass.async_add_executor_job(file.read, CHUNK):
            yield chunk

    settings = RecognitionSettings(
        language=language,
        # A recording may hold pauses: only the end of the file ends it.
        silence_ms=60_000,
        max_seconds=runtime.speech.max_seconds,
    )
    audio = chunks()
    try:
        recognition = await runtime.engine.transcribe(audio, settings)
    except SpeechError as err:
        raise _error("audio_not_recognised", path=str(path), reason=err.reason) from err
    except OSError as err:
        raise _error("file_unreadable", path=str(path), error=err.strerror or str(err)) from err
    finally:
        await audio.aclose()
        await hass.async_add_executor_job(file.close)
    LOGGER.debug("Transcribed %s (%.0f ms of audio)", path.name, recognition.timing.audio_ms)
    return {"text": recognition.text, "audio_ms": recognition.timing.audio_ms}


# --- guarded devices ---------------------------------------------------------------------


def _filters(hass: HomeAssistant) -> list[GuardConfigEntry]:
    entries: list[GuardConfigEntry] = filter_entries(hass, loaded=True)
    return entries


def _guarded(hass: HomeAssistant, device_id: str) -> tuple[GuardCoordinator, str] | None:
    """Return the coordinator and subentry id of a guarded device, by registry id."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    ids = {value for domain, value in device.identifiers if domain == DOMAIN}
    for entry in _filters(hass):
        for subentry_id in entry.subentries:
            if subentry_id in ids:
                return entry.runtime_data, subentry_id
    return None


async def _allow_cloud(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    device_id = call.data[ATTR_DEVICE_ID]
    if (found := _guarded(hass, device_id)) is None:
        raise _error("not_guarded", device_id=device_id)
    coordinator, subentry_id = found
    duration: timedelta = call.data[ATTR_DURATION]
    if not MIN_ALLOWANCE <= duration <= MAX_ALLOWANCE:
        raise _error(
            "duration_out_of_range",
            minimum=f"{MIN_ALLOWANCE // timedelta(minutes=1)} min",
            maximum=f"{MAX_ALLOWANCE // timedelta(days=1)} d",
        )
    until = await coordinator.async_allow_temporarily(subentry_id, duration)
    # Stored either way; a filter that is down gets it when it answers again.
    return {"allowed_until": until.isoformat(), "filter_updated": _updated(coordinator)}


def _updated(coordinator: GuardCoordinator) -> bool:
    if coordinator.last_update_success:
        return True
    LOGGER.warning(
        "%s is not reachable: the change is stored and applied when it answers again",
        coordinator.config_entry.title,
    )
    return False


async def _apply_policy(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    registry = dr.async_get(hass)
    device_ids: set[str] = set(call.data.get(ATTR_DEVICE_ID, []))
    for area in call.data.get(ATTR_AREA_ID, []):
        device_ids |= {d.id for d in dr.async_entries_for_area(registry, area)}
    for label in call.data.get(ATTR_LABEL_ID, []):
        device_ids |= {d.id for d in dr.async_entries_for_label(registry, label)}
    targets = [found for d in sorted(device_ids) if (found := _guarded(hass, d)) is not None]
    if not targets:
        raise _error("no_guarded_devices")
    blocks = {Block(b) for b in call.data[ATTR_BLOCK]}
    changed: list[str] = []
    not_updated: list[str] = []
    for coordinator, subentry_id in targets:
        await coordinator.async_set_blocks(subentry_id, blocks)
        title = coordinator.config_entry.subentries[subentry_id].title
        changed.append(title)
        if not _updated(coordinator):
            not_updated.append(title)
    response = {
        "devices": changed,
        "block": sorted(b.value for b in blocks),
        "filter_updated": not not_updated,
        "not_updated": not_updated,
    }
    return cast("ServiceResponse", response)


# --- privacy report ----------------------------------------------------------------------


async def _privacy_report(hass: HomeAssistant) -> ServiceResponse:
    cloud_pipelines: list[dict[str, Any]] = []
    if "assist_pipeline" in hass.config.components:
        from .local_voice.pipelines import async_audit  # noqa: PLC0415 - needs Assist loaded

        cloud_pipelines = [
            {"pipeline": f.pipeline_name, "services": f.services} for f in await async_audit(hass)
        ]
    devices: list[dict[str, Any]] = []
    guarded_macs: set[str] = set()
    total = 0
    for entry in _filters(hass):
        coordinator = entry.runtime_data
        snapshot = coordinator.data
        for subentry_id, subentry in entry.subentries.items():
            state = snapshot.devices.get(subentry_id) if snapshot else None
            until = coordinator.allowed_until(subentry_id)
            blocked = len(state.blocked) if state else 0
            total += blocked
            if mac := subentry.data.get("mac"):
                guarded_macs.add(mac)
            devices.append(
                {
                    CONF_NAME: subentry.title,
                    "filter": entry.title,
                    "switches_on": sorted(b.value for b in coordinator.enabled_blocks(subentry_id)),
                    "protection_confirmed": bool(state and state.protection_confirmed),
                    "proof": state.proof if state else None,
                    "unconfirmed_hosts": sorted(
                        h for h in state.policy.hosts if not state.confirmed.get(h)
                    )
                    if state
                    else [],
                    "blocked_requests_24h": blocked,
                    "allowed_until": until.isoformat() if until else None,
                    "filter_reachable": coordinator.last_update_success,
                }
            )
    report = {
        "guarded_devices": devices,
        "blocked_requests_24h": total,
        "cloud_pipelines": cloud_pipelines,
        "unguarded_cloud_devices": _unguarded(hass, guarded_macs),
    }
    return cast("ServiceResponse", report)


def _unguarded(hass: HomeAssistant, guarded_macs: set[str]) -> list[dict[str, Any]]:
    """Devices of cloud makers that no filter guards."""
    found = []
    registry = dr.async_get(hass)
    for device in all_devices(registry):
        if any(domain == DOMAIN for domain, _ in device.identifiers):
            continue
        # A cloud *service* (Google Translate text-to-speech) is no device on the network:
        # the pipeline audit reports it.
        if device.entry_type is dr.DeviceEntryType.SERVICE:
            continue
        maker = (device.manufacturer or "").lower()
        if not any(name in maker for name in CLOUD_MANUFACTURERS):
            continue
        macs = {v for k, v in device.connections if k == dr.CONNECTION_NETWORK_MAC}
        if macs & guarded_macs:
            continue
        found.append(
            {
                CONF_NAME: device.name_by_user or device.name,
                "manufacturer": device.manufacturer,
                "model": device.model,
            }
        )
    return found
