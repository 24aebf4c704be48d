"""The Gradio app end to end through its HTTP API, around conftest's tiny pipeline (no weights).

The server runs in a background thread on a free port; `gradio_client` calls the `/restore` and
`/upload` endpoints exactly as the Restore and upload buttons do. The checks are about the app's
contract (sizes, which pixels change, what is downloaded, errors shown as messages and logged as
one line), not restoration quality: an untrained network restores little.
"""

import logging
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
import torch
from app_helpers import (
    SETTINGS,
    client_for,
    editor_value,
    example_files,
    face_upload,
    restore,
    serve,
    upload,
)
from gradio import processing_utils
from gradio_client.exceptions import AppError
from PIL import Image

from demo.examples import EXAMPLES, GROUP_SIZE, SCRATCHES, write_examples
from demo.interface import AS_IS, MODES, PHOTO_LABELS, Curve, StopFlags, make_restore
from demo.pipeline import CENTRE, FacesBehindHoles, restore_faces, takes_mask
from demo.uploads import MAX_RESULT_SIDE, MAX_SIDE, downscaled, editor_parts, fitted
from ganmap import TASKS, NoFaceError
from ganmap.base.images import to_pil, to_tensor
from ganmap.classical.levels import estimate_levels, estimate_noise_sigma
from ganmap.operators import Denoising, Quantization, centre_hole, get_task

FACE_SIDE = 96  # app_helpers.face_upload


@pytest.fixture(scope="module")
def pipe(tiny_pipeline):
    return tiny_pipeline


@pytest.fixture(scope="module")
def client(pipe, tmp_path_factory):
    for url in serve(pipe, tmp_path_factory.mktemp("examples")):
        yield client_for(url, tmp_path_factory.mktemp("downloads"))


@pytest.fixture(scope="module")
def face_file(tmp_path_factory) -> Path:
    return face_upload(tmp_path_factory.mktemp("inputs"))


def pixels(path: str | Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)


