"""Noise models: how an observation y relates to A(x), for any operator A.

A noise model draws y from A(x) (`sample`), says what y tells about a candidate's A(x) value by
value (`residual`, whose L1 norm is Eq. 3's data term and whose square the refinement
minimises), and names the standard deviation a classical denoiser should assume (`sigma`). Any
operator can carry one (`Task.noise`), so that a photo that is both 2x smaller and noisy is one
operator, `SuperResolution(factor=2) + Denoising(sigma=0.05)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


class Noise:
    """Exact observation: y = A(x)."""

    #: The noise standard deviation a classical denoiser should assume, None where y is exact.
    sigma: float | None = None

    def sample(self, value: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """y drawn from the clean A(x) `value` (seeded by `generator` where random)."""
        return value

    def residual(self, value: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """What y says is wrong with A(x) = `value`, value by value: A(x) - y."""
        return value - observation

    def describe(self) -> str:
        return ""


EXACT = Noise()


@dataclass(frozen=True)
class Gaussian(Noise):
    """Additive white Gaussian noise of standard deviation `sigma`, then clipping to [0, 1]."""

    sigma: float = 0.1

    def __post_init__(self) -> None:
        if isinstance(self.sigma, bool) or not 0 < self.sigma <= 1:
            raise ValueError(f"noise sigma must be in (0, 1], got {self.sigma!r}")

    def sample(self, value: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.randn(value.shape, generator=generator, dtype=value.dtype)
        return (value + self.sigma * noise.to(value.device)).clamp(0, 1)

    def describe(self) -> str:
        return f"noise of sigma {self.sigma:g}"


@dataclass(frozen=True)
class Rounding(Noise):
    """Rounding to `levels` evenly spaced values per channel: y pins A(x) to a cell of width
    1 / (levels - 1) around it."""

    levels: int = 5
    #: The share of each cell's half-width in which a value counts as agreeing with y. Every
    #: value in the cell is equally likely (1.0), but then nothing pulls a value towards its
    #: cell before it has left it; 0.75 measured best among 0.5-1.0 (docs/experiments).
    dead_zone: float = 0.75

    def __post_init__(self) -> None:
        if not isinstance(self.levels, int) or not 2 <= self.levels <= 256:
            raise ValueError(
                f"quantization levels must be an integer in [2, 256], got {self.levels!r}"
            )

    @property
    def step(self) -> float:
        return 1 / (self.levels - 1)

    @property
    def sigma(self) -> float:  # type: ignore[override]
        """The standard deviation of an error uniform over one cell, step / sqrt(12)."""
        return 1 / ((self.levels - 1) * math.sqrt(12))

    def sample(self, value: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        steps = self.levels - 1
        return torch.round(value * steps) / steps

    def residual(self, value: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """How far each value lies outside the central `dead_zone` of its cell."""
        offset = value - observation
        inner = self.dead_zone * 0.5 / (self.levels - 1)
        return torch.sign(offset) * torch.relu(offset.abs() - inner)

    def into_cells(
        self, value: torch.Tensor, observation: torch.Tensor, share: float = 1.0
    ) -> torch.Tensor:
        """Each value clipped into the central `share` of its cell around y: with all of it, the
        values that would round to y (a hair inside, since a value on the edge may go either
        way)."""
        half = share * 0.5 / (self.levels - 1) - 1e-4
        return torch.minimum(torch.maximum(value, observation - half), observation + half).clamp(
            0, 1
        )

    def describe(self) -> str:
        return f"{self.levels} levels per channel"
