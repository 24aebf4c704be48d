"""The Gradio interface: upload a photo, pick what is wrong with it, press Restore.

`build_demo(pipe)` returns a queued `gr.Blocks` around any `RestorationPipeline`, so the app
(`app.py`, shipped weights) and the tests (a tiny network) run the same interface.

The work is done by `make_restore`'s handler, a plain function of the widgets' values: it takes
the editor's photo and painted strokes, corrupts the photo first only in the demo mode, restores
it (`demo.pipeline`: every face found, or the centre as one aligned face), and shapes the result
for the outputs: a before/after slider of the whole photo, each face as the model saw it and
restored, full-size downloads, the objective curve and (centre framing) the restarts'
candidates. A photo without a face found gets a message and a button for the centre framing.
Everything a user can get wrong ends as a `user_error`: a message in the browser, one line in
the server's log.

The layout puts the task, the photo, Restore and the result on one 1366 x 768 screen (the result
column beside the controls); on a phone the columns stack and the page scrolls to the result
when it arrives.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from ganmap import REGISTRY, TASKS, NoFaceError, RestorationPipeline
from ganmap.base.paper import PAPER_URL
from ganmap.core.pipeline import MAX_SEED
from ganmap.operators import get_task
from ganmap.operators.registry import LEVELS, NOISE_SIGMA, level_of

from .examples import EXAMPLES, GROUP_SIZE, write_examples
from .pipeline import (
    CENTRE,
    FACES,
    FRAMINGS,
    RESTORE,
    FacesBehindHoles,
    RestorationResult,
    takes_mask,
)
from .uploads import editor_parts, fitted, log, read_photo, user_error

#: Caps on the sliders (checked again on the server, since the API can be called directly): a
#: run at the caps takes a minute or two, where the defaults take about a second a face.
MAX_ITERATIONS = 1000
MAX_RESTARTS = 16
#: The slider's largest lambda: about where the discriminator starts to override the photo
#: (measured in docs/experiments/app.md).
LAM_MAX = 100.0
#: The largest noise sigma and the most levels that can be set: the sliders' ranges (0 on each:
#: the photo's own, or the paper's in the demo mode).
MAX_NOISE_SIGMA = NOISE_SIGMA.maximum
MAX_LEVELS = LEVELS.maximum
#: The slider of each task's corruption level, shown with its task (from the registry). The
#: Restore handler takes their values in this order, after the seed.
LEVEL_SLIDERS = {name: entry.level for name, entry in REGISTRY.items() if entry.level}
#: Runs at once (each is CPU-bound) and requests allowed to wait in the queue behind them.
CONCURRENCY_LIMIT = 2
QUEUE_SIZE = 16

AS_IS = "as-is"
CORRUPT = "corrupt"
MODES = [("Restore it as it is", AS_IS), ("Corrupt it first (demo)", CORRUPT)]
MASK_COLOUR = "#ff00ff"

#: What the photo should look like for each task: the editor's label.
PHOTO_LABELS = {name: entry.photo_label for name, entry in REGISTRY.items()}

INTRO = f"""
### Restore a face photo with a GAN prior
Upload a photo, pick what is wrong with it, press **Restore** (or try an example at the bottom).
Each face is restored by a DCGAN trained on 64 × 64 faces: [Yeh, Lim et al., ICASSP 2018]({PAPER_URL}).
"""

#: The faces (64 x 64) enlarged with crisp pixels; the notes keep their line when empty.
CSS = """
#faces img, #candidates img { image-rendering: pixelated; }
#upload-note, #summary { min-height: 1.5em; }
"""


#: Brings the result into view when it arrives, unless its top already is in the upper half of the
#: window (a wide screen, where it sits beside the controls). Gradio's `scroll_to_output` did not
#: scroll on a phone-sized window in Chromium.
SCROLL_TO_RESULT = """() => {
  const result = document.getElementById("comparison");
  const top = result.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight / 2) result.scrollIntoView({block: "start"});
}"""


NO_FACE = (
    "**No face found** in this photo: the detector misses faces under about 10 px across, "
    "turned away or mostly covered. You can restore the photo's centre as one aligned face "
    "instead (the paper's framing: best when the photo is a face crop)."
)
#: Said too when the demo mode's holes hid the faces: the detector can miss them.
NO_FACE_BEHIND_HOLES = (
    " Here the demo mode cut the paper's 32 × 32 hole in the middle of each face, and the "
    "detector can miss a face with that hole (turned, or only a few pixels across): paint a "
    "smaller hole with the brush and restore the photo as it is."
)


class Curve:
    """The objective after each step, for the convergence plot: the mean over the faces solved
    together, per run. A photo's faces are solved in one run; a quantized photo with faces both
    under and over 96 px in two, the step count starting again at 1 for the second."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, float]] = []
        self.runs = 0

    @property
    def run(self) -> str:
        return f"run {self.runs}"

    def add(self, step: int, loss: float) -> None:
        if not self.rows or step <= self.rows[-1][1]:
            self.runs += 1
        self.rows.append((self.run, step, float(loss)))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["run", "iteration", "objective"])