@pytest.mark.slow
@pytest.mark.parametrize("task", list(TASKS))
def test_every_task_restores_the_centre_as_an_aligned_face(client, face_file, task):
    """The centre framing, in the default mode: the photo is the observation. Its centre is
    restored as one aligned face, and the result comes back at the photo's framing, beside the
    photo, to download."""
    mode = "corrupt" if takes_mask(task) else AS_IS  # unpainted, only the demo mode has a hole
    comparison, faces, files, summary, curve, candidates = restore(
        client, editor_value(face_file), task, mode, CENTRE
    )
    before, after = (Image.open(item) for item in comparison)
    scale = 4 if task == "super-resolution" else 1
    side = FACE_SIDE if mode == AS_IS else 64  # the demo mode corrupts the 64 x 64 crop
    assert after.size == before.size == (side * scale, side * scale), "slider halves line up"
    assert after.mode == "RGB"

    seen, restored = (Image.open(item["image"]) for item in faces)
    assert seen.size == (64 // scale, 64 // scale), "the aligned face as the model saw it"
    assert restored.size == (64, 64)
    downloads = {Path(path).name: Path(path) for path in files}
    assert set(downloads) == {f"restored-{task}.png", "observed.png"}
    assert (pixels(downloads[f"restored-{task}.png"]) == pixels(comparison[1])).all()
    assert Image.open(downloads["observed.png"]).size == (side, side), "at its own size"

    if task == "inpainting":
        hole = centre_hole().numpy()  # the paper's default hole: the centre 32 x 32
        b, a = pixels(comparison[0]), pixels(comparison[1])
        assert (b[hole] == 0).all(), "the demo mode blacks out the centre square"
        assert np.abs(a[hole]).mean() > 1, "the hole is filled"
        assert np.abs(a[~hole] - b[~hole]).max() <= 2, "known pixels are kept"
    else:
        assert (pixels(files[1]) == pixels(face_file)).all(), "the photo itself was restored"
        assert np.abs(pixels(comparison[1]) - pixels(comparison[0])).mean() > 1, "it changed"

    assert len(candidates) == SETTINGS["restarts"]
    assert all(c["caption"].startswith("#1: objective") for c in candidates[:1])
    objective = [row[2] for row in curve["data"]]  # (run, iteration, objective)
    assert 1 <= len(objective) <= SETTINGS["iterations"] and np.isfinite(objective).all()
    assert summary.startswith(f"**{task[0].upper()}")


@pytest.fixture(scope="module")
def photos(pipe, tmp_path_factory) -> dict[str, Path]:
    """The examples' photos as files (the astronaut's face is found by dlib)."""
    return example_files(pipe, tmp_path_factory.mktemp("photos"))


#: (task, photo, mode): a photo with a face for each task. Super-resolution takes the whole
#: astronaut as its low-resolution photo: her face is over 64 px there, so it is enlarged with
#: the rest of the photo.
FACE_PHOTOS = [
    ("colorization", "astronaut-gray", AS_IS),
    ("super-resolution", "astronaut", AS_IS),
    ("denoising", "astronaut-noisy", AS_IS),
    ("quantization", "astronaut", "corrupt"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("task", "photo", "mode"), FACE_PHOTOS, ids=[c[0] for c in FACE_PHOTOS])
def test_every_face_of_a_photo_is_restored_and_put_back(client, photos, task, photo, mode):
    """The default framing: the face is found, restored and the whole photo comes back, beside
    the photo as restored, with the face as the model saw it and restored."""
    comparison, faces, files, summary, curve, candidates = restore(
        client, editor_value(photos[photo]), task, mode
    )
    before, after = (Image.open(item) for item in comparison)
    scale = 4 if task == "super-resolution" else 1
    assert after.size == before.size == (512 * scale, 512 * scale), "the whole photo"
    assert len(faces) == 2, "one face: as seen, and restored"
    assert Image.open(faces[1]["image"]).size == (64, 64)
    assert [item["caption"] for item in faces] == ["1: seen", "1: restored"]
    assert Image.open(files[1]).size == (512, 512), "the observed photo, at its own size"
    assert "1 face found and restored" in summary
    assert candidates == [], "no candidates: the photo's faces are restored one by one"


@pytest.mark.slow
def test_painted_holes_in_a_photo_are_filled(client, photos):
    """The inpainting example: scratches across the group photo, painted over with the brush.
    (The tiny network draws no face dlib finds: the scratches cross the astronaut here.)"""
    layer = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    layer.paste((255, 0, 255, 255), (150, 120, 330, 128))  # across her eyes
    path = photos["astronaut"].with_name("scratch.png")
    layer.save(path)
    (before, after), faces, *_ = restore(
        client, editor_value(photos["astronaut"], path), "inpainting", AS_IS
    )
    b, a, painted = pixels(before), pixels(after), np.asarray(layer.getchannel("A")) > 0
    assert (b[painted] == 0).all(), "the painted pixels are the missing ones"
    assert (a[painted].sum(-1) > 0).mean() > 0.99, "and they are filled"
    assert (a[~painted] == pixels(photos["astronaut"])[~painted]).all(), "the rest is kept"
    assert len(faces) == 2


@pytest.mark.slow
def test_no_face_found_offers_the_centre_framing(client, tmp_path):
    """A sky with no face: a message, the old results cleared, and the centre framing offered
    (the button is the browser's; the API sees the message)."""
    sky = tmp_path / "sky.png"
    Image.new("RGB", (120, 90), (90, 120, 200)).save(sky)
    comparison, faces, files, summary, curve, candidates = restore(
        client, editor_value(sky), "denoising"
    )
    assert comparison is None and faces == [] and files is None
    assert summary.startswith("**No face found**")
    (before, after), *_ = restore(client, editor_value(sky), "denoising", AS_IS, CENTRE)
    assert Image.open(after).size == (120, 90), "the centre framing restores it"


def test_faces_hidden_by_the_demo_holes_are_told_apart(photos):
    """No face found after the demo mode cut its holes is said so (the detector can miss
    faces with the paper's hole); a photo without holes cut gets the plain NoFaceError."""

    class FindsNoFace:
        def restore_photo(self, *args, **kwargs):
            raise NoFaceError()

    astronaut = Image.open(photos["astronaut"])
    settings = dict(mask=None, seed=0, callback=None)
    with pytest.raises(FacesBehindHoles):
        restore_faces(FindsNoFace(), astronaut, "inpainting", corrupt_first=True, **settings)
    with pytest.raises(NoFaceError) as plain:
        restore_faces(FindsNoFace(), astronaut, "denoising", corrupt_first=True, **settings)
    assert not isinstance(plain.value, FacesBehindHoles)


@pytest.mark.parametrize(
    "task, corrupt_first, level, expected",
    [
        ("denoising", False, 0, Denoising(0.03)),
        ("denoising", True, 0, Denoising(0.1)),
        ("quantization", False, 0, Quantization(levels=3)),
        ("quantization", True, 0, Quantization(levels=5)),
        ("denoising", False, 0.2, Denoising(0.2)),
        ("denoising", True, 0.2, Denoising(0.2)),
        ("quantization", False, 8, Quantization(levels=8)),
    ],
)
def test_a_photo_given_as_it_is_is_restored_at_its_own_level(
    photos, task, corrupt_first, level, expected
):
    """The paper's sigma 0.1 and 5 levels in the demo mode, which corrupts with them; a photo's
    own otherwise (its noise at sigma 0.03, its 3 levels); the level set under Advanced where
    there is one, in both modes."""

    class RecordsTheTask:
        def restore_photo(self, photo, task, **kwargs):
            self.photo, self.task = photo, get_task(task)
            raise NoFaceError()

    astronaut = to_tensor(photos["astronaut"])[None]
    given = {
        "denoising": Denoising(0.03).corrupt(astronaut, torch.Generator().manual_seed(0)),
        "quantization": Quantization(levels=3).corrupt(astronaut),
    }[task]
    pipe = RecordsTheTask()
    with pytest.raises(NoFaceError):
        restore_faces(
            pipe,
            to_pil(given[0]),
            task,
            corrupt_first=corrupt_first,
            mask=None,
            seed=0,
            callback=None,
            level=level,
        )
    assert vars(pipe.task) == pytest.approx(vars(expected), rel=0.1), f"{pipe.task} != {expected}"
    if corrupt_first and task == "denoising":  # the photo's noise of 0.03 is small beside it
        sigma = estimate_noise_sigma(pipe.photo)
        assert sigma == pytest.approx(expected.sigma, abs=0.03), "the demo corrupts at that level"


@pytest.mark.slow
def test_the_demo_mode_corrupts_first(client, face_file):
    """ "Corrupt it first": the paper's corruption of the centre crop, then its restoration."""
    comparison, faces, *_ = restore(
        client, editor_value(face_file), "colorization", "corrupt", CENTRE
    )
    before = pixels(comparison[0])
    assert before.shape == (64, 64, 3) and (before[..., 0] == before[..., 2]).all(), "gray"


@pytest.mark.slow
def test_painted_mask_on_an_already_damaged_photo(client, face_file, tmp_path):
    """The real use: the user's own photo with a hole, the hole painted with the brush."""
    strokes = Image.new("RGBA", (FACE_SIDE, FACE_SIDE), (0, 0, 0, 0))
    strokes.paste((255, 0, 255, 255), (10, 40, 40, 70))  # a stroke left of the centre
    strokes.save(tmp_path / "layer.png")

    (before, after), faces, *_ = restore(
        client, editor_value(face_file, tmp_path / "layer.png"), "inpainting", AS_IS, CENTRE
    )
    painted = np.asarray(strokes.getchannel("A")) == 255
    b, a = pixels(before), pixels(after)
    assert b.shape[:2] == (FACE_SIDE, FACE_SIDE), "at the photo's framing"
    assert (b[painted] == 0).all(), "the painted region is what is missing"
    assert np.abs(a[painted] - b[painted]).mean() > 1, "and it is filled"
    assert (b[~painted] == pixels(face_file)[~painted]).all(), "the rest is the photo as given"


@pytest.mark.slow
def test_user_errors_are_messages_logged_as_one_line(client, face_file, tmp_path, caplog, capfd):
    caplog.set_level(logging.WARNING, logger="ganmap.demo")
    with pytest.raises(AppError, match="Give a photo first"):
        restore(client, editor_value(None), "denoising")
    with pytest.raises(AppError, match="Paint what is missing with the brush first"):
        restore(client, editor_value(face_file), "inpainting", AS_IS)
    Image.new("RGB", (4, 4)).save(tmp_path / "tiny.png")
    with pytest.raises(AppError, match="too small"):
        restore(client, editor_value(tmp_path / "tiny.png"), "denoising")
    with pytest.raises(AppError, match="Iterations must be from 1 to"):  # the slider's cap
        restore(client, editor_value(face_file), "denoising", iterations=10**6)

    lines = [r.getMessage() for r in caplog.records if r.name == "ganmap.demo"]
    assert len(lines) == 4, lines
    assert all(line.startswith("user error: ") and "\n" not in line for line in lines)
    assert "Traceback" not in capfd.readouterr().err, "no traceback for a user's mistake"

    (before, after), *_ = restore(client, editor_value(face_file), "denoising", AS_IS, CENTRE)
    assert Image.open(after).size == (FACE_SIDE, FACE_SIDE), "the app still serves"


@pytest.mark.slow
def test_an_upload_is_read_at_once_and_a_large_one_downscaled(client, tmp_path):
    Image.new("RGB", (3000, 2000), (200, 100, 50)).save(tmp_path / "large.jpg")
    value, note = upload(client, tmp_path / "large.jpg")
    assert Image.open(value["background"]).size == (MAX_SIDE, 683)
    assert "(3000 × 2000) was downscaled to 1024 × 683" in note

    noisy = np.random.default_rng(0).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(tmp_path / "noisy.png")
    value, _ = upload(client, tmp_path / "noisy.png")
    kept = np.asarray(Image.open(value["background"]).convert("RGB"))
    assert np.array_equal(kept, noisy), "the editor must keep every pixel (noise, levels)"

    (tmp_path / "notes.png").write_text("my holiday notes\n")
    value, note = upload(client, tmp_path / "notes.png")  # a warning, and the note says it
    assert note.startswith("**Cannot use notes.png: notes.png is not a readable image")


def test_downscaled_keeps_small_photos_and_the_aspect_ratio():
    small = Image.new("RGB", (MAX_SIDE, 10))
    assert downscaled(small) == (small, "")
    tall, note = downscaled(Image.new("RGB", (600, 4000)))
    assert tall.size == (154, MAX_SIDE) and "600 × 4000" in note


def test_a_large_posterized_photo_keeps_its_levels_when_downscaled():
    """Sampled, not blended: restored as a posterized photo, at its own levels."""
    gradient = np.linspace(0, 1, 1500)[None, :, None] * np.ones((1200, 1, 3))
    posterized = Quantization(levels=4).corrupt(torch.from_numpy(gradient).permute(2, 0, 1)[None])
    small, _ = downscaled(to_pil(posterized[0]))
    assert small.width == MAX_SIDE and estimate_levels(small) == 4


def test_a_photo_to_enlarge_is_fitted_so_that_its_result_stays_in_bounds():
    photo, mask = Image.new("RGB", (MAX_SIDE, 768)), Image.new("L", (MAX_SIDE, 768))
    assert fitted(photo, mask, 1) == (photo, mask, ""), "within MAX_SIDE: as it is"
    small, small_mask, note = fitted(photo, mask, 4)  # 4x super-resolution
    assert small.size == small_mask.size == (MAX_RESULT_SIDE // 4, 384)
    assert "4 × larger, is at most 2048 px a side" in note


def test_stop_aborts_the_solver(pipe, tmp_path):
    """Stop sets the session's flag; the callback then raises inside the solver, which ends the
    run at once (not after its last iteration) and leaves the outputs alone."""
    flags, seen = StopFlags(), []

    class PressStopAtStep3:  # the pipeline, with the user pressing Stop during step 3
        def __call__(self, *args, callback, **kwargs):
            def press_stop(step: int, total: int, loss: float) -> None:
                seen.append(step)
                if step == 3:
                    flags.stop("session")
                callback(step, total, loss)

            return pipe(*args, callback=press_stop, **kwargs)

    handler = make_restore(PressStopAtStep3(), flags, tmp_path)
    request = SimpleNamespace(session_hash="session")
    photo = Image.new("RGB", (80, 80), (90, 120, 200))
    outputs = handler(photo, "denoising", AS_IS, CENTRE, 0.003, 1000, 2, 0, 0, 0, request)
    assert seen == [1, 2, 3]
    assert outputs == tuple(gr.skip() for _ in range(7)), "outputs are left as they were"
    flags.stop("session")  # a late Stop, after the run, is harmless


def test_equal_runs_share_no_output_file(pipe, tmp_path):
    """Gradio names an output image's file by a hash of its bytes and rewrites it in place, so two
    users getting equal results at once must still get separate files: otherwise one download can
    read the file mid-rewrite and come back short (the load test met this once in CI)."""
    handler = make_restore(pipe, StopFlags(), tmp_path / "downloads")
    request = SimpleNamespace(session_hash="session")
    photo = Image.new("RGB", (80, 80), (90, 120, 200))

    def cached_files(outputs: tuple) -> set[str]:
        comparison, faces, _, _, _, candidates, _ = outputs
        images = [*comparison, *(image for image, _ in faces + candidates)]
        assert len(images) == 6, "before, after, the face seen and restored, two candidates"
        return {
            processing_utils.save_pil_to_cache(image, tmp_path, format="png") for image in images
        }

    first, second = (
        cached_files(handler(photo, "denoising", AS_IS, CENTRE, 0.003, 2, 2, 0, 0, 0, request))
        for _ in range(2)
    )
    assert not first & second, f"equal runs share Gradio's files: {sorted(first & second)}"


def test_editor_strokes_become_the_mask():
    image = Image.new("RGB", (80, 60), (200, 100, 50))
    layer = Image.new("RGBA", (80, 60), (0, 0, 0, 0))
    layer.paste((255, 0, 255, 255), (5, 5, 15, 25))
    got_image, mask = editor_parts({"background": image, "layers": [layer], "composite": None})
    assert got_image.size == (80, 60) and mask is not None and mask.size == (80, 60)
    assert np.asarray(mask).astype(bool).sum() == 10 * 20
    assert editor_parts({"background": image, "layers": [], "composite": None})[1] is None
    with pytest.raises(gr.Error):
        editor_parts(None)


def test_only_inpainting_takes_the_brush():
    assert [task for task in TASKS if takes_mask(task)] == ["inpainting"]
    assert set(PHOTO_LABELS) == set(TASKS), "every task says what its photo looks like"
    assert "paint" in PHOTO_LABELS["inpainting"]
    assert not any("paint" in PHOTO_LABELS[task] for task in TASKS if task != "inpainting")


def test_examples_are_made_locally_and_repeat(pipe, tmp_path):
    """The astronaut and a group photo of generated faces, damaged by each task: no download,
    no data file, the same every time, and what each example's task restores."""
    first = write_examples(pipe, tmp_path / "a")
    again = write_examples(pipe, tmp_path / "b")
    assert {e[0] for e in EXAMPLES} | {e[3] for e in EXAMPLES if e[3]} <= set(first)
    assert {e[1] for e in EXAMPLES} == set(TASKS), "every task has an example"
    assert {e[2] for e in EXAMPLES} <= {value for _, value in MODES}
    for stem, path in first.items():
        assert (pixels(path) == pixels(again[stem])).all(), f"{stem} changed between runs"
    assert Image.open(first["astronaut"]).size == (512, 512)
    assert Image.open(first["group"]).size == GROUP_SIZE
    gray = pixels(first["astronaut-gray"])
    assert (gray[..., 0] == gray[..., 1]).all(), "the colorization example is gray"
    width, height = GROUP_SIZE
    assert Image.open(first["group-low-resolution"]).size == (width // 4, height // 4)
    assert set(np.unique(pixels(first["group-posterized"]))) <= {0, 64, 128, 191, 255}
    assert np.abs(pixels(first["astronaut-noisy"]) - pixels(first["astronaut"])).mean() > 10
    scratched = pixels(first["group-scratched"])
    painted = np.asarray(Image.open(first["group-scratches"]).getchannel("A")) > 0
    (x, y), _, _ = SCRATCHES[0]
    assert painted[y, x] and (scratched[y, x] == 0).all(), "the strokes cover the scratches"
    assert (scratched[~painted] == pixels(first["group"])[~painted]).all(), "and nothing else"


def test_the_curve_starts_a_new_run_where_the_step_count_starts_again():
    """A photo's faces are solved together, so the curve has one run; a quantized photo with
    small and large faces is solved in two, and the plot shows them apart."""
    curve = Curve()
    for step, loss in [(1, 9.0), (2, 8.0), (3, 7.5), (1, 6.0), (2, 5.0)]:
        curve.add(step, loss)
    assert curve.frame().values.tolist() == [
        ["run 1", 1, 9.0],
        ["run 1", 2, 8.0],
        ["run 1", 3, 7.5],
        ["run 2", 1, 6.0],
        ["run 2", 2, 5.0],
    ]
