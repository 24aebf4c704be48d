"""The app's calls into ganmap, and what it shows of their results.

Two framings of a photo:
- `restore_faces`: every face found, aligned, restored and put back (`pipe.restore_photo`); the
  demo mode damages the whole photo first (`ganmap.corrupt_photo`). It raises `NoFaceError`
  when no face is found.
- `restore_centre`: the photo's centre as one aligned face (the paper's 64 x 64 framing,
  `pipe(...)`), the result shown at the photo's framing (`out.framed`): the fallback for a
  photo without a detectable face, and the right thing for an aligned face crop.

Both return a `RestorationResult`: the before/after pair for the comparison slider, each face as
the model saw it and restored, the photo to download beside the result, and the candidates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ganmap import NoFaceError, RestorationPipeline, corrupt, corrupt_photo
from ganmap.operators import REGISTRY, Task, at_its_own_level, at_level, get_task
from ganmap.operators.registry import level_of

FACES = "faces"
CENTRE = "centre"
FRAMINGS = [("Find every face", FACES), ("The centre is one aligned face", CENTRE)]


class FacesBehindHoles(NoFaceError):
    """No face found in the photo once the demo mode had cut a hole in each face (the detector
    can miss a face with the paper's 32 x 32 hole in it)."""


@dataclass
class RestorationResult:
    """What the app shows of one restoration.

    Attributes:
        before, after: the photo as restored (corruption and holes included) and its
            restoration, the same size (a low-resolution photo enlarged with square pixels).
        observed: the photo the restoration started from, at its own size, to download.
        faces: (image, caption) pairs: each face as the model saw it, then its restoration.
        candidates: (image, objective) of every restart, best first; empty when not available.
        note: what was restored, for the summary.
    """

    before: Image.Image
    after: Image.Image
    observed: Image.Image
    faces: list[tuple[Image.Image, str]]
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


def as_given(task: str, photo: Image.Image, corrupt_first: bool, level: float) -> tuple[Task, str]:
    """The task to restore with, and a note for the summary: at `level` where one is set (the
    demo mode corrupts at it too), at the paper's where the demo mode corrupted the photo with
    it; otherwise at the photo's own level (`at_its_own_level`: a noise sigma of 0.1 would smooth
    a slightly noisy face to plastic)."""
    if level:
        chosen = at_level(task, level)
        amount = level_of(chosen).describe(level)
        return chosen, f" Restored at {amount}, as set under Advanced."
    if corrupt_first:
        return get_task(task), ""
    own, found = at_its_own_level(task, photo)
    return own, f" {found} Another can be set under Advanced." if found else ""


def side_by_side(before: Image.Image, after: Image.Image) -> tuple[Image.Image, Image.Image]:
    """`before` at `after`'s size (square pixels), so that the slider's halves line up."""
    before = before.convert("RGB")
    if before.size != after.size:
        before = before.resize(after.size, Image.Resampling.NEAREST)
    return before, after


def restore_faces(
    pipe: RestorationPipeline,
    image: Image.Image,
    task: str,
    *,
    mask: Image.Image | None,
    corrupt_first: bool,
    seed: int,
    callback: Callable[[int, int, float], None],
    level: float = 0,
    **settings,
) -> RestorationResult:
    """Every face of the photo restored and put back (`pipe.restore_photo`).

    `mask` (inpainting): the painted missing pixels, at the photo's size. `corrupt_first`: the
    paper's corruption of the whole photo first (with a mask: those pixels blanked; inpainting
    without one: each face's centre hole). `level`: the corruption's level set under Advanced
    (`as_given`; 0: the photo's own, or the paper's in the demo mode). `settings`: lam, iterations, restarts.
    """
    restoring, level_note = as_given(task, image, corrupt_first, level)
    observed, holes_cut = image, False
    if corrupt_first and mask is None:  # corrupted as it is restored
        observed, mask = corrupt_photo(image, restoring, seed=seed)
        holes_cut = mask is not None  # a hole in each face found on the clean photo
    try:
        out = pipe.restore_photo(
            observed,
            restoring,
            mask=mask,
            seed=seed,
            callback=callback,
            progress=False,  # no tqdm bar in the server's log: the browser has its own
            **settings,
        )
    except NoFaceError as error:
        if holes_cut:
            raise FacesBehindHoles from error
        raise
    observed = blanked(out.observation, mask)
    before, after = side_by_side(observed, out.image)
    faces = []
    for number, face in enumerate(out.faces, start=1):
        seen = face.observation
        faces += [
            (seen, f"{number}: seen"),
            (face.restoration, f"{number}: restored"),
        ]
    count = f"{len(out.faces)} face{'s' if len(out.faces) > 1 else ''}"
    return RestorationResult(
        before=before,
        after=after,
        observed=observed,
        faces=faces,
        note=f"{count} found and restored; the rest of the photo {REGISTRY[task].surroundings}.{level_note}",
    )


def restore_centre(
    pipe: RestorationPipeline,
    image: Image.Image,
    task: str,
    *,
    mask: Image.Image | None,
    corrupt_first: bool,
    seed: int,
    callback: Callable[[int, int, float], None],
    level: float = 0,
    **settings,
) -> RestorationResult:
    """The photo's centre square restored as one aligned face, shown at the photo's framing.

    `mask` (inpainting): the painted missing pixels, at the photo's size; None with
    `corrupt_first` cuts the paper's centre hole. `corrupt_first` otherwise applies the task's
    corruption to the centre crop first (the paper's demo). `level`: as for `restore_faces`.
    `settings`: lam, iterations, restarts.
    """
    restoring, level_note = as_given(task, image, corrupt_first, level)
    corrupting = corrupt_first and mask is None  # at the level it is restored at
    observed = corrupt(image, restoring, seed=seed) if corrupting else image
    out = pipe(
        observed,
        task=restoring,
        mask=mask,
        seed=seed,
        callback=callback,
        progress=False,
        **settings,
    )
    observed = blanked(observed, mask)
    before, after = side_by_side(observed, out.framed)
    return RestorationResult(
        before=before,
        after=after,
        observed=observed,
        faces=[(out.observation, "seen"), (out.image, "restored")],
        candidates=list(zip(out.candidates, out.losses, strict=True)),
        note=(
            f"The centre of the photo was restored as one aligned face "
            f"({out.observation.width} px seen, 64 × 64 restored).{level_note}"
        ),
    )


#: The restoration behind each framing.
RESTORE = {FACES: restore_faces, CENTRE: restore_centre}