class RunStopped(Exception):
    """Raised from the pipeline's callback when the user presses Stop: it aborts the solver."""


class StopFlags:
    """One flag per browser session, so that Stop ends the solver's loop instead of orphaning it.

    Gradio's `cancels=` drops the event, but the worker thread running the solver would keep the
    CPU busy until the last iteration; the callback checks this flag every iteration and aborts.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flags: dict[str, threading.Event] = {}

    def start(self, session: str | None) -> threading.Event:
        flag = threading.Event()
        if session is not None:
            with self._lock:
                self._flags[session] = flag
        return flag

    def stop(self, session: str | None) -> None:
        with self._lock:
            flag = self._flags.get(session) if session is not None else None
        if flag is not None:
            flag.set()

    def finish(self, session: str | None, flag: threading.Event) -> None:
        with self._lock:
            if session is not None and self._flags.get(session) is flag:
                del self._flags[session]


def task_label(task: str) -> str:
    """'super-resolution' -> 'Super-resolution' (the registry's title)."""
    return REGISTRY[task].title


def task_defaults(pipe: RestorationPipeline, task: str) -> tuple[float, int, int]:
    """The pipeline's default (lambda, iterations, restarts) for `task`: the sliders' values."""
    settings = pipe.defaults(task)
    return float(settings.lam), int(settings.iterations), int(settings.restarts)


def own_files(*images: Image.Image) -> None:
    """Give this run's output images their own files in Gradio's cache (a text chunk with a fresh
    id: it is copied into the PNG). Gradio names output files by a hash of their bytes and rewrites
    an existing one in place, so two runs with equal results (an example with the same settings,
    two users at once) would share a file, and one download could read it mid-rewrite: empty."""
    run = uuid.uuid4().hex
    for image in images:
        image.info["ganmap-run"] = run


def number(name: str, value: Any, low: float, high: float) -> float:
    """A setting as a float from `low` to `high`, or a user error naming it."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise user_error(f"{name} must be a number, got {value!r}.") from None
    if not low <= value <= high:  # NaN fails this too
        raise user_error(f"{name} must be from {low:.15g} to {high:.15g}, got {value:.15g}.")
    return value


def check_settings(
    task: str,
    mode: str,
    framing: str,
    lam: Any,
    iterations: Any,
    restarts: Any,
    seed: Any,
    noise_sigma: Any,
    levels: Any,
    max_iterations: int = MAX_ITERATIONS,
    max_restarts: int = MAX_RESTARTS,
) -> tuple[float, int, int, int, float]:
    """The widgets' values, checked here (the Restore event skips Gradio's preprocessing, and API
    calls can send anything): lambda as a float, iterations, restarts and seed as ints, and the
    level of `task`'s corruption (its noise sigma or levels; 0 for other tasks)."""
    if task not in TASKS:
        raise user_error(f"Unknown task {task!r}; choose one of: {', '.join(TASKS)}.")
    if mode not in (AS_IS, CORRUPT):
        raise user_error(f"Unknown mode {mode!r}; choose {AS_IS!r} or {CORRUPT!r}.")
    if framing not in RESTORE:
        raise user_error(f"Unknown framing {framing!r}; choose one of: {', '.join(RESTORE)}.")
    lam = number("λ", lam, 0, LAM_MAX)
    iterations = int(number("Iterations", iterations, 1, max_iterations))
    restarts = int(number("Restarts", restarts, 1, max_restarts))
    seed = 0 if seed is None else seed
    whole = isinstance(seed, int | float) and not isinstance(seed, bool) and seed == seed // 1
    if not (whole and 0 <= seed <= MAX_SEED):
        raise user_error(f"Seed must be a whole number from 0 to 2**63 - 1, got {seed!r}.")
    noise_sigma = number("Noise σ", 0 if noise_sigma is None else noise_sigma, 0, MAX_NOISE_SIGMA)
    levels = number("Levels", 0 if levels is None else levels, 0, MAX_LEVELS)
    if levels % 1 or levels == 1:
        raise user_error(
            f"Levels must be 0 (the photo's own) or a whole number from 2 to {MAX_LEVELS}, got "
            f"{levels:g}."
        )
    level = {NOISE_SIGMA.option: noise_sigma, LEVELS.option: levels}.get(
        getattr(level_of(task), "option", None), 0
    )
    return lam, iterations, restarts, int(seed), level


