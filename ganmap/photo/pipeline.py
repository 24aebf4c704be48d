"""Whole photos in, whole photos out: every face found, restored at its real resolution, put back.

    pipe = RestorationPipeline.from_pretrained()
    out = pipe.restore_photo(photo, task="denoising")     # any size, any number of faces
    out.image.save("restored.png"); out.faces[0].restoration

The model knows one thing: a 64 x 64 face in the training framing. For each face found
(`ganmap.photo.detection`) the photo is warped onto that framing (`ganmap.photo.alignment`),
and the face gets the observation its task really meets at its size in the photo, not the
paper's 64 x 64 one:

- super-resolution: a face L px across in the low-resolution photo is an observation of round(L)
  px, restored with `SuperResolution(factor=64 / round(L))`; from 64 px on the model has nothing
  to add and bicubic upsampling stands;
- denoising: a face is restored at sigma * 64 / L: averaged down, a larger face's noise is
  that much lower; enlarged, a smaller face's noise is spread over the few frequencies it
  holds, where it is as strong as white noise of that sigma;
- quantization: a larger face is shrunk by nearest sampling, so its values stay on the
  quantization levels (its banding does not average away); a smaller one is interpolated;
- colorization: the gray photo is warped as one channel;
- inpainting: the photo and its mask are warped together; without a mask, each face's hole is
  the task's aligned mask (the centre 32 x 32) mapped into the photo.

The photo around the faces is restored by a classical step that needs no face (`background`),
and each face is put back as a change to it: result = background + warp_back(restoration -
warp(background)) under a mask that fades out beyond the face's frame. So a face larger than
64 px keeps the background's detail finer than the model's 64 px: the observed pixels around an
inpainted hole, the bicubic upsampling, a patch denoiser's view of the noisy or posterized photo.
Finally the result is made to agree with what the photo pins down: the observed pixels
(inpainting), the gray photo's luma at full resolution, with the faces' colours spread over it up
to its edges rather than pasted as squares (colorization), and the noisy photo
Wiener-filtered at full resolution with the result as its pilot (denoising), each pixel within
its quantization cell (quantization).

Each of these is registered per operator (`ganmap.photo.behaviour`), so a task of one's own
restores whole photos too, with the defaults: the photo itself as the background, the task
unchanged at every face size.

`RestorationPipeline` is the face pipeline (`ganmap.core.pipeline.FaceRestorationPipeline`)
with this workflow as `restore_photo`: the photo workflow wraps the face pipeline and calls it
for the faces, one batch per kind of task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from ganmap.base.colour import luma
from ganmap.base.images import IMAGE_SIZE, ImageLike, to_pil, to_tensor
from ganmap.classical.fills import fill_missing
from ganmap.core.pipeline import FaceRestorationPipeline, check_seed
from ganmap.core.settings import Settings
from ganmap.operators import Task, get_task
from ganmap.photo import behaviour
from ganmap.photo.alignment import FaceFrame, add_from_frame, frame_mask, warp_to_frame
from ganmap.photo.behaviour import (
    at_size,
    consistent_photo,
    keep_tone,
    photo_scale,
    restore_classically,
    sampling,
)
from ganmap.photo.detection import MIN_FACE, Detectors, Face, detect_faces_any_way_up


class NoFaceError(ValueError):
    """No face was found in a photo."""

    def __init__(self) -> None:
        super().__init__(
            f"no face found in the photo (faces under about {MIN_FACE} px across, seen from the "
            "side or mostly covered can be missed): crop the face to a square around it and call "
            "pipe(image, task), which restores an aligned face crop as it is"
        )


@dataclass
class RestoredFace:
    """One face of a restored photo.

    Attributes:
        box: x0, y0, x1, y1 of the detector's box in the output photo's pixels.
        landmarks: (5, 2) x, y of dlib's 5 landmarks in the output photo's pixels.
        observation: the face's aligned observation, what the solver saw (for super-resolution,
            round(L) px for a face L px across in the low-resolution photo).
        restoration: its 64 x 64 restoration in the training framing.
    """

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    observation: Image.Image
    restoration: Image.Image


@dataclass
class PhotoRestorationOutput:
    """What `RestorationPipeline.restore_photo` returns.

    Attributes:
        image: the whole photo restored (super-resolution: the observation's size times the
            factor).
        observation: the photo as it was read, RGB.
        faces: one entry per face found, top to bottom, then left to right.
        settings: the solver settings of the faces' restorations (the task's defaults with the
            call's overrides).
    """

    image: Image.Image
    observation: Image.Image
    faces: list[RestoredFace]
    settings: Settings


def read_photo(image: ImageLike, task: Task) -> torch.Tensor:
    """The photo as the task observes it: one channel (luma) for colorization, three otherwise."""
    photo = to_tensor(image)
    if task.observation_channels == 1:
        return luma(photo[None])[0] if photo.shape[0] == 3 else photo
    return photo.expand(3, -1, -1)


def read_mask(mask: ImageLike | None, photo: torch.Tensor, task: Task) -> torch.Tensor | None:
    """(H, W) bool, True where the photo's pixels are missing; None without a mask."""
    if mask is None:
        return None
    if not task.takes_mask:
        raise ValueError(f"a mask is only used for inpainting, not {task.name}")
    missing = to_tensor(mask)
    if missing.shape[1:] != photo.shape[1:]:
        raise ValueError(
            f"the mask is {missing.shape[2]} x {missing.shape[1]} but the photo is "
            f"{photo.shape[2]} x {photo.shape[1]}: give a mask of the photo's size"
        )
    return missing.mean(0) > 0.5


