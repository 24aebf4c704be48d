"""The five restoration tasks of the paper, each a small object with its corruption and operator A.

A task knows two things (paper, sections 3.2 and 4.1):
- `corrupt(clean, generator)`: the observation y that the paper makes from a clean image;
- `forward(image)`: the differentiable operator A of Eq. 3, mapping an image into the space of y.
Every image here is a float tensor (N, 3, 64, 64) in [0, 1]; observations have the shape
`observation_shape` (per image). Tasks also offer `consistent(image, y)`, the restoration made
to agree with what y says exactly (see its docstring), used when `data_consistency` is on.

`TASKS` maps the five names to instances with the paper's parameters; build other instances
(`SuperResolution(factor=2)`, `Inpainting(missing=my_mask)`) for other settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F

from .models import IMAGE_SIZE

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601


def centre_square(size: int = IMAGE_SIZE, side: int = 32) -> torch.Tensor:
    """The paper's inpainting mask: True on the centre side x side square (the missing pixels)."""
    missing = torch.zeros(size, size, dtype=torch.bool)
    start = (size - side) // 2
    missing[start : start + side, start : start + side] = True
    return missing


def luma(image: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma, (N, 3, H, W) -> (N, 1, H, W): the standard grayscale conversion."""
    weights = torch.tensor(LUMA_WEIGHTS, dtype=image.dtype, device=image.device)
    return torch.einsum("nchw,c->nhw", image, weights).unsqueeze(1)


class Task:
    """A corruption y = corrupt(x) and the operator A used to compare G(z) with y."""

    name: ClassVar[str]
    #: Channels of the observation; its side is IMAGE_SIZE // `scale`.
    observation_channels: ClassVar[int] = 3
    scale: int = 1

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        side = IMAGE_SIZE // self.scale
        return (self.observation_channels, side, side)

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def consistent(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """The image itself: tasks whose observation pins part of the image override this."""
        return image

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """A cheap full-size RGB image that agrees with the observation: a starting point."""
        return observation

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.forward(image)


@dataclass(frozen=True, eq=False)  # a tensor field: compare masks with torch.equal
class Inpainting(Task):
    """Missing pixels. A is the element-wise mask; the result is Poisson-blended into y."""

    name: ClassVar[str] = "inpainting"
    missing: torch.Tensor = field(default_factory=centre_square)  # (64, 64) bool, True = missing

    def __post_init__(self) -> None:
        missing = torch.as_tensor(self.missing)
        if missing.shape != (IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(
                f"the inpainting mask must be {IMAGE_SIZE} x {IMAGE_SIZE} (True where a pixel is "
                f"missing), got shape {tuple(missing.shape)}"
            )
        missing = missing.bool()
        if not missing.any():
            raise ValueError("the inpainting mask marks no pixel as missing: nothing to restore")
        if missing.all():
            raise ValueError(
                "the inpainting mask marks every pixel as missing: nothing is observed"
            )
        object.__setattr__(self, "missing", missing)

    @property
    def known(self) -> torch.Tensor:
        return (~self.missing).float()

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.forward(clean)  # the hole is set to 0 (any value would do: A ignores it)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image * self.known.to(image.device)

    def consistent(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        known = self.known.to(image.device)
        return observation * known + image * (1 - known)

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """The hole filled with each channel's mean over the known pixels."""
        known = self.known.to(observation.device)
        means = (observation * known).sum(dim=(2, 3), keepdim=True) / known.sum()
        return self.consistent(means.expand_as(observation), observation)


@dataclass(frozen=True)
class Colorization(Task):
    """Gray input. The corruption is luma; A is luma (default) or the paper's HSV value max(R,G,B)."""

    name: ClassVar[str] = "colorization"
    observation_channels: ClassVar[int] = 1
    operator: Literal["luma", "value"] = "luma"

    def __post_init__(self) -> None:
        if self.operator not in ("luma", "value"):
            raise ValueError(
                f"colorization operator must be 'luma' or 'value', got {self.operator!r}"
            )

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return luma(clean)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return luma(image) if self.operator == "luma" else image.amax(dim=1, keepdim=True)

    def consistent(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """Shift each pixel's colour so its luma equals the gray input's (then clip to [0, 1])."""
        return (image + observation - luma(image)).clamp(0, 1)

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """The gray input as an RGB image: exact luma, no colour."""
        return observation.expand(-1, 3, -1, -1)


@dataclass(frozen=True)
class SuperResolution(Task):
    """Low resolution. A is a box low-pass filter then decimation by `factor` (64 -> 16 at 4)."""

    name: ClassVar[str] = "super-resolution"
    factor: int = 4

    def __post_init__(self) -> None:
        if self.factor not in (2, 4, 8, 16):
            raise ValueError(f"super-resolution factor must be 2, 4, 8 or 16, got {self.factor!r}")

    @property
    def scale(self) -> int:  # type: ignore[override]
        return self.factor

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.forward(clean)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(image, self.factor)

    def consistent(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """Replace the block means by the observed ones: the nearest image with A(x) = y."""
        residual = F.interpolate(observation - self.forward(image), scale_factor=self.factor)
        return (image + residual).clamp(0, 1)  # nearest upsampling: exact block means

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """Bicubic upsampling (its sample grid matches the box decimation)."""
        upsampled = F.interpolate(observation, scale_factor=self.factor, mode="bicubic")
        return upsampled.clamp(0, 1)


@dataclass(frozen=True)
class Denoising(Task):
    """Additive Gaussian noise of standard deviation `sigma`, then clipping to [0, 1]; A = identity."""

    name: ClassVar[str] = "denoising"
    sigma: float = 0.1

    def __post_init__(self) -> None:
        if not 0 < self.sigma <= 1:
            raise ValueError(f"noise sigma must be in (0, 1], got {self.sigma!r}")

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        noise = torch.randn(clean.shape, generator=generator, dtype=clean.dtype)
        return (clean + self.sigma * noise.to(clean.device)).clamp(0, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image


@dataclass(frozen=True)
class Quantization(Task):
    """`levels` evenly spaced values per channel (0, 1/4, ..., 1 at 5); A = identity (the paper)."""

    name: ClassVar[str] = "quantization"
    levels: int = 5

    def __post_init__(self) -> None:
        if not isinstance(self.levels, int) or not 2 <= self.levels <= 256:
            raise ValueError(
                f"quantization levels must be an integer in [2, 256], got {self.levels!r}"
            )

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        steps = self.levels - 1
        return torch.round(clean * steps) / steps

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image

    def consistent(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """Clip each pixel into its quantization cell: the values that would quantize to y (a
        hair inside the cell, since a value on the edge may round either way)."""
        half = 0.5 / (self.levels - 1) - 1e-4
        return torch.minimum(torch.maximum(image, observation - half), observation + half).clamp(
            0, 1
        )


TASKS: dict[str, Task] = {
    task.name: task
    for task in (Inpainting(), Colorization(), SuperResolution(), Denoising(), Quantization())
}


def get_task(task: str | Task) -> Task:
    """A task by name (one of TASKS) or the task object itself."""
    if isinstance(task, Task):
        return task
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    return TASKS[task]
