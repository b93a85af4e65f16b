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


async def test_counts_take_their_nouns_form(hass: HomeAssistant) -> None:
    """No "1 hosts": the words say one host, two hosts; in German too."""
    english = await async_words(hass, "en")
    one = english(
        "summary_destinations",
        device="Echo",
        cloud="1",
        cloud_hosts="",
        unknown="2",
        unknown_hosts="",
        blocked="0",
    )
    assert one == (
        "Echo, last 24 hours: 1 cloud host answered, 2 hosts in no catalog answered, "
        "0 hosts blocked."
    )
    german = await async_words(hass, "de")
    assert "1 Cloud-Host beantwortet" in german(
        "summary_destinations",
        device="Echo",
        cloud="1",
        cloud_hosts="",
        unknown="1",
        unknown_hosts="",
        blocked="3",
    )