def default_holes(faces: list, task: Task, height: int, width: int) -> torch.Tensor:
    """Each face's aligned hole (the task's mask, the centre 32 x 32 by default) in the photo."""
    missing = torch.zeros(height, width, dtype=torch.bool)
    for face in faces:
        frame = FaceFrame.from_landmarks(face.landmarks)
        missing |= frame_mask(frame, task.missing, height, width)
    return missing


def background(photo: torch.Tensor, missing: torch.Tensor | None, task: Task) -> torch.Tensor:
    """The whole photo restored without a face model, (3, H, W) at the output's size: holes
    filled smoothly, then the task's classical restoration (the gray photo, bicubic upsampling,
    BM3D's two stages)."""
    if missing is not None:
        photo = fill_missing(photo, missing)
    return restore_classically(task, photo)


def find_faces(
    photo: torch.Tensor,
    missing: torch.Tensor | None,
    task: Task,
    *,
    detectors: Detectors | None = None,
) -> tuple[list[Face], torch.Tensor]:
    """(faces, background): the faces in a corrupted photo (3, H, W), found in its classical
    restoration (`background`), which shows them best to a detector, and that restoration. Their
    boxes and landmarks are in its pixels: for super-resolution, the output's. A face MIN_FACE
    px across in the photo given is `photo_scale(task)` times larger there (super-resolution: 4x
    fewer pixels to search). `detectors`: the face models asked (None: `Detectors.default()`)."""
    result = background(photo, missing, task)
    min_face = MIN_FACE * photo_scale(task)
    return detect_faces_any_way_up(result, missing, min_face=min_face, detectors=detectors), result


def face_task(photo: torch.Tensor, frame: FaceFrame, task: Task, missing: torch.Tensor | None):
    """(observation, task) for one face at its real size in the photo (for inpainting, with its
    holes `missing` filled, so that they leak nothing into the pixels around them); the task None
    where the model has nothing to add: super-resolution of a face 64 px or more across, or
    inpainting of a face without a missing pixel."""
    size = IMAGE_SIZE * frame.scale  # the frame's width in photo pixels
    per_face = at_size(task, size)
    if per_face is not None and missing is not None:  # the face's own hole
        hole = warp_to_frame(missing[None].float(), frame)[0] > 0.01
        per_face = per_face.with_mask(hole) if hole.any() else None
    if per_face is None:
        return warp_to_frame(photo, frame), None
    side = per_face.observation_side
    return warp_to_frame(photo, frame, side, mode=sampling(per_face, size)), per_face


def restore_faces(
    pipe: FaceRestorationPipeline,
    seen: list[tuple[torch.Tensor, Task | None]],
    task: Task,
    preset: str,
    progress: bool,
    call: dict[str, Any],
) -> tuple[list[torch.Tensor | None], Settings]:
    """The faces' 64 x 64 restorations (None where `seen`, from `face_task`, has no task) and
    the settings they ran with. The faces are solved together, one pipe call per kind of task,
    so that G and D run on all at once."""
    restorations: list[torch.Tensor | None] = [None] * len(seen)
    kinds: dict[str, list[int]] = {}
    for index, (_, per_face) in enumerate(seen):
        if per_face is not None:
            kinds.setdefault(per_face.name, []).append(index)
    settings = {}  # per kind
    for name, members in kinds.items():
        observations, tasks = zip(*(seen[i] for i in members), strict=True)
        out = pipe(list(observations), list(tasks), preset=preset, progress=progress, **call)
        for index, image in zip(members, out.image, strict=True):
            restorations[index] = to_tensor(image)
        settings[name] = out.settings
    ran = settings.get(task.name, next(iter(settings.values()), pipe.defaults(task, preset)))
    return restorations, ran


