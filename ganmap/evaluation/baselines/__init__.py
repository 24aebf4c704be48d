"""Classical baselines for the benchmark, each with its one parameter tuned and frozen.

`BASELINES` maps a short key to a `Baseline`: its display label, the tasks it supports and, per
task, the frozen value of its one parameter. Calling it restores a batch:
    BASELINES["tv"](observation, task) -> (N, 3, 64, 64) images in [0, 1]
where the observation is what `task.corrupt` gives (the task's `observation_shape` per image).

The values were tuned once by grid search on mean PSNR over the first 50 validation faces, one
fixed corruption seed per face (see `tune.py`), with
    OMP_NUM_THREADS=1 python -m ganmap.evaluation.baselines.tune --data /work/shared/data/celeba/val --limit 50
and must not be retuned on the images a figure is reported on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

from ganmap.evaluation.baselines.cbm3d import cbm3d
from ganmap.evaluation.baselines.lowrank import truncated_nuclear_norm
from ganmap.evaluation.baselines.references import bicubic, biharmonic, blur, gray, nl_means
from ganmap.evaluation.baselines.sparse import sparse_coding
from ganmap.evaluation.baselines.tv import total_variation
from ganmap.operators import Task, get_task


@dataclass(frozen=True)
class Baseline:
    """A restoration method with its one parameter frozen per task (`parameter` None: it has none)."""

    label: str
    method: Callable[..., torch.Tensor]
    parameter: str | None
    values: Mapping[str, int | float | None]  # task name -> frozen value; keys: the tasks served

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.values)

    def parameter_text(self, task_name: str) -> str | None:
        """The frozen parameter for a task as `name=value`, for tables; None if there is none."""
        return None if self.parameter is None else f"{self.parameter}={self.values[task_name]:g}"

    def __call__(self, observation: torch.Tensor, task: str | Task) -> torch.Tensor:
        task = get_task(task)
        if task.name not in self.values:
            raise ValueError(
                f"{self.label} does not do {task.name}; it does {', '.join(self.tasks)}"
            )
        options = {} if self.parameter is None else {self.parameter: self.values[task.name]}
        return self.method(observation, task, **options)


BASELINES: dict[str, Baseline] = {
    "tv": Baseline(
        "TV",
        total_variation,
        "weight",
        {
            "inpainting": 0.03,
            "colorization": 0.00001,
            "super-resolution": 0.00003,
            "denoising": 0.065,
            "quantization": 0.1,
        },
    ),
    "lowrank": Baseline(
        "Low rank (TNNR)",
        truncated_nuclear_norm,
        "weight",
        {
            "inpainting": 0.3,
            "colorization": 0.0003,
            "super-resolution": 0.0003,
            "denoising": 0.8,
            "quantization": 0.5,
        },
    ),
    "sparse": Baseline(
        "Sparse coding",
        sparse_coding,
        "sparsity",
        {
            "inpainting": 1,
            "colorization": 4,
            "super-resolution": 4,
            "denoising": 4,
            "quantization": 12,
        },
    ),
    "bicubic": Baseline("Bicubic", bicubic, None, {"super-resolution": None}),
    "biharmonic": Baseline("Biharmonic", biharmonic, None, {"inpainting": None}),
    "nl-means": Baseline("NL-means", nl_means, "h", {"denoising": 0.5}),
    "gray": Baseline("Gray image", gray, None, {"colorization": None}),
    "cbm3d": Baseline("CBM3D", cbm3d, None, {"denoising": None, "quantization": None}),
    "blur": Baseline("Gaussian blur", blur, "width", {"quantization": 0.8}),
}
