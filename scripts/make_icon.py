"""Draw Voice Guard's brand icon: a microphone inside a shield (original work, CC0).

Stdlib only, so it runs with any Python:  python3 scripts/make_icon.py
Writes custom_components/voice_guard/brand/icon.png (256x256) and icon@2x.png (512x512).
"""

from __future__ import annotations

import math
from pathlib import Path
import struct
import zlib

BRAND = Path(__file__).resolve().parent.parent / "custom_components" / "voice_guard" / "brand"
SHIELD = (0x1E, 0x88, 0xE5)  # Home Assistant blue
MIC = (0xFF, 0xFF, 0xFF)


def _shield(x: float, y: float) -> bool:
    """Shield outline in unit coordinates (0..1)."""
    if y < 0.08 or y > 0.95:
        return False
    if y < 0.55:
        # Upper part: top edge dipping gently towards the middle, straight sides.
        top = 0.08 + 0.04 * (1 - ((x - 0.5) / 0.35) ** 2)
        return 0.15 <= x <= 0.85 and y >= top
    # Lower part narrows to a point.
    half = 0.35 * math.sqrt(max(0.0, 1 - ((y - 0.55) / 0.40) ** 2))
    return abs(x - 0.5) <= half


def _mic(x: float, y: float) -> bool:
    """Microphone: capsule, holder arc, stem and base."""
    # Capsule: stadium from (0.5, 0.28) to (0.5, 0.48), radius 0.09.
    cy = min(max(y, 0.28), 0.48)
    if math.hypot(x - 0.5, y - cy) <= 0.09:
        return True
    # Holder: half ring below the capsule.
    r = math.hypot(x - 0.5, y - 0.48)
    if y >= 0.48 and 0.14 <= r <= 0.17:
        return True
    if 0.48 - 0.02 <= y <= 0.48 and (0.14 <= abs(x - 0.5) <= 0.17):
        return True
    # Stem and base.
    if abs(x - 0.5) <= 0.018 and 0.64 <= y <= 0.74:
        return True
    return abs(x - 0.5) <= 0.10 and 0.735 <= y <= 0.765


def render(size: int, samples: int = 4) -> bytes:
    """Render the icon as RGBA rows with supersampled anti-aliasing."""
    rows = bytearray()
    for py in range(size):
        rows.append(0)  # PNG filter type: none
        for px in range(size):
            shield = mic = 0
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) / size
                    y = (py + (sy + 0.5) / samples) / size
                    if _shield(x, y):
                        shield += 1
                        if _mic(x, y):
                            mic += 1
            total = samples * samples
            alpha = shield / total
            if shield:
                mix = mic / shield
                color = [round(s * (1 - mix) + m * mix) for s, m in zip(SHIELD, MIC, strict=True)]
            else:
                color = [0, 0, 0]
            rows.extend((*color, round(alpha * 255)))
    return bytes(rows)


def png(size: int) -> bytes:
    """Encode an icon of the given size as PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(render(size), 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    BRAND.mkdir(parents=True, exist_ok=True)
    (BRAND / "icon.png").write_bytes(png(256))
    (BRAND / "icon@2x.png").write_bytes(png(512))
    print(f"wrote {BRAND}/icon.png and icon@2x.png")
