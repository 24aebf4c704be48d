"""The Gradio interface: pick a task, give an image, watch the MAP restoration converge.

`build_demo(pipe)` returns a queued `gr.Blocks` around any `RestorationPipeline`, so the app
(`app.py`, shipped weights) and the tests (a tiny network) run the same interface.

The work is done by `restore`, a plain function of the widgets' values: it turns the editor's
value into an observation (corrupting the image first unless the user says it already is) and a
mask (the painted strokes, for inpainting), calls the pipeline with a callback that feeds the
progress bar and honours the Stop button, and shapes the result for the output widgets.
Everything a user can get wrong ends as a `gr.Error`, which Gradio shows as a message while the
app stays up.
"""

import dataclasses
import math
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from gradio.data_classes import FileData
from PIL import Image

from ganmap import TASKS, ImageError, RestorationPipeline, corrupt
from ganmap.images import open_image, to_pil, to_tensor
from ganmap.restoration import MAX_SEED

from .examples import write_examples

#: Caps on the sliders (checked again on the server, since the API can be called directly). The
#: pipeline's defaults (50 iterations x 4 restarts, then the feature refinement) take under a
#: second on a 2-core CPU such as a free Space; the caps allow a minute or two.
MAX_ITERATIONS = 1000
MAX_RESTARTS = 16
#: The slider's largest lambda (at least): lambda trades one logit of the discriminator for one
#: unit of summed absolute error, so the prior starts to dominate only around 1.
LAM_MAX = 1.0
#: Runs at once (each is CPU-bound) and requests allowed to wait in the queue behind them.
CONCURRENCY_LIMIT = 2
QUEUE_SIZE = 16

CORRUPT = "corrupt"
AS_IS = "as-is"
MODES = [
    ("Corrupt it first with the paper's corruption (demo)", CORRUPT),
    ("It is already corrupted: restore it as it is", AS_IS),
]
#: The examples as (image stem from demo.examples, task): every task appears once.
EXAMPLES = [
    ("generated-face-seed3", "inpainting"),
    ("generated-face-seed7", "colorization"),
    ("generated-face-seed11", "super-resolution"),
    ("drawn-face", "denoising"),
    ("drawn-shapes", "quantization"),
    ("drawn-face", "inpainting"),
]
MASK_COLOUR = "#ff00ff"

INTRO = """
# Image restoration with a generative prior
MAP estimation in the latent space of a DCGAN trained on faces (Yeh, Lim et al., ICASSP 2018):
find the face G(z) that agrees with what you observe, while the discriminator keeps it realistic.
The network knows **64 × 64 aligned faces**; images are centre-cropped to a square and resized.
For **inpainting**, paint the missing region with the brush; without strokes the centre square
is missing, as in the paper.
"""

#: Results are 64 x 64 (16 x 16 observations): show them enlarged, with crisp pixels.
CSS = """
#observation img, #restoration img { width: 100%; height: 100%; object-fit: contain; }
#observation img, #restoration img, #candidates img { image-rendering: pixelated; }
"""


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


def read_uploads_with_ganmap(editor: gr.ImageEditor) -> gr.ImageEditor:
    """`editor` (of `type="pil"`), its uploaded files read by ganmap's `open_image`, not Gradio's.

    That is: EXIF orientation applied, the first frame of an animation, the size limit checked
    before decoding (decompression bombs), and a file that is no image, or a truncated one, refused
    with a `gr.Error` naming the file and the problem (Gradio's own error names its internals and
    the server's temporary path). The image keeps its mode (16-bit, alpha, palette): `editor_parts`
    converts it as the pipeline does. Canvas blobs (bytes) still go Gradio's way. Patched on the
    instance: a subclass of a Gradio component makes Gradio write a .pyi stub beside this module.
    """
    gradio_way = editor.convert_and_format_image

    def convert_and_format_image(file: Any, flatten_on_white: bool = False) -> Any:
        if not isinstance(file, FileData):
            return gradio_way(file, flatten_on_white)
        name = file.orig_name or "the image"
        try:
            return open_image(file.path)
        except ImageError as error:
            message = str(error).replace(str(file.path), name)
            raise gr.Error(f"Cannot use this upload: {message}.", print_exception=False) from error

    editor.convert_and_format_image = convert_and_format_image
    return editor