def example_value(files: dict[str, Path], photo: str, strokes: str | None) -> dict:
    """An example as the editor's value: the photo, and the strokes painted on it if any."""
    layers = [str(files[strokes])] if strokes else []
    return {"background": str(files[photo]), "layers": layers, "composite": None}


def write_downloads(result: RestorationResult, task: str, folder: Path) -> list[str]:
    """The restored photo and what it was restored from, as full-size PNG files to download."""
    folder.mkdir(parents=True)
    paths = [folder / f"restored-{task}.png", folder / "observed.png"]
    result.after.save(paths[0])
    result.observed.save(paths[1])
    return [str(path) for path in paths]


def make_restore(
    pipe: RestorationPipeline,
    flags: StopFlags,
    downloads: Path,
    max_iterations: int = MAX_ITERATIONS,
    max_restarts: int = MAX_RESTARTS,
) -> Callable[..., tuple]:
    """The handler behind the Restore button, bound to one pipeline, its stop flags and caps;
    `downloads` is the folder the full-size files are written to."""

    def restore(
        editor: Any,
        task: str,
        mode: str,
        framing: str,
        lam: float,
        iterations: float,
        restarts: float,
        seed: float | None,
        noise_sigma: float,
        levels: float,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's way to ask for a progress bar)
    ):
        """Restore one photo; returns the comparison, the faces, the downloads, a summary, the
        objective curve, the candidates and whether to offer the centre-crop fallback."""
        lam, iterations, restarts, seed, level = check_settings(
            task,
            mode,
            framing,
            lam,
            iterations,
            restarts,
            seed,
            noise_sigma,
            levels,
            max_iterations,
            max_restarts,
        )
        image, strokes, fit_note = fitted(*editor_parts(editor), get_task(task).scale)
        mask = strokes if takes_mask(task) else None
        if takes_mask(task) and mask is None and mode == AS_IS:
            raise user_error(
                "Paint what is missing with the brush first, or choose “Corrupt it first (demo)” "
                "to cut the paper's hole in the middle of each face."
            )
        session = request.session_hash if request is not None else None
        flag = flags.start(session)
        curve = Curve()

        def callback(step: int, total: int, loss: float) -> None:
            if flag.is_set():
                raise RunStopped
            curve.add(step, loss)
            progress((step, total), desc=f"{curve.run}: objective {loss:.4g}", unit="steps")

        started = time.perf_counter()
        try:
            result = RESTORE[framing](
                pipe,
                image,
                task,
                mask=mask,
                corrupt_first=mode == CORRUPT,
                level=level,
                lam=lam,
                iterations=iterations,
                restarts=restarts,
                seed=seed,
                callback=callback,
            )
        except RunStopped:  # not an error: say so, and leave the outputs as they were
            gr.Info("Stopped: the restoration was cancelled.")
            return tuple(gr.skip() for _ in range(7))
        except NoFaceError as error:  # a message, the old results cleared, the fallback offered
            log.warning("user error: no face found (%s, %s)", task, mode)
            message = NO_FACE + (
                NO_FACE_BEHIND_HOLES if isinstance(error, FacesBehindHoles) else ""
            )
            return None, [], None, message, None, [], gr.update(visible=True)
        except ValueError as error:  # ganmap's errors a user can cause: bad image, bad mask, ...
            raise user_error(str(error)) from error
        finally:
            flags.finish(session, flag)
        seconds = time.perf_counter() - started

        own_files(
            result.before,
            result.after,
            *(image for image, _ in result.faces),
            *(candidate for candidate, _ in result.candidates),
        )
        files = write_downloads(result, task, downloads / uuid.uuid4().hex)
        candidates = [
            (candidate, f"#{rank}: objective {loss:.4g}")
            for rank, (candidate, loss) in enumerate(result.candidates, start=1)
        ]
        summary = (
            f"**{task_label(task)}** in {seconds:.1f} s: {result.note} Result "
            f"{result.after.width} × {result.after.height}: drag the slider to compare. "
            f"λ = {lam:g}, {restarts} restart(s) × at most {iterations} iterations."
        )
        if strokes is not None and mask is None:
            summary += " The brush strokes were ignored: they mark missing pixels for inpainting."
        if fit_note:
            summary += f" {fit_note}"
        comparison = (result.before, result.after)
        fallback = gr.update(visible=False)
        return comparison, result.faces, files, summary, curve.frame(), candidates, fallback

    return restore


