"""What each operator does on a whole photo, where its 64 x 64 physics does not fit.

- `photo_scale(task)`: how many times larger the restored photo is than the observed one;
- `corrupt_photo(task, clean)`: the corruption of a whole clean photo at its own resolution;
- `at_size(task, size)`: the task a face `size` photo pixels across meets once aligned, or None
  where the model has nothing to add;
- `sampling(task, size)`: how such a face is sampled into its frame;
- `restore_classically(task, photo)`: the photo restored without a face model, what the faces
  are put into and what the detector sees;
- `consistent_photo(task, image, photo, missing, frames, denoiser)`: the restored photo made to
  agree with what the observed photo pins down, at its full resolution;
- `keep_tone(task, image, given, frames)`: what the photo as given had that the task's
  observation dropped, kept where the model has nothing to say (a sepia print's tone).

Each is registered per operator class (`functools.singledispatch`; the last two steps register
as `restore_exactly` and `agree_exactly`), so that an operator of one's own restores whole
photos with the generic behaviour (the photo as it is around the faces, the task unchanged at
every face size), and an operator made noisy with Gaussian noise (`SuperResolution() +
Denoising(0.05)`) behaves as its exact self on the photo denoised first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import singledispatch
from typing import Literal

import torch
import torch.nn.functional as F
from PIL import Image

from ganmap.base.colour import luma, with_luma
from ganmap.base.images import IMAGE_SIZE, MIN_SIDE, to_pil, to_tensor
from ganmap.classical.denoiser import Denoiser, denoise_learned
from ganmap.classical.wiener import GROUPED, hard_threshold, pilot_wiener
from ganmap.operators import (
    Colorization,
    Denoising,
    Inpainting,
    Quantization,
    SuperResolution,
    Task,
)
from ganmap.operators.noise import Gaussian
from ganmap.photo.alignment import FaceFrame, faces_weight
from ganmap.photo.colour_spread import spread_chroma


@dataclass(frozen=True)
class PhotoDenoising:
    """How a whole noisy photo is denoised (`restore_classically`, `consistent_photo`); each
    value measured on the photo sets (docs/experiments/denoising.md)."""

    #: Windows 2 px apart where a photo's windows are filtered alone: 0.2 dB under every window
    #: at a quarter of the time.
    stride: int = 2
    #: BM3D's first stage as BM3D has it (bior1.5 windows, a Haar transform across each group),
    #: 4 px apart, keeping coefficients above 3 sigma: the final step's pilot around the faces.
    first_stage: dict = field(
        default_factory=lambda: dict(
            GROUPED, stride=4, transform="bior1.5", across="haar", threshold=3.0
        )
    )
    #: The final Wiener step is grouped up to this many pixels (the app's photos stay within):
    #: +0.26-0.39 dB on faces over windows filtered alone, for 3-6 s more at 1024 px.
    max_grouped_pixels: int = 1_200_000
    #: The background (what the detector sees, the final step's pilot) is grouped up to this
    #: many pixels: grouping it further changed the faces by under 0.01 dB.
    max_grouped_background_pixels: int = 500_000
    #: The final mix's weights: the Wiener step and the learned denoiser's correction of it 3/8
    #: each, the learned denoiser's own photo 1/4: the three err differently, and their mean
    #: beat each alone and the other weightings tried.
    mix: tuple[float, float] = (0.375, 0.25)


PHOTO_DENOISING = PhotoDenoising()
#: Rounds of back-projection that make a restored photo agree with the low-resolution one.
BACK_PROJECTIONS = 3
#: The central share of each cell that a whole photo's result is clipped into: +0.07 to +0.12
#: dB over the whole cell on three photo sets (an aligned face is clipped into its whole cell).
PHOTO_CELL_SHARE = 0.75
#: A photo whose colour departs from its luma by more than this on average (in [0, 1] units,
#: about 2.5 levels of 255) is toned (sepia, cyanotype, a faded colour print), not gray.
TONED = 0.01


def photo_wiener(
    photo: torch.Tensor, pilot: torch.Tensor, sigma: float, *, max_grouped: int
) -> torch.Tensor:
    """A whole noisy photo (3, H, W) Wiener-filtered with `pilot` (the same shape) as the pilot:
    grouped (`GROUPED`) if it has at most `max_grouped` pixels, so that a large photo takes
    seconds; otherwise each window alone, `PhotoDenoising.stride` px apart."""
    windows = GROUPED if fits_grouped(photo, max_grouped) else dict(stride=PHOTO_DENOISING.stride)
    return pilot_wiener(photo[None], pilot[None], sigma, **windows)[0]


def fits_grouped(photo: torch.Tensor, max_grouped: int) -> bool:
    """Whether a photo (C, H, W) has at most `max_grouped` pixels: few enough to group its
    windows in seconds."""
    return photo.shape[1] * photo.shape[2] <= max_grouped


def denoised(photo: torch.Tensor, sigma: float, *, max_grouped: int = 0) -> torch.Tensor:
    """A whole noisy or posterized photo (3, H, W) denoised without a face model, by BM3D's two
    stages (`ganmap.classical.wiener`), the second grouped up to `max_grouped` pixels: the
    restoration the faces are put into and the photo the detector sees."""
    first = hard_threshold(photo[None], sigma, stride=PHOTO_DENOISING.stride)[0]
    return photo_wiener(photo, first, sigma, max_grouped=max_grouped)


def without_noise(task: Task, photo: torch.Tensor) -> tuple[Task, torch.Tensor]:
    """(the task observed exactly, its noisy `photo` (C, H, W) denoised, C kept): what a noisy
    composite's whole-photo steps work from."""
    clean = denoised(photo.expand(3, -1, -1), task.noise.sigma)
    return task.noiseless(), luma(clean[None])[0] if photo.shape[0] == 1 else clean


