"""The five restoration tasks of the paper, each a small physics object (as in deepinv) that owns
its corruption, its operator A and everything that depends on which task it is.

A task knows (paper, sections 3.2 and 4.1):
- `corrupt(clean, generator)`: the observation y that the paper makes from a clean image;
- `forward(image)`: the differentiable operator A of Eq. 3, mapping an image into the space of y;
- `adjoint(y)`: A^T, for the linear operators (every task's default one);
- `observe(image)`: what a user holds, framed as the observation the solver compares with;
- `consistent(image, y)`: the image made to agree with what y says exactly;
- `estimate(y)`: a cheap full-size image that agrees with y, a starting point;
- `postprocess(image, y, ...)`: G's image made the final restoration (Poisson blending, or
  consistency), as the settings ask;
- `noise`: how y relates to A(x), for solvers that treat the data term in their own way;
- `noise_sigma`: the noise level a classical denoiser should assume, for the noisy tasks.
And for a whole photo (`ganmap.photo`), where the 64 x 64 operator does not fit:
- `corrupt_photo`, `photo_scale`, `takes_mask`: the photo's corruption and its geometry;
- `at_size(size)`: the task a face `size` photo pixels across really meets, once aligned;
- `restore_classically`, `consistent_photo`: the photo around the faces restored without a face
  model, and the whole result made to agree with what the photo pins down.
Every image here is a float tensor (N, 3, 64, 64) in [0, 1]; observations have the shape
`observation_shape` (per image).

`TASKS` maps the five names to instances with the paper's parameters; build other instances
(`SuperResolution(factor=2, kernel="bicubic")`, `Inpainting(missing=my_mask)`) for other settings,
or subclass `Task` for a corruption of your own: the pipeline needs `corrupt` and `forward`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from PIL import Image

from .alignment import FaceFrame, faces_weight
from .blending import poisson_blend
from .colour_spread import spread_chroma
from .denoiser import denoise_learned
from .faces import fill_missing
from .images import MIN_SIDE, centre_crop, to_pil, to_tensor
from .models import IMAGE_SIZE
from .wiener import denoise, hard_threshold, pilot_wiener

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601


def centre_hole(size: int = IMAGE_SIZE, side: int = 32) -> torch.Tensor:
    """The paper's inpainting mask: True on the centre side x side square (the missing pixels)."""
    missing = torch.zeros(size, size, dtype=torch.bool)
    start = (size - side) // 2
    missing[start : start + side, start : start + side] = True
    return missing


