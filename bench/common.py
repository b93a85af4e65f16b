"""What the benchmarks share: statistics and the Korean light commands they speak."""

from __future__ import annotations

AREAS = ("거실", "부엌", "침실", "현관", "안방")
# "{area} {light} on/off": the commands of a home with lights in five areas.
COMMANDS = [
    f"{a} {light} {verb}" for a in AREAS for light in ("불", "조명") for verb in ("켜줘", "꺼")
]


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]
