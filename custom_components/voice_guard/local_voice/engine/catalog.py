"""The catalog of official Vosk models that can be downloaded (data file: data/vosk_models.json)."""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path

CATALOG_FILE = Path(__file__).parent / "data" / "vosk_models.json"
DOWNLOAD_BASE = "https://alphacephei.com/vosk/models"


@dataclass(frozen=True, slots=True)
class CatalogModel:
    """One downloadable model."""

    name: str
    language: str
    size_mb: int
    grammar: bool  # supports runtime grammars: phrase mode
    language_name: str = ""  # the language's own name ("Deutsch", "한국어")

    def url(self, base: str = DOWNLOAD_BASE) -> str:
        """Return the model's download address (a zip archive)."""
        return f"{base.rstrip('/')}/{self.name}.zip"


def load_catalog(path: Path = CATALOG_FILE) -> list[CatalogModel]:
    """Read the catalog (blocking: run in an executor)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [
        CatalogModel(
            name=str(item["name"]),
            language=str(item["language"]),
            size_mb=int(item["size_mb"]),
            grammar=bool(item["grammar"]),
            language_name=str(item.get("language_name") or item["language"]),
        )
        for item in raw["models"]
    ]


def models_for_language(catalog: list[CatalogModel], language: str) -> list[CatalogModel]:
    """Order the catalog for a user: their language first, small (grammar) models first."""
    base = language.split("-", maxsplit=1)[0].lower()
    return sorted(catalog, key=lambda m: (m.language != base, not m.grammar, m.size_mb, m.name))


def language_names(catalog: list[CatalogModel]) -> dict[str, str]:
    """Return each language of the catalog by its own name ("ko" → "한국어")."""
    return {model.language: model.language_name for model in catalog}


def language_name(names: dict[str, str], language: str) -> str:
    """Return a language tag's name ("ko-KR" → "한국어"); the tag where none is known."""
    return names.get(language.split("-", maxsplit=1)[0].lower(), language)
