"""Colorization: a gray observation. A is luma (default) or the paper's HSV value max(R, G, B)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch

from ganmap.base.colour import luma
from ganmap.operators.base import Task
from ganmap.operators.noise import EXACT, Noise


@dataclass(frozen=True)
class Colorization(Task):
    """Gray input: y = luma(x) (`operator="luma"`) or max(R, G, B) (`"value"`, the paper's)."""

    name: ClassVar[str] = "colorization"
    observation_channels: ClassVar[int] = 1
    operator: Literal["luma", "value"] = "luma"
    noise: Noise = EXACT

    def __post_init__(self) -> None:
        if self.operator not in ("luma", "value"):
            raise ValueError(
                f"colorization operator must be 'luma' or 'value', got {self.operator!r}"
            )

    @property
    def linear(self) -> bool:  # type: ignore[override]
        return self.operator == "luma"

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.noise.sample(luma(clean), generator)  # a gray photo is luma, whatever A is

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return luma(image) if self.operator == "luma" else image.amax(dim=1, keepdim=True)

    def project(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """Each pixel's colour shifted so that its luma equals the gray input's (then clipped to
        [0, 1]), where the gray is exact."""
        if self.noise is not EXACT:
            return image
        return (image + observation - luma(image)).clamp(0, 1)

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """The gray input as an RGB image: exact luma, no colour."""
        return observation.expand(-1, 3, -1, -1)
