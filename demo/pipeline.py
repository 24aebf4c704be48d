"""The app's calls into ganmap, and what it shows of their results.

`restore_centre` treats the photo's centre as one aligned face (the paper's 64 x 64 framing,
`pipe(...)`), and shows the result at the photo's framing (`out.framed`). It returns a
`RestorationResult`: the before/after pair for the comparison slider, the aligned face before and
after, what to download, and the solver's history and candidates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ganmap import RestorationPipeline, corrupt
from ganmap.tasks import get_task


@dataclass
class RestorationResult:
    """What the app shows of one restoration.

    Attributes:
        before, after: the photo as restored (corruption and hole included) and its restoration,
            the same size (a low-resolution photo enlarged with square pixels), for the slider.
        observed: the photo the restoration started from, at its own size, to download.
        faces: (image, caption) pairs: each face as the model saw it and its restoration.
        history: the best objective after each iteration.
        candidates: (image, objective) of every restart, best first; empty when not available.
        note: one sentence on what was restored, for the summary.
    """

    before: Image.Image
    after: Image.Image
    observed: Image.Image
    faces: list[tuple[Image.Image, str]]
    history: list[float]
    candidates: list[tuple[Image.Image, float]] = field(default_factory=list)
    note: str = ""


def takes_mask(task: str) -> bool:
    """Whether `task` restores missing pixels, which the brush marks (its `missing` region)."""
    return hasattr(get_task(task), "missing")


def blanked(image: Image.Image, mask: Image.Image | None) -> Image.Image:
    """`image` with the missing pixels (white in `mask`) black, as the solver sees them."""
    if mask is None:
        return image
    pixels = np.array(image.convert("RGB"))
    pixels[np.asarray(mask.convert("L").resize(image.size)) > 127] = 0
    return Image.fromarray(pixels)


def side_by_side(before: Image.Image, after: Image.Image) -> tuple[Image.Image, Image.Image]:
    """`before` at `after`'s size (square pixels), so that the slider's halves line up."""
    before = before.convert("RGB")
    if before.size != after.size:
        before = before.resize(after.size, Image.Resampling.NEAREST)
    return before, after


def restore_centre(
    pipe: RestorationPipeline,
    image: Image.Image,
    task: str,
    *,
    mask: Image.Image | None,
    corrupt_first: bool,
    seed: int,
    callback: Callable[[int, int, float], None],
    **settings,
) -> RestorationResult:
    """The photo's centre square restored as one aligned face, shown at the photo's framing.

    `mask` (inpainting): the painted missing pixels, at the photo's size; None with
    `corrupt_first` cuts the paper's centre hole. `corrupt_first` otherwise applies the task's
    corruption to the centre crop first (the paper's demo). `settings`: lam, iterations, restarts.
    """
    observed = corrupt(image, task, seed=seed) if corrupt_first and mask is None else image
    out = pipe(
        observed,
        task=task,
        mask=mask,
        seed=seed,
        callback=callback,
        progress=False,  # no tqdm bar in the server's log: the browser has its own
        **settings,
    )
    observed = blanked(observed, mask)
    before, after = side_by_side(observed, out.framed)
    return RestorationResult(
        before=before,
        after=after,
        observed=observed,
        faces=[(out.observation, "seen by the model"), (out.image, "restored")],
        history=out.history,
        candidates=list(zip(out.candidates, out.losses, strict=True)),
        note=(
            f"The centre of the photo was restored as one aligned face "
            f"({out.observation.width} × {out.observation.height} seen, 64 × 64 restored)."
        ),
    )
