"""Each operator's classical partners, registered per operator class.

- `classical(task, y)`: a restoration without a face model that agrees with y, what G's is
  averaged with (`Settings.generator_share`);
- `consistent(task, x, y)`: the consistency step, x made to agree with what y says;
- `finish(task, x, y, ...)`: G's image made the final restoration, as the settings ask.

`classical` and `consistent` are registered per operator class (`functools.singledispatch`)
rather than written as methods, so that an operator stays its physics, and a new operator, or
one made noisy (`SuperResolution() + Denoising(0.05)`), gets the generic partners: its estimate
made consistent with y, and its projection, both onto the observation denoised first where it
is noisy. `finish` blends where the operator has missing pixels (`Task.takes_mask`).
"""

from __future__ import annotations

from functools import singledispatch

import torch

from ganmap.classical.blending import poisson_blend
from ganmap.classical.fills import fill_missing
from ganmap.classical.wiener import GROUPED, denoise, pilot_wiener
from ganmap.operators.base import Task
from ganmap.operators.denoising import Denoising
from ganmap.operators.inpainting import Inpainting
from ganmap.operators.quantization import Quantization

#: Window sides of a face's Wiener step, whose results are averaged: +0.04 dB over 6 alone.
WIENER_PATCHES = (6, 8)


def denoised_observation(task: Task, observation: torch.Tensor) -> tuple[Task, torch.Tensor]:
    """(the task observed exactly, y denoised) for an operator with Gaussian noise other than
    the identity; (task, y) otherwise: what the exact partners then work from."""
    if task.is_noisy_composite:
        return task.noiseless(), denoise(observation, task.noise.sigma)
    return task, observation


@singledispatch
def classical(task: Task, observation: torch.Tensor) -> torch.Tensor:
    """A restoration (N, 3, 64, 64) without a face model: the estimate made consistent."""
    task, observation = denoised_observation(task, observation)
    return task.project(task.estimate(observation), observation)


@classical.register
def _(task: Inpainting, observation: torch.Tensor) -> torch.Tensor:
    """Biharmonic filling (`ganmap.classical.fills`, as a photo's holes are filled): the
    smoothest fill that meets the known pixels."""
    missing = task.missing.cpu()
    filled = [fill_missing(image, missing) for image in observation.detach().cpu()]
    return torch.stack(filled).to(observation.device)


@classical.register
def _(task: Denoising, observation: torch.Tensor) -> torch.Tensor:
    """BM3D's two stages without block matching (`ganmap.classical.wiener.denoise`)."""
    return denoise(observation, task.sigma)


@classical.register
def _(task: Quantization, observation: torch.Tensor) -> torch.Tensor:
    """The rounding error denoised as if it were white noise of the same sigma, then clipped
    into the cells."""
    return task.project(denoise(observation, task.noise_sigma), observation)


@singledispatch
def consistent(task: Task, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
    """The consistency step: `image` projected onto what y pins down (y denoised first where
    it is noisy)."""
    task, observation = denoised_observation(task, observation)
    return task.project(image, observation)


@consistent.register
def _(task: Denoising, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
    """The noisy observation Wiener-filtered with the restoration as the pilot: the observed
    detail back wherever the restoration has structure, the noise averaged away elsewhere
    (`ganmap.classical.wiener`). The pilot is the restoration averaged with the classical
    restoration, whose errors are not the generator's (docs/experiments/denoising.md)."""
    pilot = (image + classical(task, observation)) / 2
    filtered = [
        pilot_wiener(observation, pilot, task.sigma, patch=p, **GROUPED) for p in WIENER_PATCHES
    ]
    return torch.stack(filtered).mean(0)


def finish(
    task: Task,
    image: torch.Tensor,
    observation: torch.Tensor,
    *,
    blend: bool = True,
    data_consistency: bool = False,
) -> torch.Tensor:
    """G's image (N, 3, 64, 64) made the final restoration: Poisson-blended into the
    observation where pixels are missing and `blend` is on (the paper's post-processing),
    otherwise made consistent with y when `data_consistency` is on."""
    if blend and task.takes_mask:
        return poisson_blend(image, observation, task.missing)
    return consistent(task, image, observation) if data_consistency else image