def task_label(task: str) -> str:
    """'super-resolution' -> 'Super-resolution'."""
    return task[:1].upper() + task[1:]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= value (a round slider maximum)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value * (1 - 1e-9))


def task_defaults(pipe: RestorationPipeline, task: str) -> dict[str, Any]:
    """The pipeline's default settings for `task` as a dict (lam, iterations, restarts, ...)."""
    settings = pipe.defaults(task)
    return dict(settings) if isinstance(settings, dict) else dataclasses.asdict(settings)


def editor_parts(value: Any) -> tuple[Image.Image, Image.Image | None]:
    """The editor's value as (RGB image, painted mask or None); raises gr.Error without an image.

    The mask is white where any stroke was painted (alpha > 0 in any layer): the missing pixels.
    """
    if isinstance(value, dict):
        background = value.get("background") or value.get("composite")
        layers = value.get("layers") or []
    else:  # a plain image (direct calls): no strokes
        background, layers = value, []
    if background is None:
        raise gr.Error(
            "Give an image first: upload one, take one with the webcam, paste one, "
            "or pick an example below."
        )
    if isinstance(background, np.ndarray):
        background = Image.fromarray(background)
    try:  # as the pipeline reads images: alpha onto white, 16-bit scaled, too small refused
        image = to_pil(to_tensor(background)).convert("RGB")
    except ImageError as error:
        raise gr.Error(str(error), print_exception=False) from error
    missing = np.zeros((image.height, image.width), dtype=bool)
    for layer in layers:
        if isinstance(layer, np.ndarray):
            layer = Image.fromarray(layer)
        alpha = layer.convert("RGBA").getchannel("A")
        if alpha.size != image.size:
            alpha = alpha.resize(image.size, Image.Resampling.NEAREST)
        missing |= np.asarray(alpha) > 0
    mask = Image.fromarray(missing.astype(np.uint8) * 255, "L") if missing.any() else None
    return image, mask


def observe(image: Image.Image, task: str, mode: str, seed: int) -> Image.Image:
    """The observation y handed to the solver: the image corrupted by the task, or as it is.

    Inpainting needs nothing here in either mode: the pipeline blanks the missing pixels (the
    painted ones, or the centre square) itself, after framing image and mask together.
    """
    if mode == AS_IS or task == "inpainting":
        return image
    return corrupt(image, task=task, seed=seed)


def own_files(*images: Image.Image) -> None:
    """Give this run's output images their own files in Gradio's cache (a text chunk with a fresh
    id: it is copied into the PNG). Gradio names output files by a hash of their bytes and rewrites
    an existing one in place, so two runs with equal results (an example with the same settings,
    two users at once) would share a file, and one download could read it mid-rewrite: empty."""
    run = uuid.uuid4().hex
    for image in images:
        image.info["ganmap-run"] = run


def check_settings(
    task: str,
    mode: str,
    iterations: float,
    restarts: float,
    max_iterations: int = MAX_ITERATIONS,
    max_restarts: int = MAX_RESTARTS,
) -> tuple[int, int]:
    """Check what the sliders cannot (API calls bypass them); iterations and restarts as ints."""
    if task not in TASKS:
        raise gr.Error(f"Unknown task {task!r}; choose one of: {', '.join(TASKS)}.")
    if mode not in (CORRUPT, AS_IS):
        raise gr.Error(f"Unknown mode {mode!r}; choose {CORRUPT!r} or {AS_IS!r}.")
    for name, value in (("Iterations", iterations), ("Restarts", restarts)):
        if not math.isfinite(value):  # NaN passes the sliders' range checks (raw JSON calls)
            raise gr.Error(f"{name} must be a whole number, got {value}.")
    iterations, restarts = int(iterations), int(restarts)
    if not 1 <= iterations <= max_iterations:
        raise gr.Error(f"Iterations must be between 1 and {max_iterations}, got {iterations}.")
    if not 1 <= restarts <= max_restarts:
        raise gr.Error(f"Restarts must be between 1 and {max_restarts}, got {restarts}.")
    return iterations, restarts