def corrupt_photo(
    image: ImageLike,
    task: str | Task = "inpainting",
    *,
    seed: int = 0,
    detectors: Detectors | None = None,
) -> tuple[Image.Image, Image.Image | None]:
    """The paper's corruption of a whole clean photo, at the photo's own resolution.

    Super-resolution shrinks the photo by the factor; inpainting blanks each face's aligned hole
    (the centre 32 x 32 of its 64 x 64 frame) mapped into the photo, and raises NoFaceError
    without a face. Returns (observed photo, mask): the mask (white where missing, the photo's
    size) for inpainting, None otherwise; pass it on as `restore_photo(observed, task,
    mask=mask)`. Seeded where the corruption is random (denoising). `detectors`: the face
    models that find the faces for inpainting (None: `Detectors.default()`).
    """
    task = get_task(task)
    clean = to_tensor(image).expand(3, -1, -1)
    _, height, width = clean.shape
    generator = torch.Generator().manual_seed(check_seed(seed))
    if task.takes_mask:
        faces = detect_faces_any_way_up(clean, detectors=detectors)
        if not faces:
            raise NoFaceError()
        missing = default_holes(faces, task, height, width)
        observed = task.noise.sample((clean * ~missing)[None], generator)[0]  # noisy, if it is
        return to_pil(observed), to_pil(missing[None].float())
    return to_pil(behaviour.corrupt_photo(task, clean, generator)), None


class RestorationPipeline(FaceRestorationPipeline):
    """Restore faces with a DCGAN prior, alone (`__call__`, from the face pipeline) or in whole
    photos (`restore_photo`)."""

    def restore_photo(
        self,
        image: ImageLike,
        task: str | Task = "inpainting",
        *,
        mask: ImageLike | None = None,
        preset: str = "default",
        progress: bool = True,
        detectors: Detectors | None = None,
        **call: Any,
    ) -> PhotoRestorationOutput:
        """Restore every face of a whole photo and put them back (`ganmap.photo.pipeline`).

        Args:
            image: the whole photo, already corrupted, of any size: with its holes, gray,
                low-resolution (the result is `factor` times larger), noisy or posterized.
            task: as for `__call__`, a composite included ("super-resolution+denoising"); its
                parameters are the photo's (e.g. the noise sigma), and each face gets the task
                its size in the photo implies.
            mask: inpainting: True / white where pixels are missing, the photo's size. None:
                each face's hole is the centre 32 x 32 of its aligned frame, mapped into the photo.
            preset, progress: as for `__call__`, for every face.
            detectors: the face models that find the faces (`ganmap.photo.detection.Detectors`;
                None: dlib's and MTCNN, `Detectors.default()`).
            **call: the settings of `__call__` (lam, iterations, restarts, seed, callback and
                any field of `Settings`), for every face.

        Raises:
            NoFaceError (a ValueError) when no face is found: crop the face and call `__call__`.
        """
        task = get_task(task)
        given = to_tensor(image)
        photo = read_photo(given, task)
        missing = read_mask(mask, photo, task)
        _, height, width = photo.shape
        scale = photo_scale(task)
        faces, result = find_faces(photo, missing, task, detectors=detectors)
        if not faces:
            raise NoFaceError()
        if task.takes_mask and missing is None:
            missing = default_holes(faces, task, height, width)
            result = background(photo, missing, task)

        observed = photo if missing is None else result  # holes filled
        placed = [FaceFrame.from_landmarks(face.landmarks) for face in faces]  # in the output photo
        seen = [face_task(observed, frame.resized(1 / scale), task, missing) for frame in placed]
        restorations, settings = restore_faces(self, seen, task, preset, progress, call)
        restored = []
        for face, frame, (observation, _), restoration in zip(
            faces, placed, seen, restorations, strict=True
        ):
            if restoration is None:  # nothing for the model to add: the face stays as the rest
                restoration = warp_to_frame(result, frame)
            result = add_from_frame(result, restoration - warp_to_frame(result, frame), frame)
            restored.append(
                RestoredFace(
                    box=face.box,
                    landmarks=face.landmarks,
                    observation=to_pil(observation),
                    restoration=to_pil(restoration),
                )
            )

        result = consistent_photo(task, result, photo, missing, placed, self.denoiser)
        result = keep_tone(task, result, given, placed)
        return PhotoRestorationOutput(
            image=to_pil(result.clamp(0, 1)),
            observation=to_pil(photo.expand(3, -1, -1)),
            faces=restored,
            settings=settings,
        )