def build_demo(pipe: RestorationPipeline, examples_dir: str | None = None) -> gr.Blocks:
    """The whole app around `pipe`, queued (bounded concurrency) and ready to `launch()`.

    The examples are written as PNG files into `examples_dir` (a fresh temporary folder by
    default) because Gradio examples are files; they are made from `pipe`'s own generator.
    """
    tasks = list(TASKS)
    defaults = {task: task_defaults(pipe, task) for task in tasks}
    lam0, iterations0, restarts0 = defaults[tasks[0]]
    max_iterations = max(MAX_ITERATIONS, *(d[1] for d in defaults.values()))
    max_restarts = max(MAX_RESTARTS, *(d[2] for d in defaults.values()))
    flags = StopFlags()
    examples_dir = Path(examples_dir or tempfile.mkdtemp(prefix="ganmap-demo-examples-"))
    example_files = write_examples(pipe, examples_dir)

    with gr.Blocks(title="ganmap: restore a face photo with a GAN prior") as demo:
        gr.Markdown(INTRO, elem_id="intro")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=320):
                task = gr.Radio(
                    [(task_label(t), t) for t in tasks],
                    value=tasks[0],
                    label="What is wrong with the photo?",
                    container=False,
                    elem_id="task",
                )
                with gr.Row(equal_height=True):
                    upload = gr.UploadButton(
                        "Upload a photo", file_types=["image"], size="md", elem_id="upload"
                    )
                    mode = gr.Radio(
                        MODES, value=AS_IS, show_label=False, container=False, elem_id="mode"
                    )
                editor = gr.ImageEditor(
                    type="pil",
                    image_mode="RGBA",
                    # lossless: Gradio's default, WebP at quality 80, halved a noisy photo's noise
                    # and moved a posterized photo's values off its levels
                    format="png",
                    sources=["clipboard", "webcam"],
                    placeholder="Upload a photo with the button above",
                    label=PHOTO_LABELS[tasks[0]],
                    brush=gr.Brush(
                        colors=[MASK_COLOUR], default_color=MASK_COLOUR, color_mode="fixed"
                    ),
                    transforms=("crop",),
                    layers=False,
                    # Gradio 6.31 draws a value's painted layer offset by half the difference
                    # between this size and the photo's: the size of the example with strokes.
                    canvas_size=GROUP_SIZE,
                    height=300,
                    elem_id="image",
                )
                with gr.Row():
                    run = gr.Button("Restore", variant="primary", elem_id="run", scale=2)
                    stop = gr.Button("Stop", variant="stop", elem_id="stop", scale=1)
                upload_note = gr.Markdown(elem_id="upload-note")
                with gr.Accordion("Advanced", open=False, elem_id="advanced"):
                    framing = gr.Radio(
                        FRAMINGS,
                        value=FACES,
                        label="Faces",
                        info="Every face is found, aligned to the model's 64 × 64 framing, "
                        "restored and put back; or the photo's centre is taken as one aligned face.",
                        elem_id="framing",
                    )
                    lam = gr.Slider(
                        0,
                        LAM_MAX,
                        value=lam0,
                        step=0.001,
                        label="λ (weight of the discriminator's prior)",
                        info="0, the default, leaves the discriminator out and runs twice as fast. "
                        "Up to 1 it changes the result by under 1/255 on average (measured); from "
                        "10 on it visibly pulls the face towards what the discriminator likes.",
                        elem_id="lam",
                    )
                    iterations = gr.Slider(
                        1,
                        max_iterations,
                        value=iterations0,
                        step=1,
                        label="Iterations",
                        info="Adam steps on z; the time grows with iterations × restarts.",
                        elem_id="iterations",
                    )
                    restarts = gr.Slider(
                        1,
                        max_restarts,
                        value=restarts0,
                        step=1,
                        label="Restarts",
                        info="Independent starting points z; the best one wins.",
                        elem_id="restarts",
                    )
                    seed = gr.Number(
                        value=0,
                        precision=0,
                        minimum=0,
                        label="Seed",
                        info="Seeds the restarts' starting points and the demo's noise.",
                        elem_id="seed",
                    )
                    level_sliders = [
                        gr.Slider(
                            0,
                            level.maximum,
                            value=0,
                            step=level.step,
                            label=level.label,
                            info=level.info,
                            visible=level_task == tasks[0],
                            elem_id=level.option,
                        )
                        for level_task, level in LEVEL_SLIDERS.items()
                    ]
                    reset = gr.Button("Reset to this task's defaults", size="sm", elem_id="reset")
                    gr.Markdown(
                        "Switching task sets these to its defaults; the framing and seed stay."
                    )
            with gr.Column(scale=1, min_width=320):
                comparison = gr.ImageSlider(
                    type="pil",
                    format="png",
                    label="Before / after",
                    interactive=False,
                    buttons=["download", "fullscreen"],
                    max_height=440,
                    elem_id="comparison",
                )
                summary = gr.Markdown(elem_id="summary")
                fallback = gr.Button(
                    "Restore the centre as one aligned face",
                    visible=False,
                    size="sm",
                    elem_id="fallback",
                )
                faces = gr.Gallery(
                    format="png",
                    label="Each face as the model saw it (aligned), and restored",
                    columns=6,
                    fit_columns=False,
                    object_fit="contain",
                    height=140,
                    elem_id="faces",
                )
                files = gr.File(
                    label="Downloads (full size)", file_count="multiple", elem_id="downloads"
                )
                with gr.Accordion("How it converged", open=False, elem_id="details"):
                    curve = gr.LinePlot(
                        x="iteration",
                        y="objective",
                        color="run",
                        title="Objective (best restart, mean over the faces) per iteration",
                        height=280,
                        label="Objective",
                        elem_id="curve",
                    )
                    candidates = gr.Gallery(
                        format="png",
                        label="Candidates: G(z) of each restart, best first (centre framing)",
                        columns=8,
                        fit_columns=False,
                        object_fit="contain",
                        visible=False,  # shown with the centre framing, which has them
                        elem_id="candidates",
                    )
                    gr.Markdown(
                        "With the centre framing, the candidates show the generator's raw faces "
                        "G(z), one per restart, before the last "
                        "two steps that make the result: a refinement past the generator's range "
                        "and an exact agreement with the photo (its known pixels, its gray "
                        "levels, its block means). That is why they look paler and smoother."
                    )

        gr.Examples(
            examples=[
                [example_value(example_files, photo, strokes), task, mode]
                for photo, task, mode, strokes in EXAMPLES
            ],
            inputs=[editor, task, mode],
            label="Examples (built here: scikit-image's astronaut and the generator's own faces)",
        )

        outputs = [comparison, faces, files, summary, curve, candidates, fallback]

        def on_upload(path: str) -> tuple[Any, str]:
            """The photo into the editor, with a note; a file that is no photo is named in a
            warning and the note, and the editor keeps the photo it had."""
            try:
                image, note = read_photo(path, Path(path).name)
            except gr.Error as error:
                gr.Warning(error.message)
                return gr.skip(), f"**{error.message}**"
            return {"background": image, "layers": [], "composite": None}, note

        upload.upload(on_upload, upload, [editor, upload_note], api_name="upload")

        def on_task(name: str) -> tuple:
            """A new task: its photo label, the results cleared, and its own tuned settings (the
            tasks' defaults differ, e.g. 15 or 30 iterations)."""
            cleared = (
                f"Switched to **{task_label(name)}**: the previous results were cleared and the "
                "settings set to this task's defaults."
            )
            cleared_outputs = (None, [], None, cleared, None, [], gr.update(visible=False))
            levels_shown = [gr.update(visible=name == t, value=0) for t in LEVEL_SLIDERS]
            return (
                gr.update(label=PHOTO_LABELS[name]),
                *cleared_outputs,
                *defaults[name],
                *levels_shown,
            )

        framing.change(
            lambda name: gr.update(visible=name == CENTRE),
            framing,
            candidates,
            api_visibility="private",
        )
        task.change(
            on_task,
            task,
            [editor, *outputs, lam, iterations, restarts, *level_sliders],
            api_visibility="private",
        )
        reset.click(
            lambda name: (*defaults[name], *(0 for _ in level_sliders)),
            task,
            [lam, iterations, restarts, *level_sliders],
            api_visibility="private",
        )
        restore = make_restore(
            pipe,
            flags,
            Path(tempfile.mkdtemp(prefix="ganmap-demo-downloads-")),
            max_iterations,
            max_restarts,
        )
        inputs = [editor, task, mode, framing, lam, iterations, restarts, seed, *level_sliders]
        # No preprocessing: the handler reads the editor's files itself (`editor_parts`: ganmap's
        # reader, its checks, messages that name the file) and checks the settings
        # (`check_settings`: one message and one log line for any value out of range).
        run_event = run.click(restore, inputs, outputs, api_name="restore", preprocess=False)
        fallback_event = fallback.click(
            lambda: CENTRE, None, framing, api_visibility="private"
        ).then(restore, inputs, outputs, api_visibility="private", preprocess=False)
        for event in (run_event, fallback_event):
            event.success(None, js=SCROLL_TO_RESULT)

        def stop_run(request: gr.Request) -> None:
            flags.stop(request.session_hash if request is not None else None)

        stop.click(
            stop_run,
            None,
            None,
            cancels=[run_event, fallback_event],
            api_visibility="private",
            queue=False,
        )

    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
    return demo
