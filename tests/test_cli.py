"""The `ganmap` command line: corrupt and restore files; user errors are one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from skimage.data import astronaut

from ganmap.base.images import to_pil, to_tensor
from ganmap.cli import main
from ganmap.evaluation.photo_sets import FACES_FILE, detected_photo


@pytest.fixture()
def model_dir(tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path / "model")
    return tmp_path / "model"


@pytest.fixture()
def face_file(tiny_pipeline, tmp_path):
    path = tmp_path / "face.png"
    tiny_pipeline.generate(1, seed=3)[0].resize((90, 110)).save(path)
    return path


@pytest.mark.parametrize(
    "task, size, mode",
    [
        ("inpainting", (64, 64), "RGB"),
        ("colorization", (64, 64), "L"),
        ("super-resolution", (16, 16), "RGB"),
        ("denoising", (64, 64), "RGB"),
        ("quantization", (64, 64), "RGB"),
    ],
)
def test_corrupt_then_restore(model_dir, face_file, tmp_path, task, size, mode):
    observed, restored = tmp_path / "observed.png", tmp_path / "restored.png"
    assert main(["corrupt", str(face_file), str(observed), "--task", task, "--aligned"]) == 0
    with Image.open(observed) as image:
        assert (image.size, image.mode) == (size, mode)
    args = ["restore", str(observed), str(restored), "--task", task, "--model", str(model_dir)]
    args.append("--aligned")
    assert main([*args, "--iterations", "3", "--restarts", "2", "--quiet"]) == 0
    with Image.open(restored) as image:
        assert image.size == (64, 64) and image.mode == "RGB"


def test_restore_with_a_drawn_mask(model_dir, face_file, tmp_path):
    mask = np.zeros((110, 90), np.uint8)
    mask[20:50, 30:60] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    args = ["restore", str(face_file), str(tmp_path / "out.png"), "--task", "inpainting"]
    args += [
        "--aligned",
        "--mask",
        str(tmp_path / "mask.png"),
        "--model",
        str(model_dir),
        "--iterations",
        "2",
        "--quiet",
    ]
    assert main(args) == 0


@pytest.fixture()
def astronaut_file(tmp_path):
    from skimage.data import astronaut

    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut()).resize((192, 192)).save(path)
    return path


def test_photo_mode_restores_a_photo_and_a_folder(model_dir, astronaut_file, tmp_path):
    quick = ["--model", str(model_dir), "--iterations", "2", "--restarts", "1", "--quiet"]
    observed, restored = tmp_path / "observed.png", tmp_path / "restored.png"
    assert main(["corrupt", str(astronaut_file), str(observed), "--task", "super-resolution"]) == 0
    with Image.open(observed) as image:
        assert image.size == (48, 48)
    restore = ["restore", str(astronaut_file), str(restored), "--task", "colorization"]
    assert main([*restore, *quick]) == 0
    with Image.open(restored) as image:
        assert image.size == (192, 192) and image.mode == "RGB"

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.open(astronaut_file).save(photos / "a.png")
    Image.new("RGB", (120, 90), (90, 140, 200)).save(photos / "sky.png")
    out = tmp_path / "out"
    assert main(["restore", str(photos), str(out), "--task", "denoising", *quick]) == 2
    assert (out / "a.png").is_file() and not (out / "sky.png").exists()
    auto = ["restore", str(astronaut_file), str(restored), "--task", "denoising"]
    assert main([*auto, "--noise-sigma", "auto", *quick]) == 0
    posterized = ["restore", str(astronaut_file), str(restored), "--task", "quantization"]
    assert main([*posterized, "--levels", "auto", *quick]) == 0, "no levels: the paper's 5"


@pytest.mark.parametrize(
    "args, message",
    [
        (["corrupt", "missing.png", "out.png", "--task", "denoising"], "no such file"),
        (
            [
                "restore",
                "{face}",
                "out.png",
                "--task",
                "denoising",
                "--iterations",
                "0",
                "--model",
                "{model}",
                "--aligned",
            ],
            "iterations",
        ),
        (
            [
                "restore",
                "{face}",
                "out.png",
                "--task",
                "denoising",
                "--lam",
                "nan",
                "--model",
                "{model}",
                "--aligned",
            ],
            "lam",
        ),
        (
            [
                "restore",
                "{face}",
                "out.png",
                "--task",
                "denoising",
                "--model",
                "{tmp}/nowhere/at/all",
            ],
            "neither",
        ),
        (["corrupt", "{face}", "out.unknown", "--task", "denoising"], "format"),
        (
            ["restore", "{face}", "out.png", "--task", "colorization", "--noise-sigma", "0.05"],
            "applies to denoising",
        ),
        (
            ["restore", "{face}", "out.png", "--task", "denoising", "--noise-sigma", "2"],
            "noise sigma must be in (0, 1]",
        ),
        (
            ["restore", "{face}", "out.png", "--task", "denoising", "--levels", "3"],
            "applies to quantization",
        ),
    ],
)
def test_user_errors_print_one_line_and_exit_2(
    model_dir, face_file, tmp_path, capsys, args, message
):
    fill = dict(face=face_file, model=model_dir, tmp=tmp_path)
    assert main([a.format(**fill) for a in args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_the_console_script_has_help_and_no_traceback_on_errors(tmp_path):
    command = [sys.executable, "-m", "ganmap.cli"]
    for sub in (["--help"], ["corrupt", "--help"], ["restore", "--help"], ["benchmark", "--help"]):
        assert subprocess.run([*command, *sub], capture_output=True).returncode == 0, sub
    not_image = tmp_path / "photo.jpg"
    not_image.write_text("this is not a JPEG")
    run = subprocess.run(
        [*command, "corrupt", str(not_image), str(tmp_path / "o.png"), "--task", "denoising"],
        capture_output=True,
        text=True,
    )
    assert (
        run.returncode == 2
        and "Traceback" not in run.stderr
        and "not a readable image" in run.stderr
    )
    assert not (tmp_path / "o.png").exists(), "nothing is half-written"


def test_benchmark_detection_on_a_photo_folder(model_dir, tmp_path):
    """`ganmap benchmark --photos DIR --detection` writes the faces-found table for a folder in
    `ganmap.evaluation.photo_sets`' layout: here the astronaut at 256 px, whose one face is found gray."""
    photo, frames = detected_photo(to_tensor(astronaut()), 256)
    folder = tmp_path / "photos"
    folder.mkdir()
    to_pil(photo).save(folder / "photo-000.png")
    (folder / FACES_FILE).write_text(json.dumps({"photo-000.png": [frames[0].matrix.tolist()]}))
    table = tmp_path / "detection.md"
    argv = ["benchmark", "--photos", str(folder), "--detection", "--tasks", "colorization"]
    assert main([*argv, "--markdown", str(table), "--model", str(model_dir)]) == 0
    assert "| colorization | 1 of 1 | 1 of 1 | 0 in 1 photos |" in table.read_text()


def test_benchmark_options_for_photos_are_refused_on_aligned_faces(tmp_path, capsys):
    """--detection and --figures measure whole photos: with --data they would be ignored
    silently, so they are refused before any work, in one line."""
    for option in (["--detection"], ["--figures", str(tmp_path / "figures")]):
        assert main(["benchmark", "--data", str(tmp_path), *option]) == 2
        assert "go with --photos" in capsys.readouterr().err
    assert not (tmp_path / "figures").exists()