def check_seed(seed: float | None) -> int:
    """The seed as an int, checked before anything uses it (the demo's corruption does first)."""
    seed = int(seed or 0)
    if not 0 <= seed <= MAX_SEED:
        raise gr.Error(f"Seed must be an integer from 0 to 2**63 - 1, got {seed}.")
    return seed


def make_restore(
    pipe: RestorationPipeline,
    flags: StopFlags,
    max_iterations: int = MAX_ITERATIONS,
    max_restarts: int = MAX_RESTARTS,
) -> Callable[..., tuple]:
    """The handler behind the Restore button, bound to one pipeline, its stop flags and caps."""

    def restore(
        editor: Any,
        task: str,
        mode: str,
        lam: float,
        iterations: float,
        restarts: float,
        seed: float,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's way to ask for a progress bar)
    ):
        """Restore one image; returns observation, restoration, candidates, curve and a summary."""
        iterations, restarts = check_settings(
            task, mode, iterations, restarts, max_iterations, max_restarts
        )
        seed = check_seed(seed)
        image, mask = editor_parts(editor)
        session = request.session_hash if request is not None else None
        flag = flags.start(session)

        def callback(step: int, total: int, loss: float) -> None:
            if flag.is_set():
                raise RunStopped
            progress((step, total), desc=f"objective {loss:.4g}", unit="iterations")

        started = time.perf_counter()
        try:
            observation = observe(image, task, mode, seed)
            out = pipe(
                observation,
                task=task,
                mask=mask if task == "inpainting" else None,
                lam=float(lam),
                iterations=iterations,
                restarts=restarts,
                seed=seed,
                callback=callback,
                progress=False,  # no tqdm bar in the server's log: the browser has its own
            )
        except RunStopped:  # not an error: say so, and leave the outputs as they were
            gr.Info("Stopped: the restoration was cancelled.")
            return tuple(gr.skip() for _ in range(5))
        except ValueError as error:  # ganmap's errors a user can cause: bad image, bad mask, ...
            raise gr.Error(str(error), print_exception=False) from error
        finally:
            flags.finish(session, flag)
        seconds = time.perf_counter() - started

        own_files(out.observation, out.image, *out.candidates)
        candidates = [
            (candidate, f"#{rank}: {loss:.4g}")
            for rank, (candidate, loss) in enumerate(
                zip(out.candidates, out.losses, strict=True), start=1
            )
        ]
        curve = pd.DataFrame(
            {"iteration": np.arange(1, len(out.history) + 1), "objective": out.history}
        )
        ran = len(out.history)  # the solver stops early once the objective stalls
        early = f" (converged after {ran})" if ran < iterations else ""
        summary = (
            f"**{task_label(task)}**, λ = {float(lam):g}, {restarts} restart(s) × "
            f"{iterations} iterations{early}: best objective {out.losses[0]:.4g} "
            f"in {seconds:.1f} s. "
            f"Observation {out.observation.width} × {out.observation.height}, "
            f"restoration {out.image.width} × {out.image.height}."
        )
        if mask is not None and task != "inpainting":
            summary += " The brush strokes were ignored: they mark missing pixels for inpainting."
        return out.observation, out.image, candidates, curve, summary

    return restore


def result_image(label: str, elem_id: str) -> gr.Image:
    """An output image: PNG (lossless), downloadable, shown enlarged (see CSS)."""
    return gr.Image(
        type="pil",
        format="png",
        label=label,
        interactive=False,
        buttons=["download", "fullscreen"],
        height=300,
        elem_id=elem_id,
    )