# --- photo_scale ---------------------------------------------------------------------------------


@singledispatch
def photo_scale(task: Task) -> float:
    """How many times larger a restored whole photo is than the observed one (per side): not
    `task.scale`, which is rounded to the 64 x 64 frame's whole observation side."""
    return 1.0


@photo_scale.register
def _(task: SuperResolution) -> float:
    return float(task.factor)


# --- corrupt_photo -------------------------------------------------------------------------------


@singledispatch
def corrupt_photo(
    task: Task, clean: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The corruption of a whole clean photo (3, H, W), at the photo's own resolution: the same
    as `task.corrupt`, for tasks whose corruption does not depend on the image's size."""
    return task.corrupt(clean[None], generator)[0]


@corrupt_photo.register
def _(
    task: SuperResolution, clean: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """The photo shrunk by PIL, as a user's smaller photo is made: bicubic, or box averaging
    (PIL's BOX, exact area averaging) for the other kernels; then its noise, if any."""
    _, height, width = clean.shape
    size = (round(width / task.factor), round(height / task.factor))
    kernel = Image.Resampling.BICUBIC if task.kernel == "bicubic" else Image.Resampling.BOX
    small = to_tensor(to_pil(clean).resize(size, kernel))
    return task.noise.sample(small[None], generator)[0]


# --- at_size -------------------------------------------------------------------------------------


@singledispatch
def at_size(task: Task, size: float) -> Task | None:
    """The task a face `size` photo pixels across meets once warped to the 64 x 64 frame, or
    None where the model has nothing to add: this task itself, unless the warp changes it."""
    if task.is_noisy_composite:  # the noise resampled as the face is, to its observation's side
        exact = at_size(task.noiseless(), size)
        if exact is None:
            return None
        sigma = min(task.noise.sigma * exact.observation_side / size, 1.0)
        return replace(exact, noise=Gaussian(sigma))
    return task


@at_size.register
def _(task: SuperResolution, size: float) -> Task | None:
    """A face `size` px across in the low-resolution photo is an observation of round(size)
    px; from 64 px on bicubic upsampling stands (None). A face under MIN_SIDE px, the smallest
    image the pipeline takes, is sampled at that size. The box kernel becomes "area" at the
    fractional factor this gives."""
    if size >= IMAGE_SIZE:
        return None
    side = max(round(size), MIN_SIDE)
    kernel = "bicubic" if task.kernel == "bicubic" else "area"
    return replace(task, factor=IMAGE_SIZE / side, kernel=kernel)


@at_size.register
def _(task: Denoising, size: float) -> Task:
    """The face's noise in its 64 px frame, as white noise of sigma * 64 / size. A face
    larger than 64 px is averaged down, which lowers the noise to that. A smaller one is
    enlarged, which spreads the photo's noise over the few frequencies the face holds, where
    it is as strong as white noise of that sigma (capped at 1)."""
    return replace(task, sigma=min(task.sigma * IMAGE_SIZE / size, 1.0))


# --- sampling ------------------------------------------------------------------------------------


@singledispatch
def sampling(task: Task, size: float) -> Literal["area", "nearest"]:
    """How a face `size` photo pixels across is sampled into its frame
    (`ganmap.photo.alignment.warp_to_frame`): "area" averages, "nearest" keeps values that
    must stay as observed."""
    return "area"


@sampling.register
def _(task: Quantization, size: float) -> Literal["area", "nearest"]:
    """A face larger than the frame is shrunk by nearest sampling, so its values stay on the
    levels (banding does not average away); a smaller face is enlarged by interpolation."""
    return "nearest" if size > IMAGE_SIZE else "area"


# --- restore_classically -------------------------------------------------------------------------


def restore_classically(task: Task, photo: torch.Tensor) -> torch.Tensor:
    """The whole observed photo (C, H, W), its missing pixels filled, restored without a face
    model, (3, H, W) times `photo_scale`: what the restored faces are put into. A noisy
    composite's photo is denoised first, then restored as its exact operator's
    (`restore_exactly`)."""
    if task.is_noisy_composite:
        task, photo = without_noise(task, photo)
    return restore_exactly(task, photo)


@singledispatch
def restore_exactly(task: Task, photo: torch.Tensor) -> torch.Tensor:
    """`restore_classically` for an operator observed exactly: the photo itself unless a task
    knows better."""
    return photo.expand(3, -1, -1)


@restore_exactly.register
def _(task: SuperResolution, photo: torch.Tensor) -> torch.Tensor:
    """Bicubic upsampling by the factor."""
    _, height, width = photo.shape
    size = (round(height * task.factor), round(width * task.factor))
    return F.interpolate(photo[None], size=size, mode="bicubic")[0].clamp(0, 1)


@restore_exactly.register
def _(task: Denoising, photo: torch.Tensor) -> torch.Tensor:
    return denoised(photo, task.sigma, max_grouped=PHOTO_DENOISING.max_grouped_background_pixels)


@restore_exactly.register
def _(task: Quantization, photo: torch.Tensor) -> torch.Tensor:
    """The photo denoised as if its quantization error were white noise of the same sigma."""
    return denoised(photo, task.noise_sigma)


# --- consistent_photo ----------------------------------------------------------------------------


def consistent_photo(
    task: Task,
    image: torch.Tensor,
    photo: torch.Tensor,
    missing: torch.Tensor | None,
    frames: Sequence[FaceFrame],
    denoiser: Denoiser | None = None,
) -> torch.Tensor:
    """The restored whole photo (3, H, W) made to agree with what the observed `photo` pins
    down, at its full resolution (as `ganmap.operators.partners.consistent` does for a frame);
    `missing` (H, W) is the photo's hole for a task that takes a mask, `frames` the faces'
    frames in the result, `denoiser` the learned denoiser for noisy photos. A noisy composite
    agrees with its photo denoised first, as its exact operator does (`agree_exactly`)."""
    if task.is_noisy_composite:
        task, photo = without_noise(task, photo)
    return agree_exactly(task, image, photo, missing, frames, denoiser)


@singledispatch
def agree_exactly(
    task: Task,
    image: torch.Tensor,
    photo: torch.Tensor,
    missing: torch.Tensor | None,
    frames: Sequence[FaceFrame],
    denoiser: Denoiser | None = None,
) -> torch.Tensor:
    """`consistent_photo` for an operator observed exactly: the image itself unless a task
    knows better."""
    return image


@agree_exactly.register
def _(task: Inpainting, image, photo, missing, frames, denoiser=None) -> torch.Tensor:
    """Every observed pixel exactly as observed: only the holes are restored."""
    return torch.where(missing, image, photo)


@agree_exactly.register
def _(task: Colorization, image, photo, missing, frames, denoiser=None) -> torch.Tensor:
    """The faces' colours spread over the gray photo up to its edges, not pasted as squares
    (`ganmap.photo.colour_spread`), on the photo's own luma at full resolution, finer than the
    faces' 64 px restorations; `with_luma` keeps that luma exact."""
    chroma = spread_chroma(image - luma(image[None])[0], photo, frames)
    return with_luma(photo + chroma, photo)


@agree_exactly.register
def _(task: SuperResolution, image, photo, missing, frames, denoiser=None) -> torch.Tensor:
    """Iterative back-projection (Irani and Peleg, 1991) at full resolution: the restored
    photo shrunk as the low-resolution photo was made (bicubic; area averaging for the
    other kernels), and what it misses of the photo upsampled and added back."""
    mode = dict(mode="bicubic", antialias=True) if task.kernel == "bicubic" else dict(mode="area")
    for _ in range(BACK_PROJECTIONS):
        shrunk = F.interpolate(image[None], size=photo.shape[1:], **mode)[0]
        missed = F.interpolate((photo - shrunk)[None], size=image.shape[1:], mode="bicubic")
        image = image + missed[0]
    return image.clamp(0, 1)


@agree_exactly.register
def _(task: Denoising, image, photo, missing, frames, denoiser=None) -> torch.Tensor:
    """A weighted mean of three restorations of the noisy photo whose errors differ: the photo
    Wiener-filtered at its full resolution, the learned denoiser's correction of it and the
    learned denoiser's photo (`PhotoDenoising.mix`). Over the faces the Wiener step's pilot is
    the restored photo averaged with BM3D's grouped first stage, whose errors are not the
    generator's; around them, the first stage alone."""
    config = PHOTO_DENOISING
    pilot = image
    if fits_grouped(photo, config.max_grouped_pixels):
        first_stage = hard_threshold(photo[None], task.sigma, **config.first_stage)[0]
        faces = faces_weight(frames, *photo.shape[1:])
        pilot = first_stage + faces * (image - first_stage) / 2
    filtered = photo_wiener(photo, pilot, task.sigma, max_grouped=config.max_grouped_pixels)
    filtered = filtered[None]
    learned = denoise_learned(photo[None], task.sigma, network=denoiser)
    corrected = denoise_learned(photo[None], task.sigma, estimate=filtered, network=denoiser)
    each, network = config.mix
    return (each * (filtered + corrected) + network * learned)[0]


@agree_exactly.register
def _(task: Quantization, image, photo, missing, frames, denoiser=None) -> torch.Tensor:
    """Each pixel clipped into the central `PHOTO_CELL_SHARE` of its cell at full resolution,
    where a face's restoration upsampled from 64 px, or the classical one around it, is more
    often wrong near a cell's edges than the truth is."""
    return task.project(image, photo, share=PHOTO_CELL_SHARE)


# --- keep_tone -----------------------------------------------------------------------------------


@singledispatch
def keep_tone(
    task: Task, image: torch.Tensor, given: torch.Tensor, frames: Sequence[FaceFrame]
) -> torch.Tensor:
    """The restored photo (3, H, W) with what the photo as `given` (C, H, W) had beyond the
    task's observation kept where no face was restored: nothing, for most tasks."""
    return image


@keep_tone.register
def _(task: Colorization, image, given, frames) -> torch.Tensor:
    """A toned photo (sepia, cyanotype, a faded colour print) keeps its own colour, which its
    gray observation dropped, wherever the faces' colours do not reach: the faces are coloured
    and the print around them stays the same print. A gray photo is left as restored."""
    if given.shape[0] != 3:
        return image
    gray = luma(given[None])[0]
    tone = given - gray
    if tone.abs().mean() <= TONED:
        return image
    reach = spread_chroma(torch.ones_like(gray), gray, frames)  # 1 over faces, fading to 0
    return with_luma(image + (1 - reach.clamp(0, 1)) * tone, gray)
