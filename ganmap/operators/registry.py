"""The registered operators: their names, what the app and the command line call them, and the
level a user can set (a noise sigma, a number of levels), in one place.

`get_task` reads a name, or names joined by "+" ("super-resolution+denoising": an operator with
the noise of denoising), or takes an operator as it is. Everything that lists operators (the
command line, the app's choices, labels and sliders, the benchmarks) reads `REGISTRY`, so that a
new operator is added here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ganmap.base.images import ImageLike
from ganmap.classical.levels import estimate_levels, estimate_noise_sigma
from ganmap.operators.base import Task
from ganmap.operators.colorization import Colorization
from ganmap.operators.denoising import Denoising
from ganmap.operators.inpainting import Inpainting
from ganmap.operators.noise import Gaussian
from ganmap.operators.quantization import Quantization
from ganmap.operators.super_resolution import SuperResolution


@dataclass(frozen=True)
class Level:
    """A corruption level a user can set, or have read from the photo."""

    option: str  # the command line's option and the app slider's element id
    label: str  # the slider's label
    maximum: float  # the slider's range is 0 (the photo's own) to this
    step: float
    info: str  # the slider's help
    set: Callable[[Task, float], Task]  # the task at a level
    read: Callable[[ImageLike], float | None]  # the level read from a photo, None if none
    describe: Callable[[float], str]  # a level, in words
    applies_to: str  # the tasks that have it, for messages


@dataclass(frozen=True)
class Entry:
    """One registered operator."""

    task: Task  # its instance with the paper's parameters
    title: str  # its name for people
    photo_label: str  # what a photo to restore with it looks like (the app's editor label)
    surroundings: str  # what a whole photo's restoration does around the faces
    classical_name: str  # the best classical method it is measured against on whole photos
    level: Level | None = None


NOISE_SIGMA = Level(
    option="noise-sigma",
    label="Noise σ",
    maximum=0.5,
    step=0.005,
    info="0: estimated from the photo (the demo adds the paper's 0.1). Raise it if the result is "
    "still noisy: a camera's noise can read low.",
    set=lambda task, sigma: (
        replace(task, sigma=sigma) if task.is_identity else replace(task, noise=Gaussian(sigma))
    ),
    read=estimate_noise_sigma,
    describe=lambda sigma: f"σ = {sigma:g}",
    applies_to="denoising, alone or joined to another task (e.g. super-resolution+denoising)",
)
LEVELS = Level(
    option="levels",
    label="Levels per channel",
    maximum=32,
    step=1,
    info="0: read from the photo (the demo uses the paper's 5).",
    set=lambda task, levels: replace(task, levels=round(levels)),
    read=estimate_levels,
    describe=lambda levels: f"{round(levels)} levels",
    applies_to="quantization",
)

REGISTRY: dict[str, Entry] = {
    entry.task.name: entry
    for entry in (
        Entry(
            Inpainting(),
            "Inpainting",
            "Photo: paint what is missing",
            "keeps its pixels (holes away from the faces are filled smoothly)",
            "Biharmonic",
        ),
        Entry(
            Colorization(),
            "Colorization",
            "Photo (gray)",
            "takes the faces' colours as far as its outlines let them, fading to its own tone "
            "(gray for a gray photo)",
            "Gray photo",
        ),
        Entry(
            SuperResolution(),
            "Super-resolution",
            "Photo (low resolution)",
            "is enlarged with bicubic interpolation",
            "Bicubic",
        ),
        Entry(
            Denoising(),
            "Denoising",
            "Photo (noisy)",
            "is denoised by a patch filter averaged with a small learned denoiser's results",
            "CBM3D",
            NOISE_SIGMA,
        ),
        Entry(
            Quantization(),
            "Quantization",
            "Photo (posterized)",
            "is smoothed by a classical patch filter",
            "CBM3D",
            LEVELS,
        ),
    )
}
#: The paper's five tasks, by name.
TASKS: dict[str, Task] = {name: entry.task for name, entry in REGISTRY.items()}


def get_task(task: str | Task) -> Task:
    """A task by name (one of TASKS, or names joined by "+", e.g. "super-resolution+denoising")
    or the task object itself."""
    if isinstance(task, Task):
        return task
    if not isinstance(task, str) or not all(part in TASKS for part in task.split("+")):
        raise ValueError(
            f"unknown task {task!r}; choose one of: {', '.join(TASKS)}, or an operator and "
            "denoising joined by '+' (e.g. 'super-resolution+denoising')"
        )
    first, *rest = (TASKS[part] for part in task.split("+"))
    for other in rest:
        first = first + other
    return first


def level_of(task: str | Task) -> Level | None:
    """The level a user can set for `task`: the noise sigma of any noisy task (composites
    included), the levels of quantization; None for the others."""
    task = get_task(task)
    if isinstance(task.noise, Gaussian):
        return NOISE_SIGMA
    return REGISTRY[task.name].level if task.name in REGISTRY else None


def at_level(task: str | Task, level: float) -> Task:
    """`task` with its corruption at `level` (the noise sigma for denoising, the levels per
    channel for quantization; a task without a level as it is). The task checks the value."""
    task = get_task(task)
    setting = level_of(task)
    return task if setting is None else setting.set(task, level)


def at_its_own_level(task: str | Task, photo: ImageLike) -> tuple[Task, str]:
    """`task` at `photo`'s own level, and what was found, as a sentence for the user: denoising
    at its estimated noise sigma, quantization at its levels (unchanged where it holds none);
    other tasks as they are, with an empty sentence."""
    task = get_task(task)
    setting = level_of(task)
    if setting is None:
        return task, ""
    found = setting.read(photo)
    if setting is NOISE_SIGMA:
        return at_level(task, found), f"Its noise level was estimated at σ = {found:.3f}."
    if found is None:
        return task, (
            f"Its values lie on no evenly spaced levels: restored as {task.levels} per channel."
        )
    return at_level(task, found), f"It holds {found} levels per channel."
