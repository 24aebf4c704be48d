"""Whatever users pass gets a correct restoration or an ImageError naming the problem.

The bad files are made by the tests themselves (no binaries in the repository)."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ganmap import TASKS, ImageError
from ganmap.base.images import to_tensor
from ganmap.cli import main


def jpeg_bytes(size=(90, 110), color=(200, 120, 90), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG", **save)
    return buffer.getvalue()


def write(path, data: bytes):
    path.write_bytes(data)
    return path


def exif_rotated_jpeg(path):
    """A 100 x 60 JPEG whose EXIF orientation (6: rotate 90 degrees) makes it 60 x 100."""
    image = Image.new("RGB", (100, 60), "black")
    image.paste((255, 255, 255), (0, 0, 50, 60))  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6
    image.save(path, exif=exif)
    return path


def animated_gif(path):
    frames = [Image.new("P", (64, 64), i * 80) for i in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    return path


def decompression_bomb(path):
    path = path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(path)  # 400 million pixels in a file of kilobytes
    return path


BAD_FILES = {
    "truncated JPEG": (lambda p: write(p / "t.jpg", jpeg_bytes()[:300]), "not a readable image"),
    "text named .png": (
        lambda p: write(p / "t.png", b"hello, not a picture"),
        "not a readable image",
    ),
    "empty file": (lambda p: write(p / "e.jpg", b""), "not a readable image"),
    "1 x 1 image": (lambda p: write(p / "o.jpg", jpeg_bytes((1, 1))), "too small"),
    "very thin image": (lambda p: write(p / "thin.jpg", jpeg_bytes((3000, 3))), "too small"),
    "decompression bomb": (decompression_bomb, "too large"),
    "missing file": (lambda p: p / "nothing-here.png", "no such file"),
}

GOOD_FILES = {
    "grayscale": ("L", (1, 64, 64)),
    "palette": ("P", (3, 64, 64)),
    "RGBA": ("RGBA", (3, 64, 64)),
    "CMYK": ("CMYK", (3, 64, 64)),
    "16-bit": ("I;16", (1, 64, 64)),
    "float": ("F", (1, 64, 64)),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_are_refused_with_the_reason(tmp_path, case):
    make, message = BAD_FILES[case]
    with pytest.raises(ImageError, match=message):
        to_tensor(make(tmp_path))


@pytest.mark.parametrize("case", BAD_FILES)
def test_the_command_line_reports_bad_files_in_one_line(tmp_path, capsys, case):
    make, message = BAD_FILES[case]
    assert (
        main(["corrupt", str(make(tmp_path)), str(tmp_path / "o.png"), "--task", "denoising"]) == 2
    )
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("case", GOOD_FILES)
def test_every_image_mode_loads_into_0_1(tmp_path, case):
    mode, shape = GOOD_FILES[case]
    value = {"I;16": 30000, "F": 0.25}.get(mode, 100)
    path = tmp_path / (
        "image.tif" if mode == "F" else "image.png" if mode != "CMYK" else "image.jpg"
    )
    Image.new(mode, (64, 64), value if mode not in ("RGBA", "CMYK") else None).save(path)
    tensor = to_tensor(path)
    assert tensor.shape == shape and tensor.min() >= 0 and tensor.max() <= 1, (
        tensor.shape,
        tensor.max(),
    )


def test_alpha_is_composited_onto_white():
    transparent = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    assert torch.allclose(to_tensor(transparent), torch.ones(3, 64, 64))


def test_exif_orientation_is_applied(tmp_path):
    tensor = to_tensor(exif_rotated_jpeg(tmp_path / "rotated.jpg"))
    assert tensor.shape == (3, 100, 60), "EXIF orientation 6 turns 100 x 60 into 60 x 100"


def test_animations_give_their_first_frame(tmp_path):
    first = to_tensor(animated_gif(tmp_path / "a.gif"))
    assert first.shape == (3, 64, 64) and first.max() < 0.01, "frame 0 is black"


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((2, 64, 64, 3), np.uint8), "must be"),
        (np.zeros((64, 64, 2), np.uint8), "must be"),
        (np.zeros(64, np.uint8), "must be"),
        (np.full((64, 64, 3), 200.0), r"\[0, 1\]"),
        (np.full((64, 64, 3), np.nan), "NaN"),
        (np.full((64, 64), -3, np.int16), "negative"),
        (np.empty((64, 64), object), "objects"),
        (torch.zeros(1, 3, 64, 64), "C x H x W"),
        (torch.full((3, 64, 64), float("inf")), "infinite"),
        ("not an image", "no such file"),
        (12, "unsupported image type"),
    ],
)
def test_bad_arrays_are_refused(array, message):
    with pytest.raises(ImageError, match=message):
        to_tensor(array)


def test_integer_arrays_are_scaled_by_their_type():
    assert to_tensor(np.full((16, 16), 65535, np.uint16)).max() == 1
    assert to_tensor(np.full((16, 16, 3), 255, np.uint8)).max() == 1
    assert to_tensor(np.ones((16, 16), bool)).max() == 1


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    height=st.integers(8, 120),
    width=st.integers(8, 120),
    channels=st.sampled_from([None, 1, 3, 4]),
    dtype=st.sampled_from(["uint8", "uint16", "float32", "float64"]),
    task=st.sampled_from(list(TASKS)),
    lam=st.floats(0, 10),
    seed=st.integers(0, 2**63 - 1),
)
def test_any_valid_array_restores_to_a_64_square(
    tiny_pipeline, height, width, channels, dtype, task, lam, seed
):
    shape = (height, width) if channels is None else (height, width, channels)
    rng = np.random.default_rng(seed % 2**32)
    array = rng.random(shape)
    array = (
        (array * np.iinfo(dtype).max).astype(dtype)
        if dtype.startswith("uint")
        else array.astype(dtype)
    )
    out = tiny_pipeline(array, task, lam=lam, iterations=1, restarts=1, seed=seed, progress=False)
    restored = np.asarray(out.image)
    assert restored.shape == (64, 64, 3) and np.isfinite(out.losses).all()


def test_threads_share_a_pipeline_safely(tiny_pipeline, reachable_face):
    """Concurrent calls give exactly what the same calls give one after another."""
    import ganmap

    observation = ganmap.corrupt(reachable_face, "denoising")

    def run(seed):
        return tiny_pipeline(
            observation, "denoising", iterations=5, restarts=2, seed=seed, progress=False
        ).losses

    expected = {seed: run(seed) for seed in range(4)}
    results, errors = {}, []

    def worker(seed: int) -> None:
        try:
            results[seed] = run(seed)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results == expected