def build_demo(pipe: RestorationPipeline, examples_dir: str | None = None) -> gr.Blocks:
    """The whole app around `pipe`, queued (bounded concurrency) and ready to `launch()`.

    The examples are written as PNG files into `examples_dir` (a fresh temporary folder by
    default) because Gradio examples are files; they are made from `pipe`'s own generator.
    """
    tasks = list(TASKS)
    defaults = {task: task_defaults(pipe, task) for task in tasks}
    first = defaults[tasks[0]]
    lam_max = max(LAM_MAX, nice_ceiling(10 * max(d["lam"] for d in defaults.values())))
    max_iterations = max(MAX_ITERATIONS, *(int(d["iterations"]) for d in defaults.values()))
    max_restarts = max(MAX_RESTARTS, *(int(d["restarts"]) for d in defaults.values()))
    flags = StopFlags()
    examples_dir = examples_dir or tempfile.mkdtemp(prefix="ganmap-demo-examples-")
    example_files = write_examples(pipe, examples_dir)

    with gr.Blocks(title="ganmap: image restoration with a generative prior") as demo:
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=1):
                task = gr.Radio(
                    [(task_label(t), t) for t in tasks],
                    value=tasks[0],
                    label="Task",
                    elem_id="task",
                )
                editor = gr.ImageEditor(
                    type="pil",
                    image_mode="RGBA",
                    sources=["upload", "webcam", "clipboard"],
                    label="Image (inpainting: brush = missing)",
                    brush=gr.Brush(
                        colors=[MASK_COLOUR], default_color=MASK_COLOUR, color_mode="fixed"
                    ),
                    transforms=("crop",),
                    layers=False,
                    height=420,
                    elem_id="image",
                )
                read_uploads_with_ganmap(editor)
                mode = gr.Radio(
                    MODES,
                    value=CORRUPT,
                    label="Input",
                    info="Already corrupted: a photo with a hole (paint it), a gray one, a small "
                    "one (any size, taken as 16 × 16), a noisy or posterized one.",
                    elem_id="mode",
                )
                lam = gr.Slider(
                    0,
                    lam_max,
                    value=first["lam"],
                    step=0.001,
                    label="λ (weight of the prior)",
                    info="0 fits the observation only; larger values trust the discriminator more.",
                    elem_id="lam",
                )
                iterations = gr.Slider(
                    1,
                    max_iterations,
                    value=first["iterations"],
                    step=1,
                    label="Iterations",
                    info="Adam steps on z; the time grows with iterations × restarts.",
                    elem_id="iterations",
                )
                with gr.Accordion("Advanced", open=False):
                    restarts = gr.Slider(
                        1,
                        max_restarts,
                        value=first["restarts"],
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
                with gr.Row():
                    run = gr.Button("Restore", variant="primary", elem_id="run")
                    stop = gr.Button("Stop", variant="stop", elem_id="stop")
            with gr.Column(scale=2):
                with gr.Row():
                    observation = result_image("Observation (what the solver sees)", "observation")
                    restoration = result_image("Restoration (64 × 64)", "restoration")
                candidates = gr.Gallery(
                    format="png",
                    label="Candidates G(z), one per restart, best first (caption: objective)",
                    columns=8,
                    object_fit="contain",
                    height=190,
                    buttons=["download", "download_all", "fullscreen"],
                    elem_id="candidates",
                )
                curve = gr.LinePlot(
                    x="iteration",
                    y="objective",
                    title="Objective (best restart) per iteration",
                    height=250,
                    label="Objective",
                    elem_id="curve",
                )
                summary = gr.Markdown(label="Summary", elem_id="summary")

        gr.Examples(
            examples=[[str(example_files[stem]), t] for stem, t in EXAMPLES],
            inputs=[editor, task],
            label="Examples (faces sampled from the generator, and drawings it has never seen)",
        )

        def show_defaults(name: str) -> tuple[float, int, int]:
            d = defaults.get(name, first)
            return d["lam"], d["iterations"], d["restarts"]

        task.change(show_defaults, task, [lam, iterations, restarts], api_visibility="private")
        run_event = run.click(
            make_restore(pipe, flags, max_iterations, max_restarts),
            [editor, task, mode, lam, iterations, restarts, seed],
            [observation, restoration, candidates, curve, summary],
            api_name="restore",
        )

        def stop_run(request: gr.Request) -> None:
            flags.stop(request.session_hash if request is not None else None)

        stop.click(stop_run, None, None, cancels=[run_event], api_visibility="private", queue=False)

    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
    return demo
