"""Speech-to-text entity: a thin adapter from Home Assistant's STT API to the engine."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Any

from homeassistant.components.stt import (
    AudioBitRates,
    AudioChannels,
    AudioCodecs,
    AudioFormats,
    AudioSampleRates,
    SpeechMetadata,
    SpeechResult,
    SpeechResultState,
    SpeechToTextEntity,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from ..compat import SpeechAudioProcessing
from ..const import LOGGER
from .data import SpeechConfigEntry
from .engine.base import RecognitionSettings
from .engine.errors import SpeechError
from .entity import LocalVoiceEntity

DESCRIPTION = EntityDescription(key="speech_to_text", translation_key="speech_to_text")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SpeechConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the speech-to-text entity."""
    async_add_entities([VoiceGuardSpeechToText(entry)])


class VoiceGuardSpeechToText(LocalVoiceEntity, SpeechToTextEntity):
    """Local speech-to-text with Vosk."""

    def __init__(self, entry: SpeechConfigEntry) -> None:
        """Use the entry's engine and settings."""
        super().__init__(entry, DESCRIPTION)
        self._entry = entry

    @property
    def supported_languages(self) -> list[str]:
        """Return the engine's languages."""
        return self._entry.runtime_data.engine.languages

    @property
    def supported_formats(self) -> list[AudioFormats]:
        """Return raw PCM or WAV."""
        return [AudioFormats.WAV]

    @property
    def supported_codecs(self) -> list[AudioCodecs]:
        """Return PCM."""
        return [AudioCodecs.PCM]

    @property
    def supported_bit_rates(self) -> list[AudioBitRates]:
        """Return 16 bit."""
        return [AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[AudioSampleRates]:
        """Return 16 kHz."""
        return [AudioSampleRates.SAMPLERATE_16000]

    @property
    def supported_channels(self) -> list[AudioChannels]:
        """Return mono."""
        return [AudioChannels.CHANNEL_MONO]

    if SpeechAudioProcessing is not None:

        @property
        def audio_processing(self) -> Any:
            """Take the untouched stream.

            Our own end-pointing answers sooner than the pipeline's segmenter, and Vosk
            normalises its features itself: gain control and noise suppression only
            change the audio away from what its models were trained on.
            """
            return SpeechAudioProcessing(
                requires_external_vad=False,
                prefers_auto_gain_enabled=False,
                prefers_noise_reduction_enabled=False,
            )

    async def async_process_audio_stream(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> SpeechResult:
        """Recognise the stream; any failure becomes an error result with a log line."""
        runtime = self._entry.runtime_data
        settings = RecognitionSettings(
            language=metadata.language,
            silence_ms=runtime.speech.silence_ms,
            max_seconds=runtime.speech.max_seconds,
            mode=runtime.speech.mode,
            strictness=runtime.speech.strictness,
            phrases=runtime.phrases.phrases_for(metadata.language) if runtime.phrases else None,
        )
        try:
            recognition = await runtime.engine.transcribe(stream, settings)
        except SpeechError as err:
            LOGGER.warning("Speech not recognised (%s): %s", err.reason, err)
            return SpeechResult(None, SpeechResultState.ERROR)
        if not recognition.text:
            LOGGER.info("Speech not recognised: the engine heard no words")
            return SpeechResult(None, SpeechResultState.ERROR)
        return SpeechResult(recognition.text, SpeechResultState.SUCCESS)
