"""Tests own their files: the test model is per checkout and survives a deleted one.

A fixed machine-wide folder of links into some checkout's environment broke every later
run on the machine once that checkout was deleted (116 failures on a fresh clone).
"""

from __future__ import annotations

from pathlib import Path
import shutil

from .speech import MODEL_PATH, PACKAGED_MODEL, stable_model

REPO = Path(__file__).resolve().parent.parent


def _checkout_model(root: Path) -> Path:
    """A stand-in for a checkout's packaged model: a few files and a conf folder."""
    model = root / "model"
    (model / "conf").mkdir(parents=True)
    (model / "am").mkdir()
    (model / "am" / "final.mdl").write_bytes(b"acoustic model of " + str(root).encode())
    (model / "conf" / "mfcc.conf").write_text("--use-energy=false\n")
    (model / "conf" / "model.conf").write_text("--min-active=200\n")
    return model


def test_the_test_model_lives_in_this_checkout_not_in_a_machine_wide_folder() -> None:
    # Inside this checkout's .venvs: never a folder shared by every clone on the machine
    # (the checkout itself may live under the temp dir).
    assert MODEL_PATH.is_relative_to(REPO / ".venvs")
    assert "--dither=0" in (MODEL_PATH / "conf" / "mfcc.conf").read_text()
    for part in PACKAGED_MODEL.iterdir():
        if part.name != "conf":
            assert (MODEL_PATH / part.name).resolve() == part.resolve()


def test_a_second_clone_beside_a_deleted_one_gets_its_own_working_model(tmp_path: Path) -> None:
    folder = tmp_path / "shared" / "voice-guard-test-model"
    first = _checkout_model(tmp_path / "first-clone")
    assert stable_model(first, folder) == folder
    assert (folder / "am" / "final.mdl").read_bytes().endswith(b"first-clone")

    shutil.rmtree(tmp_path / "first-clone")  # the first checkout is deleted
    assert not (folder / "am").exists()  # its links dangle now

    second = _checkout_model(tmp_path / "second-clone")
    stable_model(second, folder)
    assert (folder / "am" / "final.mdl").read_bytes().endswith(b"second-clone")
    assert (folder / "conf" / "model.conf").read_text() == "--min-active=200\n"
    assert (folder / "conf" / "mfcc.conf").read_text().endswith("--dither=0\n")
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".partial-")]


def test_a_model_copy_pointing_at_another_checkout_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "voice-guard-test-model"
    other = _checkout_model(tmp_path / "other-clone")
    mine = _checkout_model(tmp_path / "my-clone")
    stable_model(other, folder)

    stable_model(mine, folder)

    assert (folder / "am").resolve() == (mine / "am").resolve()


def test_a_copy_that_lost_its_dither_setting_is_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "voice-guard-test-model"
    source = _checkout_model(tmp_path / "clone")
    stable_model(source, folder)
    (folder / "conf" / "mfcc.conf").write_text("--use-energy=false\n")

    stable_model(source, folder)

    assert "--dither=0" in (folder / "conf" / "mfcc.conf").read_text()
