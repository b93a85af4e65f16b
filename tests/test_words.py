"""Voice Guard's own words: a language's file, English where a word is missing."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from custom_components.voice_guard.words import async_words


async def test_a_language_falls_back_to_its_primary_tag_then_english(hass: HomeAssistant) -> None:
    swiss = await async_words(hass, "de-CH")
    assert swiss("panel_block") == "Für dieses Gerät sperren"
    french = await async_words(hass, "fr")
    assert french("panel_block") == "Block for this device"
    assert french("no_such_word") == "no_such_word"
    assert (
        french("summary_pipeline", pipeline="Home", services="Google")
        == "Home: voice leaves the home (Google)."
    )


async def test_the_homes_language_is_the_default(hass: HomeAssistant) -> None:
    hass.config.language = "de"
    assert (await async_words(hass))("stage_tts") != "text-to-speech"