def luma(image: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma, (N, 3, H, W) -> (N, 1, H, W): the standard grayscale conversion."""
    weights = torch.tensor(LUMA_WEIGHTS, dtype=image.dtype, device=image.device)
    return torch.einsum("nchw,c->nhw", image, weights).unsqueeze(1)


def with_luma(image: torch.Tensor, gray: torch.Tensor) -> torch.Tensor:
    """`image`'s colour (3, H, W) on the luma `gray` (1, H, W): its chroma added to `gray`,
    scaled down where it would leave [0, 1], so that the luma stays exactly `gray`."""
    chroma = image - luma(image[None])[0]
    room = torch.where(chroma > 0, (1 - gray) / chroma, -gray / chroma.clamp(max=-1e-8))
    return gray + chroma * room.amin(0, keepdim=True).clamp(0, 1)


#: Windows 2 px apart when a whole photo is filtered (`ganmap.wiener`): measured on the photo
#: set, 0.2 dB under every window at a quarter of the time (0.4 s for a 500 x 500 photo).
PHOTO_STRIDE = 2
#: BM3D's grouping for a Wiener step: windows 3 px apart, each stacked with the 15 most similar
#: within 8 px. With a face's restoration as the pilot (validation faces 100-163): +0.15 dB over
#: every window filtered alone, in a third of the time.
GROUPED = dict(stride=3, group=16, search=8)
#: BM3D's first stage as BM3D has it, grouped as the Wiener step is: bior1.5 windows
#: (`ganmap.wiener.wavelet_matrix`), each stacked with the 15 most like it in the noisy photo,
#: with the Haar transform across the stack; the windows 4 px apart, not 3: 0.56x the time
#: (2.5 s less on a 1024 x 1024 photo) for at most 0.01 dB on the faces of
#: `Denoising.consistent_photo` (6 px apart: 0.02 dB). As that step's pilot, it keeps the
#: coefficients above 3 sigma, not BM3D's 2.7: the Haar stack and that threshold lifted the
#: final restoration's faces on real photos from other sources (`t1.jpg` at 400 and 640 px, the
#: astronaut at 256 and 512) from 30.54 / 0.906 to 30.58 / 0.908 (CBM3D 30.58 / 0.912), those of
#: 16-32 px from 29.67 to 29.76, the photo benchmark's from 32.29 to 32.32 and the seed-1 set's
#: from 31.03 to 31.05, for no time. Haar alone (at 2.7) gave 0.01 dB of it; 3.2 scored as 3.0;
#: Haar in the Wiener step, BM3D's Kaiser windows and 16 px searches added at most 0.01 dB.
FIRST_STAGE = dict(GROUPED, stride=4, transform="bior1.5", across="haar", threshold=3.0)
#: The final Wiener step of a noisy photo (`Denoising.consistent_photo`) is grouped up to this
#: many pixels, which the app's photos (at most 1024 px a side) stay within: on the astronaut and
#: a group photo from another source, at 1024 px, +0.39 and +0.26 dB on the faces over windows
#: filtered alone, for 3-6 s more. Larger photos get windows 2 px apart filtered alone, over 10x
#: faster (grouped, a pass takes about 5 s per megapixel here).
MAX_GROUPED_PIXELS = 1_200_000
#: A noisy photo's background (what the detector sees, and the final step's pilot) is grouped up to
#: this many pixels: on those two photos, grouping it too changed the faces by under 0.01 dB.
MAX_GROUPED_BACKGROUND_PIXELS = 500_000


def photo_wiener(
    photo: torch.Tensor, pilot: torch.Tensor, sigma: float, *, max_grouped: int
) -> torch.Tensor:
    """A whole noisy photo (3, H, W) Wiener-filtered with `pilot` (the same shape) as the pilot:
    grouped (`GROUPED`) if it has at most `max_grouped` pixels, so that a large photo takes
    seconds; otherwise each window alone, `PHOTO_STRIDE` px apart."""
    windows = GROUPED if fits_grouped(photo, max_grouped) else dict(stride=PHOTO_STRIDE)
    return pilot_wiener(photo[None], pilot[None], sigma, **windows)[0]


def fits_grouped(photo: torch.Tensor, max_grouped: int) -> bool:
    """Whether a photo (C, H, W) has at most `max_grouped` pixels: few enough to group its
    windows in seconds."""
    return photo.shape[1] * photo.shape[2] <= max_grouped


def denoised(photo: torch.Tensor, sigma: float, *, max_grouped: int = 0) -> torch.Tensor:
    """A whole noisy or posterized photo (3, H, W) denoised without a face model, by BM3D's two
    stages (`ganmap.wiener`), the second grouped up to `max_grouped` pixels (`photo_wiener`): the
    restoration the faces are put into and the photo the detector sees. Ungrouped, it scored
    3.2 dB above a Gaussian blur on the photo set's noisy faces and let the detector find 93% of
    them instead of 78%; grouping adds 0.4 dB on a second set (seed 1), but lost 0.04 dB on its
    posterized faces, whose error is not white noise."""
    first = hard_threshold(photo[None], sigma, stride=PHOTO_STRIDE)[0]
    return photo_wiener(photo, first, sigma, max_grouped=max_grouped)


class Task:
    """A corruption y = corrupt(x) and the operator A used to compare G(z) with y.

    A subclass needs `name`, `corrupt` and `forward`; the rest has defaults that suit a linear A
    whose observation is a full-size RGB image (e.g. a blur).
    """

    name: ClassVar[str]
    #: Channels of the observation; its side is `observation_side`.
    observation_channels: ClassVar[int] = 3
    #: How y relates to A(x): "exact" (y = A x), "gaussian" (y = A x plus Gaussian noise) or
    #: "cells" (y is A x rounded: x lies in a known cell around y, see `consistent`).
    noise: ClassVar[Literal["exact", "gaussian", "cells"]] = "exact"
    #: Whether A is linear, so that `adjoint` exists.
    linear: ClassVar[bool] = True
    #: Whether the observation comes with a user's mask of missing pixels. A task that takes one
    #: has `missing`, its own (64, 64) hole in the aligned frame, and overrides `with_mask`.
    takes_mask: ClassVar[bool] = False

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
    def photo_scale(self) -> float:
        """How many times larger a restored whole photo is than the observed one (per side): not
        `scale`, which is rounded to the 64 x 64 frame's whole observation side."""
        return 1.0

    @property
    def noise_sigma(self) -> float | None:
        """The noise standard deviation a denoiser should assume for the observation, or None
        where the observation is not noisy."""
        return None

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        raise NotImplementedError

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
        """What the observation says is wrong with the image, value by value: A(x) - y, whose
        square the feature refinement minimises (the likelihood of exact or Gaussian y)."""
        return self.forward(image) - observation

    def consistent(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """The image itself: tasks whose observation pins part of the image override this."""
        return image

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """A cheap full-size RGB image that agrees with the observation: a starting point."""
        return observation

    def classical(self, observation: torch.Tensor) -> torch.Tensor:
        """A restoration (N, 3, 64, 64) without a face model that agrees with the observation as
        `consistent` does: what G's restoration is averaged with (`Settings.generator_share`).
        The estimate made consistent unless a task knows better."""
        return self.consistent(self.estimate(observation), observation)

    def postprocess(
        self,
        image: torch.Tensor,
        observation: torch.Tensor,
        *,
        blend: bool = True,
        data_consistency: bool = False,
    ) -> torch.Tensor:
        """G's image (N, 3, 64, 64) made the final restoration: made consistent with y when
        `data_consistency` is on (`blend` is for inpainting's Poisson blending)."""
        return self.consistent(image, observation) if data_consistency else image

    def corrupt_photo(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """The corruption of a whole clean photo (3, H, W), at the photo's own resolution: the
        same as `corrupt`, for tasks whose corruption does not depend on the image's size."""
        return self.corrupt(clean[None], generator)[0]

    def at_size(self, size: float) -> Task | None:
        """The task a face `size` photo pixels across meets once warped to the 64 x 64 frame, or
        None where the model has nothing to add: this task itself, unless the warp changes it."""
        return self

    def sampling(self, size: float) -> Literal["area", "nearest"]:
        """How a face `size` photo pixels across is sampled into its frame
        (`ganmap.alignment.warp_to_frame`): "area" averages, "nearest" keeps values that must
        stay as observed."""
        return "area"

    def restore_classically(self, photo: torch.Tensor) -> torch.Tensor:
        """The whole observed photo (C, H, W), its missing pixels filled, restored without a face
        model, (3, H, W) times `photo_scale`: what the restored faces are put into. The photo
        itself unless a task knows better."""
        return photo.expand(3, -1, -1)

    def consistent_photo(
        self,
        image: torch.Tensor,
        photo: torch.Tensor,
        missing: torch.Tensor | None,
        frames: Sequence[FaceFrame],
    ) -> torch.Tensor:
        """The restored whole photo (3, H, W) made to agree with what the observed `photo` pins
        down, at its full resolution (as `consistent` does for a frame); `missing` (H, W) is the
        photo's hole for a task that takes a mask, `frames` the faces' frames in the result."""
        return image

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return self.forward(image)


@dataclass(frozen=True, eq=False)  # a tensor field: compare masks with torch.equal
class Inpainting(Task):
    """Missing pixels. A is the element-wise mask; the result is Poisson-blended into y."""

    name: ClassVar[str] = "inpainting"
    takes_mask: ClassVar[bool] = True
    missing: torch.Tensor = field(default_factory=centre_hole)  # (64, 64) bool, True = missing

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

    def observe(self, image: torch.Tensor) -> torch.Tensor:
        """The photo with its hole, the hole's pixels (whatever they hold) set to 0."""
        return self.forward(super().observe(image)[None])[0]

    def with_mask(self, missing: torch.Tensor) -> Task:
        return Inpainting(missing=missing)

    def consistent(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        known = self.known.to(image.device)
        return observation * known + image * (1 - known)

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """The hole filled with each channel's mean over the known pixels."""
        known = self.known.to(observation.device)
        means = (observation * known).sum(dim=(2, 3), keepdim=True) / known.sum()
        return self.consistent(means.expand_as(observation), observation)

    def postprocess(
        self,
        image: torch.Tensor,
        observation: torch.Tensor,
        *,
        blend: bool = True,
        data_consistency: bool = False,
    ) -> torch.Tensor:
        """Poisson blending into the observation (the paper's post-processing) when `blend`."""
        if blend:
            return poisson_blend(image, observation, self.missing)
        return super().postprocess(image, observation, data_consistency=data_consistency)

    def classical(self, observation: torch.Tensor) -> torch.Tensor:
        """Biharmonic filling (`ganmap.faces.fill_missing`, as the holes of a photo are filled):
        the smoothest fill that meets the known pixels."""
        missing = self.missing.cpu()
        filled = [fill_missing(image, missing) for image in observation.detach().cpu()]
        return torch.stack(filled).to(observation.device)

    def consistent_photo(
        self,
        image: torch.Tensor,
        photo: torch.Tensor,
        missing: torch.Tensor | None,
        frames: Sequence[FaceFrame],
    ) -> torch.Tensor:
        """Every observed pixel exactly as observed: only the holes are restored."""
        return torch.where(missing, image, photo)


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

    @property
    def linear(self) -> bool:  # type: ignore[override]
        return self.operator == "luma"

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

    def consistent_photo(
        self,
        image: torch.Tensor,
        photo: torch.Tensor,
        missing: torch.Tensor | None,
        frames: Sequence[FaceFrame],
    ) -> torch.Tensor:
        """The faces' colours spread over the gray photo up to its edges, not pasted as squares
        (`ganmap.colour_spread`), on the photo's own luma at full resolution, finer than the
        faces' 64 px restorations; with_luma, not `consistent`'s clipping, so that the luma
        stays exact."""
        chroma = spread_chroma(image - luma(image[None])[0], photo, frames)
        return with_luma(photo + chroma, photo)


SR_KERNELS = ("box", "area", "bicubic")
MAX_SR_FACTOR = 16
PROJECTION_ROUNDS = 20  # alternating projections of `consistent` for the area and bicubic kernels


@dataclass(frozen=True)
class SuperResolution(Task):
    """Low resolution: a low-pass filter then decimation by `factor` (64 -> 16 at 4).

    `factor` is any real number in [1, 16]; the observation's side is round(64 / factor).
    `kernel` says how the low-resolution image was made:
    - "bicubic" (default): antialiased bicubic, PIL's Image.resize(..., Image.BICUBIC): what
      most software does to make an image smaller, so what a user's low-resolution image most
      likely is;
    - "area": exact area averaging, each low-resolution pixel the mean of the high-resolution
      area it covers, fractions of pixels included (OpenCV's INTER_AREA; "box" at whole factors);
    - "box": the paper's operator, the mean of each factor x factor block (for factors that do
      not divide 64, torch's adaptive average pooling).
    """

    name: ClassVar[str] = "super-resolution"
    factor: float = 4
    kernel: Literal["box", "area", "bicubic"] = "bicubic"

    def __post_init__(self) -> None:
        factor = self.factor
        if isinstance(factor, bool) or not isinstance(factor, (int, float)):
            raise ValueError(f"super-resolution factor must be a number, got {factor!r}")
        if not 1 <= factor <= MAX_SR_FACTOR:
            raise ValueError(
                f"super-resolution factor must be in [1, {MAX_SR_FACTOR}], got {factor!r}"
            )
        if self.kernel not in SR_KERNELS:
            raise ValueError(
                f"super-resolution kernel must be one of {', '.join(SR_KERNELS)}, "
                f"got {self.kernel!r}"
            )

    @property
    def observation_side(self) -> int:
        return round(IMAGE_SIZE / self.factor)

    @property
    def photo_scale(self) -> float:
        return float(self.factor)

    @property
    def _block(self) -> int | None:
        """The block side when the paper's box filter tiles the image exactly, else None."""
        side = self.observation_side
        return IMAGE_SIZE // side if self.kernel == "box" and IMAGE_SIZE % side == 0 else None

    @functools.cached_property
    def _weights(self) -> torch.Tensor:
        """The 1-D operator (side, 64), float64: A x = W x W^T on each channel (separable)."""
        side = self.observation_side
        if self.kernel == "bicubic":  # torch's antialiased bicubic is PIL's; read its weights off
            basis = torch.eye(IMAGE_SIZE, dtype=torch.float64).view(IMAGE_SIZE, 1, 1, IMAGE_SIZE)
            rows = F.interpolate(basis, size=(1, side), mode="bicubic", antialias=True)
            return rows.view(IMAGE_SIZE, side).T.contiguous()
        if self.kernel == "area":
            cuts = torch.arange(side + 1, dtype=torch.float64) * (IMAGE_SIZE / side)
            low, high = cuts[:-1], cuts[1:]
        else:  # adaptive average pooling's windows: [floor(i * 64 / s), ceil((i + 1) * 64 / s))
            index = torch.arange(side, dtype=torch.int64)
            low, high = (index * IMAGE_SIZE) // side, -((-(index + 1) * IMAGE_SIZE) // side)
        edges = torch.arange(IMAGE_SIZE + 1, dtype=torch.float64)
        overlap = (
            torch.minimum(high[:, None].double(), edges[None, 1:])
            - torch.maximum(low[:, None].double(), edges[None, :-1])
        ).clamp(min=0)
        return overlap / overlap.sum(1, keepdim=True)

    @functools.cached_property
    def _correction(self) -> torch.Tensor:
        """(W W^T)^-1 W, (side, 64): A^T (A A^T)^-1 r = C^T r C for a separable A."""
        weights = self._weights
        return torch.linalg.solve(weights @ weights.T, weights)

    def corrupt(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.forward(clean).clamp(0, 1)  # bicubic rings a little past [0, 1]

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if self._block is not None:
            return F.avg_pool2d(image, self._block)
        weights = self._weights.to(image.device, image.dtype)
        return weights @ image @ weights.T

    def consistent(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """The image nearest to `image` with A(x) = y, clipped to [0, 1]: for whole blocks of the
        box filter, the block means replaced by the observed ones (exact); otherwise the least-
        squares correction x + A^T (A A^T)^-1 (y - A x), alternated with the clipping."""
        if self._block is not None:
            residual = F.interpolate(observation - self.forward(image), scale_factor=self._block)
            return (image + residual).clamp(0, 1)  # nearest upsampling: exact block means
        correction = self._correction.to(image.device, image.dtype)
        for _ in range(PROJECTION_ROUNDS):
            residual = observation - self.forward(image)
            image = (image + correction.T @ residual @ correction).clamp(0, 1)
        return image

    #: Rounds of back-projection that make a restored photo agree with the low-resolution one.
    BACK_PROJECTIONS: ClassVar[int] = 3

    def consistent_photo(
        self,
        image: torch.Tensor,
        photo: torch.Tensor,
        missing: torch.Tensor | None,
        frames: Sequence[FaceFrame],
    ) -> torch.Tensor:
        """Iterative back-projection (Irani and Peleg, 1991) at full resolution: the restored
        photo shrunk as the low-resolution photo was made (bicubic; area averaging for the
        other kernels), and what it misses of the photo upsampled and added back. On the
        photo set's faces it adds 1.2 dB to the restored photo and 1.5 dB to bicubic upsampling
        (3 rounds)."""
        mode = (
            dict(mode="bicubic", antialias=True) if self.kernel == "bicubic" else dict(mode="area")
        )
        for _ in range(self.BACK_PROJECTIONS):
            shrunk = F.interpolate(image[None], size=photo.shape[1:], **mode)[0]
            missed = F.interpolate((photo - shrunk)[None], size=image.shape[1:], mode="bicubic")
            image = image + missed[0]
        return image.clamp(0, 1)

    def estimate(self, observation: torch.Tensor) -> torch.Tensor:
        """Bicubic upsampling (at whole box factors its sample grid matches the decimation)."""
        if self._block is not None:
            upsampled = F.interpolate(observation, scale_factor=self._block, mode="bicubic")
        else:
            upsampled = F.interpolate(observation, size=IMAGE_SIZE, mode="bicubic")
        return upsampled.clamp(0, 1)

    def corrupt_photo(
        self, clean: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """The photo shrunk by PIL, as a user's smaller photo is made: bicubic, or box averaging
        (PIL's BOX, exact area averaging) for the other kernels."""
        _, height, width = clean.shape
        size = (round(width / self.factor), round(height / self.factor))
        kernel = Image.Resampling.BICUBIC if self.kernel == "bicubic" else Image.Resampling.BOX
        return to_tensor(to_pil(clean).resize(size, kernel))

    def at_size(self, size: float) -> Task | None:
        """A face `size` px across in the low-resolution photo is an observation of round(size)
        px; from 64 px on bicubic upsampling stands (None). A face under MIN_SIDE px, the
        smallest image the pipeline takes, is sampled at that size: given the true frames of 35
        faces 4-11 px across, this scored 20.79 dB against bicubic's 19.96. The box kernel
        becomes "area" at the fractional factor this gives."""
        if size >= IMAGE_SIZE:
            return None
        side = max(round(size), MIN_SIDE)
        kernel = "bicubic" if self.kernel == "bicubic" else "area"
        return replace(self, factor=IMAGE_SIZE / side, kernel=kernel)

    def restore_classically(self, photo: torch.Tensor) -> torch.Tensor:
        """Bicubic upsampling by the factor."""
        _, height, width = photo.shape
        size = (round(height * self.factor), round(width * self.factor))
        return F.interpolate(photo[None], size=size, mode="bicubic")[0].clamp(0, 1)


@dataclass(frozen=True)
class Denoising(Task):
    """Additive Gaussian noise of standard deviation `sigma`, then clipping to [0, 1]; A = identity."""

    name: ClassVar[str] = "denoising"
    noise: ClassVar[str] = "gaussian"
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

    #: Window sides of the Wiener step, whose results are averaged: +0.04 dB over 6 alone.
    WIENER_PATCHES: ClassVar[tuple[int, ...]] = (6, 8)

    def consistent(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """The noisy observation Wiener-filtered with the restoration as the pilot: the observed
        detail back wherever the restoration has structure, the noise averaged away elsewhere
        (`ganmap.wiener`). The pilot is the restoration averaged with the classical two-stage
        denoising, whose errors are not the generator's. On validation faces 100-163: 30.64 dB
        against the restoration's 29.18; 30.46 without grouping similar windows, 30.51 without
        the classical half of the pilot. Averaging the result with the learned denoiser's, as
        `consistent_photo` does, added 0.06 dB on the first 100 validation faces (the network
        at 1,250 training steps) but nothing on photos: not done."""
        pilot = (image + self.classical(observation)) / 2
        filtered = [
            pilot_wiener(observation, pilot, self.sigma, patch=p, **GROUPED)
            for p in self.WIENER_PATCHES
        ]
        return torch.stack(filtered).mean(0)

    @property
    def noise_sigma(self) -> float:
        return self.sigma

    def classical(self, observation: torch.Tensor) -> torch.Tensor:
        """BM3D's two stages without block matching (`ganmap.wiener.denoise`)."""
        return denoise(observation, self.sigma)

    def at_size(self, size: float) -> Task:
        """The face's noise in its 64 px frame, as white noise of sigma * 64 / size. A face
        larger than 64 px is averaged down, which lowers the noise to that. A smaller one is
        enlarged, which spreads the photo's noise over the few frequencies the face holds,
        where it is as strong as white noise of that sigma (capped at 1): on a second photo set
        (seed 1), +0.29 dB on faces of 16-32 px and +0.10 on 32-64 px over keeping sigma."""
        return replace(self, sigma=min(self.sigma * IMAGE_SIZE / size, 1.0))

    def restore_classically(self, photo: torch.Tensor) -> torch.Tensor:
        return denoised(photo, self.sigma, max_grouped=MAX_GROUPED_BACKGROUND_PIXELS)

    def consistent_photo(
        self,
        image: torch.Tensor,
        photo: torch.Tensor,
        missing: torch.Tensor | None,
        frames: Sequence[FaceFrame],
    ) -> torch.Tensor:
        """A weighted mean of three restorations of the noisy photo whose errors differ: the
        photo Wiener-filtered at its full resolution (3/8), the learned denoiser's correction of
        it (3/8) and the learned denoiser's photo (1/4). As in `consistent` for a face's frame,
        the Wiener step's pilot over the faces is the restored photo averaged with a classical
        restoration, whose errors are not the generator's: here BM3D's grouped first stage
        (`FIRST_STAGE`). Around the faces the restored photo is only BM3D's two stages without
        grouping (`restore_classically`), so the pilot there is the first stage alone: the
        whole photos of the seed-1 set (below) gained 0.13 dB (32.37 -> 32.50, CBM3D 32.45),
        the real ones 0.02-0.05, the faces the same to 0.01 dB.

        On the faces of real photos from other sources (a group photo, `t1.jpg`, at 400 and
        640 px: 12 faces; the astronaut at 256 and 512 px), this scored 30.54, 29.08 and
        32.60 dB (30.49, 29.09 and 32.61 before the first stage's Haar stack and 3-sigma
        threshold), against 30.43, 29.02 and 32.54 with the restored photo alone as the pilot and
        the three in equal parts (CBM3D: 30.54, 29.09, 32.53); the whole photos gained
        0.08-0.14 dB. On a second photo set (seed 1), made of CelebA frames: 31.02 against
        31.03 (faces under 32 px +0.07 dB, over 64 px -0.07 to -0.11), the whole photos
        +0.18 dB. With the first stage's windows alone, 2 px apart (photos over the grouping
        budget), the pilot scored 0.09 dB worse than the restored photo alone, which those
        photos keep. Earlier, on the seed-1 set:
        grouping the Wiener step, +0.2 dB over each window alone; the three in equal parts,
        31.03 dB, against 30.90 without the correction and 30.59 with the Wiener step alone
        (CBM3D 30.69)."""
        pilot = image
        if fits_grouped(photo, MAX_GROUPED_PIXELS):
            first_stage = hard_threshold(photo[None], self.sigma, **FIRST_STAGE)[0]
            faces = faces_weight(frames, *photo.shape[1:])
            pilot = first_stage + faces * (image - first_stage) / 2
        filtered = photo_wiener(photo, pilot, self.sigma, max_grouped=MAX_GROUPED_PIXELS)[None]
        learned = denoise_learned(photo[None], self.sigma)
        corrected = denoise_learned(photo[None], self.sigma, estimate=filtered)
        return (0.375 * (filtered + corrected) + 0.25 * learned)[0]


@dataclass(frozen=True)
class Quantization(Task):
    """`levels` evenly spaced values per channel (0, 1/4, ..., 1 at 5); A = identity (the paper)."""

    name: ClassVar[str] = "quantization"
    noise: ClassVar[str] = "cells"
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

    #: The share of each cell's half-width in which a value counts as agreeing with y. Every
    #: value in the cell is equally likely (1.0), but then nothing pulls a value towards its cell
    #: before it has left it; 0.75 measured best among 0.5-1.0 (validation faces 100-131, pull
    #: 0.001: 29.1 dB against 28.8 at 0.6, 27.9 at 1.0 and 27.9 for the squared distance to y).
    DEAD_ZONE: ClassVar[float] = 0.75

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image

    def residual(self, image: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        """How far each value lies outside the central part of its quantization cell."""
        offset = image - observation
        inner = self.DEAD_ZONE * 0.5 / (self.levels - 1)
        return torch.sign(offset) * torch.relu(offset.abs() - inner)

    #: The central share of each cell that a whole photo's result is clipped into
    #: (`consistent_photo`). An aligned face is clipped into its whole cell: on the first 100
    #: validation faces, 30.21 dB against 30.04 at 0.75.
    PHOTO_CELL_SHARE: ClassVar[float] = 0.75

    def consistent(
        self, image: torch.Tensor, observation: torch.Tensor, share: float = 1.0
    ) -> torch.Tensor:
        """Clip each pixel into the central `share` of its quantization cell, around y: with all
        of it, the values that would quantize to y (a hair inside the cell, since a value on the
        edge may round either way)."""
        half = share * 0.5 / (self.levels - 1) - 1e-4
        return torch.minimum(torch.maximum(image, observation - half), observation + half).clamp(
            0, 1
        )

    @property
    def noise_sigma(self) -> float:
        """The standard deviation of an error uniform over one level, step / sqrt(12)."""
        return 1 / ((self.levels - 1) * math.sqrt(12))

    def classical(self, observation: torch.Tensor) -> torch.Tensor:
        """The quantization error denoised as if it were white noise of the same sigma
        (`ganmap.wiener.denoise`), then clipped into the cells."""
        return self.consistent(denoise(observation, self.noise_sigma), observation)

    def sampling(self, size: float) -> Literal["area", "nearest"]:
        """A face larger than the frame is shrunk by nearest sampling, so its values stay on the
        levels. Averaged down and denoised as noise of the error's averaged sigma, faces of
        128-256 px scored 26.7 dB instead of 30.1: banding does not average away. A smaller face
        is enlarged by interpolation, each value then within about half a step of the truth as
        the cells say: +0.25 to +0.6 dB over nearest sampling on faces of 16-32 px of two photo
        sets (seeds 0 and 1), +0.1 to +0.25 on 32-64 px."""
        return "nearest" if size > IMAGE_SIZE else "area"

    def restore_classically(self, photo: torch.Tensor) -> torch.Tensor:
        """The photo denoised as if its quantization error were white noise of the same sigma
        (+0.9 dB on the photo set's faces over a Gaussian blur)."""
        return denoised(photo, self.noise_sigma)

    def consistent_photo(
        self,
        image: torch.Tensor,
        photo: torch.Tensor,
        missing: torch.Tensor | None,
        frames: Sequence[FaceFrame],
    ) -> torch.Tensor:
        """Each pixel clipped into the central 3/4 of its cell (`PHOTO_CELL_SHARE`) at full
        resolution. Clipped into the whole cell: +0.12 dB on the faces of both photo sets (seeds
        0 and 1), in every size bucket. Into its central 3/4, where a face's restoration
        upsampled from 64 px, or the classical one around it, is more often wrong near a cell's
        edges than the truth is: +0.07 dB more on the seed-1 set (29.18 -> 29.25, every bucket),
        +0.12 on the benchmark's (29.49 -> 29.61) and +0.12 on real photos (`t1.jpg`, Grace
        Hopper and the astronaut at several sizes: 27.73 -> 27.85; Hopper's 233 px face 27.77 ->
        28.59, CBM3D 28.42). 0.65-0.8 were within 0.05 dB of it. A Wiener filter with the
        restored photo as the pilot, as for denoising, lost 0.6 dB: the error is not white
        noise."""
        return self.consistent(image, photo, share=self.PHOTO_CELL_SHARE)


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
