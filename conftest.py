"""Make this repository's custom_components importable before the test harness's own.

pytest-homeassistant-custom-component ships a testing_config/custom_components package;
importing ours first makes Home Assistant find voice_guard in this checkout.
"""

import custom_components.voice_guard  # noqa: F401
