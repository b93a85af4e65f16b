"""Model folders: complete ones are accepted, linked files too; hostile ones are refused."""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path

import pytest

from custom_components.voice_guard.local_voice.engine.errors import ModelError
from custom_components.voice_guard.local_voice.engine.models import (
    GRAMMAR_GRAPH,
    REQUIRED_FILES,
    validate_model_dir,
)


def _model(folder: Path) -> Path:
    for name in (*REQUIRED_FILES, *GRAMMAR_GRAPH):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x" * 10)
    return folder


def _dangling(model: Path) -> None:
    (model / "am" / "gone.mdl").symlink_to(model / "nowhere")


def _self_loop(model: Path) -> None:
    (model / "conf" / "loop.conf").symlink_to(model / "conf" / "loop.conf")


def _folder_loop(model: Path) -> None:
    (model / "graph" / "again").symlink_to(model)


def _fifo(model: Path) -> None:
    os.mkfifo(model / "conf" / "pipe")


@pytest.mark.parametrize("spoil", [_dangling, _self_loop, _folder_loop, _fifo])
def test_a_folder_with_a_broken_link_a_loop_or_a_pipe_is_refused(
    tmp_path: Path, spoil: Callable[[Path], None]
) -> None:
    """Nothing is followed for ever or opened: the folder is refused with its reason."""
    model = _model(tmp_path / "model")
    spoil(model)
    with pytest.raises(ModelError) as err:
        validate_model_dir(model)
    assert err.value.reason == "model_unreadable"


def test_linked_files_count_as_the_models_own(tmp_path: Path) -> None:
    """A model may link to files kept elsewhere (their size counts)."""
    model = _model(tmp_path / "model")
    elsewhere = tmp_path / "big.fst"
    elsewhere.write_bytes(b"y" * 1000)
    (model / "graph" / "Gr.fst").unlink()
    (model / "graph" / "Gr.fst").symlink_to(elsewhere)
    info = validate_model_dir(model)
    assert info.supports_grammar
    assert info.size_bytes == 10 * 4 + 1000
