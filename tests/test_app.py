"""The Gradio app end to end through its HTTP API, around conftest's tiny pipeline (no weights).

The server runs in a background thread on a free port; `gradio_client` calls the `/restore`
endpoint exactly as the Restore button does. The checks are about the app's contract (sizes, value
ranges, which pixels change, errors shown as messages), not restoration quality: an untrained
network restores little.
"""

from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from app_helpers import client_for, face_upload, serve
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from demo.examples import FACE_SEEDS, drawn_shapes, write_examples
from demo.interface import (
    MAX_ITERATIONS,
    StopFlags,
    editor_parts,
    make_restore,
    nice_ceiling,
)
from ganmap import TASKS
from ganmap.tasks import centre_hole

ITERATIONS, RESTARTS = 15, 2


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


def editor_value(background: Path, *layers: Path) -> dict:
    """What the ImageEditor sends: a background image and the painted layers."""
    return {
        "background": handle_file(str(background)),
        "layers": [handle_file(str(layer)) for layer in layers],
        "composite": None,
    }


def restore(client: Client, editor: dict, task: str, mode: str = "corrupt", **settings):
    settings = {"lam": 0.003, "iterations": ITERATIONS, "restarts": RESTARTS, "seed": 0, **settings}
    return client.predict(
        editor,
        task,
        mode,
        settings["lam"],
        settings["iterations"],
        settings["restarts"],
        settings["seed"],
        api_name="/restore",
    )


def pixels(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)


@pytest.mark.slow
@pytest.mark.parametrize("task", list(TASKS))
def test_every_task_restores_through_the_api(client, face_file, task):
    observation, restoration, candidates, curve, summary = restore(
        client, editor_value(face_file), task
    )
    obs_image, restored_image = Image.open(observation), Image.open(restoration)
    side = 16 if task == "super-resolution" else 64
    assert obs_image.size == (side, side), "the observation as the solver saw it"
    assert obs_image.mode == ("L" if task == "colorization" else "RGB")
    assert restored_image.size == (64, 64) and restored_image.mode == "RGB"
    restored = pixels(restoration)
    assert restored.min() >= 0 and restored.max() <= 255 and restored.std() > 0

    observed = pixels(observation)
    if task == "super-resolution":  # compare at the same size
        observed = np.repeat(np.repeat(observed, 4, axis=0), 4, axis=1)
    if task == "inpainting":
        hole = centre_hole().numpy()  # the paper's default hole: the centre 32 x 32
        assert (observed[hole] == 0).all(), "the corruption blacks out the centre square"
        assert np.abs(restored[hole]).mean() > 1, "the hole is filled"
        assert np.abs(restored[~hole] - observed[~hole]).max() <= 2, "known pixels are kept"
    else:
        assert np.abs(restored - observed).mean() > 1, "the restoration is not the observation"

    assert len(candidates) == RESTARTS
    for candidate in candidates:
        assert Image.open(candidate["image"]).size == (64, 64)
        assert candidate["caption"].startswith("#")
    objective = [row[1] for row in curve["data"]]
    assert 1 <= len(objective) <= ITERATIONS and np.isfinite(objective).all()
    assert "best objective" in summary


@pytest.mark.slow
def test_painted_mask_on_an_already_corrupted_image(client, face_file, tmp_path):
    """The real use: the user's own image with a hole, the hole painted with the brush."""
    strokes = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    strokes.paste((255, 0, 255, 255), (10, 40, 40, 70))  # a stroke left of the centre
    strokes.save(tmp_path / "layer.png")

    observation, restoration, *_ = restore(
        client, editor_value(face_file, tmp_path / "layer.png"), "inpainting", mode="as-is"
    )
    observed, restored = pixels(observation), pixels(restoration)
    coverage = np.asarray(strokes.getchannel("A").resize((64, 64), Image.Resampling.BOX))
    painted, unpainted = coverage == 255, coverage == 0  # leave the stroke's blurred edge out
    assert (observed[painted] == 0).all(), "the painted region is what is missing"
    assert np.abs(restored[painted] - observed[painted]).mean() > 1, "and it is filled"
    assert (observed[unpainted].sum(-1) > 0).mean() > 0.99, "the rest is the image as given"


@pytest.mark.slow
def test_user_errors_are_messages_and_the_app_stays_up(client, face_file, tmp_path):
    with pytest.raises(AppError, match="Give an image first"):
        restore(client, {"background": None, "layers": [], "composite": None}, "denoising")
    Image.new("RGB", (4, 4)).save(tmp_path / "tiny.png")
    with pytest.raises(AppError, match="too small"):
        restore(client, editor_value(tmp_path / "tiny.png"), "denoising")
    with pytest.raises(AppError, match="greater than maximum"):  # the slider's cap holds
        restore(client, editor_value(face_file), "denoising", iterations=MAX_ITERATIONS + 1)
    with pytest.raises(AppError, match="less than minimum"):
        restore(client, editor_value(face_file), "denoising", lam=-1)

    observation, restoration, *_ = restore(client, editor_value(face_file), "denoising")
    assert Image.open(restoration).size == (64, 64), "the app still serves after the errors"


def test_stop_aborts_the_solver(pipe):
    """Stop sets the session's flag; the callback then raises inside the solver, which ends the
    run at once (not after its last iteration) and leaves the outputs alone."""
    flags, seen = StopFlags(), []

    class PressStopAtStep3:  # the pipeline, with the user pressing Stop during step 3
        defaults = pipe.defaults

        def __call__(self, *args, callback, **kwargs):
            def press_stop(step: int, total: int, loss: float) -> None:
                seen.append(step)
                if step == 3:
                    flags.stop("session")
                callback(step, total, loss)

            return pipe(*args, callback=press_stop, **kwargs)

    handler = make_restore(PressStopAtStep3(), flags)
    request = SimpleNamespace(session_hash="session")
    outputs = handler(drawn_shapes(), "denoising", "corrupt", 0.003, MAX_ITERATIONS, 2, 0, request)
    assert seen == [1, 2, 3]
    assert outputs == tuple(gr.skip() for _ in range(5)), "outputs are left as they were"
    flags.stop("session")  # a late Stop, after the run, is harmless


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


def test_nice_ceiling_rounds_up_to_1_2_5():
    assert [nice_ceiling(x) for x in (0.003, 0.012, 0.3, 1, 7)] == [0.005, 0.02, 0.5, 1, 10]


def test_examples_are_made_locally_and_repeat(pipe, tmp_path):
    """Faces sampled with fixed seeds plus drawings: no download, no data file, same every time."""
    first = write_examples(pipe, tmp_path / "a")
    again = write_examples(pipe, tmp_path / "b")
    assert len(first) == len(FACE_SEEDS) + 2
    for stem, path in first.items():
        image = Image.open(path)
        assert image.mode == "RGB" and image.size in ((64, 64), (256, 256))
        assert (pixels(path) == pixels(again[stem])).all(), f"{stem} changed between runs"
