"""The evaluation protocol (docs/evaluation-protocol.md) in code: the inputs every method sees and
how our method is run on them (the metrics are `ganmap.evaluation.metrics`).

The benchmark, the speed report, the baselines' tuning and the defaults' tuning all import it, so
that their figures are comparable.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ganmap.base.images import IMAGE_SIZE
from ganmap.operators import TASKS, SuperResolution, Task
from ganmap.photo.pipeline import RestorationPipeline

#: The benchmark's columns: the five tasks, and super-resolution once more for each other kind of
#: low-resolution input a user meets (the default is bicubic, PIL's resize; the paper's is box).
BENCHMARK_TASKS: dict[str, Task] = {
    **TASKS,
    "super-resolution (area)": SuperResolution(kernel="area"),
    "super-resolution (box)": SuperResolution(kernel="box"),
}


def corrupted_inputs(task: Task, clean: torch.Tensor) -> torch.Tensor:
    """Image i corrupted with seed i: the same inputs for every method and every run."""
    return torch.cat(
        [
            task.corrupt(clean[i : i + 1], torch.Generator().manual_seed(i))
            for i in range(len(clean))
        ]
    )


def input_as_image(task: Task, observation: torch.Tensor) -> torch.Tensor:
    """The observation shown as a 64 x 64 RGB image: what a user holds, scored as a method."""
    image = observation.expand(-1, 3, -1, -1) if observation.shape[1] == 1 else observation
    if image.shape[-1] != IMAGE_SIZE:
        image = F.interpolate(image, size=IMAGE_SIZE, mode="nearest")
    return image


def run_gan(
    pipe: RestorationPipeline,
    task: Task,
    observations: torch.Tensor,
    preset: str,
    batch: int,
    **overrides,
) -> tuple[torch.Tensor, list[float]]:
    """Our method on `batch` faces per call, with the preset's settings changed by `overrides`;
    returns the restorations (N, 3, 64, 64) and seconds per face (each call's time / its faces)."""
    restored, seconds = [], []
    for chunk in tqdm(observations.split(batch), desc=f"{task.name}/{preset}", leave=False):
        start = time.perf_counter()
        out = pipe(list(chunk), task, preset=preset, progress=False, **overrides)
        seconds += [(time.perf_counter() - start) / len(chunk)] * len(chunk)
        restored += [
            torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).permute(2, 0, 1)
            for image in out.image
        ]
    return torch.stack(restored), seconds
