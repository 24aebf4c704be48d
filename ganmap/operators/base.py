"""The operator: a corruption's physics, as a deepinv physics object has it.

An operator (`Task`) owns (paper, sections 3.2 and 4.1):
- `forward(x)`: the differentiable map A of Eq. 3 into the space of the observation y;
- `adjoint(y)`: A^T, for the linear operators;
- `noise`: how y relates to A(x) (`ganmap.operators.noise`), which any operator may carry;
- `corrupt(x)` = noise(A(x)): the observation the paper makes from a clean image;
- `residual(x, y)`: what y says is wrong with x, value by value (the data term's);
- `project(x, y)`: the image nearest x that agrees with what y pins down exactly;
- `observe(image)` and `estimate(y)`: what a user holds, framed as y, and a cheap full-size
  image that agrees with y (the solver's classical start).
Images are float tensors (N, 3, 64, 64) in [0, 1]; observations have `observation_shape`.

What an operator does on a whole photo and its classical partners (the restoration without a
face model, the consistency step) are attached where the operators are registered
(`ganmap.operators.partners`, `ganmap.photo.behaviour`), not written here, so that an operator
stays its physics and a new one needs only `name`, `corrupt` or `forward`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import torch

from ganmap.base.colour import luma
from ganmap.base.images import IMAGE_SIZE, centre_crop
from ganmap.operators.noise import EXACT, Gaussian, Noise


class Task:
    """A corruption y = noise(A(x)) and the operator A used to compare G(z) with y.

    A subclass needs `name` and `forward` (or `corrupt`); the rest has defaults that suit a
    linear A whose observation is a full-size RGB image (e.g. a blur), observed exactly.
    """

    name: ClassVar[str]
    #: Channels of the observation; its side is `observation_side`.
    observation_channels: ClassVar[int] = 3
    #: Whether A is linear, so that `adjoint` exists.
    linear: ClassVar[bool] = True
    #: Whether the observation comes with a user's mask of missing pixels. A task that takes one
    #: has `missing`, its own (64, 64) hole in the aligned frame, and overrides `with_mask`.
    takes_mask: ClassVar[bool] = False
    #: How y relates to A(x); dataclass operators take it as a field (`noise=Gaussian(0.05)`).
    noise: Noise = EXACT

    @property
    def observation_side(self) -> int:
        return IMAGE_SIZE

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (self.observation_channels, self.observation_side, self.observation_side)

    @property
    def scale(self) -> float:
        """How many times larger the restoration is than the observation (per side)."""
        return IMAGE_SIZE / self.observation_side

    @property
    def noise_sigma(self) -> float | None:
        """The noise standard deviation a denoiser should assume for y, None where y is exact."""
        return self.noise.sigma

    @property
    def label(self) -> str:
        """The operator and its noise, as `get_task` reads it back: "super-resolution+denoising"."""
        return f"{self.name}+denoising" if self.is_noisy_composite else self.name

    @property
    def is_identity(self) -> bool:
        """Whether A is the identity (the observation is the image itself, noisy or rounded)."""
        return False

    @property
    def is_noisy_composite(self) -> bool:
        """Whether this is an operator other than the identity made noisy (`SuperResolution() +
        Denoising(0.05)`): its classical steps then work from the observation denoised first."""
        return isinstance(self.noise, Gaussian) and not self.is_identity

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.noise.sample(self.forward(clean), generator)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def adjoint(self, observation: torch.Tensor) -> torch.Tensor:
        """A^T y, exact for a linear A: the vector-Jacobian product of A (at zero, any point
        would do), so every linear task and any parameters of it get theirs without more code."""
        if not self.linear:
            raise ValueError(
                f"{self!r} has a non-linear operator A, so no adjoint: methods that need one "
                "(the classical baselines) need a linear task, e.g. Colorization(operator='luma')"
            )
        zero = observation.new_zeros(len(observation), 3, IMAGE_SIZE, IMAGE_SIZE)
        _, vjp = torch.func.vjp(self.forward, zero)
        return vjp(observation)[0]

    def observe(self, image: torch.Tensor) -> torch.Tensor:
        """What the user holds (C, H, W), any size, as this task's observation: cut to its centre
        square and resized to the observation's side, with the observation's channels."""
        channels, side, _ = self.observation_shape
        square = centre_crop(image, side)
        if channels == 1 and square.shape[0] == 3:
            return luma(square[None])[0]
        if channels == 3 and square.shape[0] == 1:
            return square.expand(3, -1, -1)
        return square

    def with_mask(self, missing: torch.Tensor) -> Task:
        """This task with the user's hole (64, 64) bool; only inpainting has one."""
        raise ValueError(f"a mask is only used for inpainting, not {self.name}")

    def residual(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """What the observation says is wrong with the image, value by value (the noise model's
        reading of A(x) against y), whose square the feature refinement minimises."""
        return self.noise.residual(self.forward(image), observation)

    def project(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """The image nearest `image` that agrees with what y pins down exactly: the image itself
        where y pins nothing exactly (Gaussian noise) or the task does not say."""
        return image

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """A cheap full-size RGB image that agrees with the observation: a starting point."""
        return observation

    def noiseless(self) -> Task:
        """This operator observed exactly (its noise dropped)."""
        return replace(self, noise=EXACT)

    def __add__(self, other: Task) -> Task:
        """This operator with `other`'s noise, where `other` is pure noise (denoising): e.g.
        `SuperResolution(factor=2) + Denoising(sigma=0.05)`, a 2x smaller and noisy photo."""
        if isinstance(other, Task) and other.is_identity and isinstance(other.noise, Gaussian):
            if self.noise is not EXACT:
                raise ValueError(f"{self.label} is noisy already: it takes one noise model")
            return replace(self, noise=other.noise)
        if isinstance(other, Task) and self.is_identity and isinstance(self.noise, Gaussian):
            return other + self
        raise ValueError(
            f"cannot compose {self.label} with {getattr(other, 'label', other)!r}: an operator "
            "composes with noise (denoising), e.g. 'super-resolution+denoising'"
        )

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.forward(image)


class Identity(Task):
    """A = the identity: the observation is the image itself, with the operator's noise (the
    paper's denoising and quantization)."""

    @property
    def is_identity(self) -> bool:
        return True

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image
