"""Photos and detectors for the photo tests, none of them needing ../shared.

Faces with a known aligned frame come from the bundled generator (`generator_faces`): a 64 x 64
sample is a face in the training framing, its own aligned frame, so placed on a canvas
(`compose`) its frame in the photo is known exactly. Real photos come from packages, all public
domain: scikit-image's astronaut and matplotlib's Grace Hopper (`outside_photos`), scikit-image's
camera man (`skimage.data.camera`).

`Scripted` detectors see what a test says they see, so that a test of detection's decisions
says, in the photo's pixels, what each detector finds; `recorded` wraps any detectors (the real
ones too) to record what each was shown.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from ganmap.base.images import IMAGE_SIZE
from ganmap.core.hub import BUNDLED
from ganmap.core.models import Generator, to_unit
from ganmap.evaluation.photo_sets import Placement, canvas, compose
from ganmap.photo.alignment import FaceFrame, face_template
from ganmap.photo.detection import Box, Detectors, Face, Window

#: A 64 x 64 face in the training framing is its own aligned frame.
ALIGNED = FaceFrame(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
#: Generator samples (seed 0) that all three detectors find, placed at any size from 40 px.
FACE_SEED, FACES = 0, (0, 8)


def frame_at(scale: float, angle: float, offset: tuple[float, float]) -> FaceFrame:
    """The aligned frame `scale` photo px per aligned px, turned `angle` degrees, its top-left
    corner at `offset` (x, y)."""
    turn = math.radians(angle)
    linear = scale * np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    return FaceFrame(np.hstack([linear, np.array(offset)[:, None]]))


def smooth_photo(height: int, width: int) -> torch.Tensor:
    """A smooth background in muted colours, with no face in it."""
    return canvas(height, width, torch.Generator().manual_seed(0))


@functools.cache
def generator_faces() -> tuple[torch.Tensor, ...]:
    """Faces (3, 64, 64) in [0, 1] from the bundled generator, in the training framing."""
    generator = Generator.from_pretrained(BUNDLED / "generator").eval()
    rng = torch.Generator().manual_seed(FACE_SEED)
    z = torch.rand(max(FACES) + 1, generator.latent_dim, generator=rng) * 2 - 1
    with torch.no_grad():
        samples = to_unit(generator(z)).clamp(0, 1)
    return tuple(samples[i] for i in FACES)


def faces_photo(
    height: int, width: int, placements: list[Placement]
) -> tuple[torch.Tensor, list[FaceFrame]]:
    """A photo of generator faces placed on a smooth canvas, and each face's aligned frame in
    it (its ground truth)."""
    faces = generator_faces()[: len(placements)]
    return compose(smooth_photo(height, width), list(faces), placements, [ALIGNED] * len(faces))


def two_faces() -> tuple[torch.Tensor, list[FaceFrame]]:
    """A 400 x 240 photo with two faces, 56 and 120 px across, turned 8 and -6 degrees."""
    return faces_photo(240, 400, [Placement(56, 8, (80, 110)), Placement(120, -6, (260, 120))])


def landmark_error(face: Face, truth: FaceFrame) -> float:
    """How far `face`'s landmarks land from the template in its true aligned frame (mean,
    aligned px)."""
    return float(np.linalg.norm(truth.to_aligned(face.landmarks) - face_template(), axis=1).mean())


def to_pixels(photo: torch.Tensor) -> np.ndarray:
    """(3, H, W) in [0, 1] -> (H, W, 3) uint8, as the detectors are shown it."""
    return (photo.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()


def face_in(box: Box) -> Face:
    """A face with `box`, its landmarks the template's in the square frame that box spans."""
    x0, y0, x1, _ = box
    frame = FaceFrame(np.array([[(x1 - x0) / IMAGE_SIZE, 0, x0], [0, (x1 - x0) / IMAGE_SIZE, y0]]))
    return Face(box=tuple(float(v) for v in box), landmarks=frame.to_photo(face_template()))


def square(x: float, y: float, side: float = 40) -> Box:
    """The box `side` px square around (x, y)."""
    return (x - side / 2, y - side / 2, x + side / 2, y + side / 2)


def centre(box: Box | Window) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


@dataclass(frozen=True)
class Look:
    """What a detector was shown: `model` ("hog", "cnn", "mtcnn" or "landmarks"), the `window`
    of `pixels` it looked at, at `scale` (MTCNN: the smallest face it looked for)."""

    model: str
    pixels: np.ndarray = field(repr=False)
    window: Window
    scale: float

    def holds(self, point: tuple[float, float]) -> bool:
        x0, y0, x1, y1 = self.window
        return x0 <= point[0] < x1 and y0 <= point[1] < y1

    @property
    def shows_something(self) -> bool:
        """Whether the window shows anything but black (the scripted tests' photos are black:
        what shows is the mean face in a hole)."""
        x0, y0, x1, y1 = self.window
        return bool(self.pixels[y0:y1, x0:x1].any())


def recorded(detectors: Detectors) -> tuple[Detectors, list[Look]]:
    """`detectors`, each call recorded in the list returned with them, in order."""
    looks: list[Look] = []

    def record(model: str, ask: Callable) -> Callable:
        def asked(pixels, window, scale, *rest):
            looks.append(Look(model, pixels, tuple(window), scale))
            return ask(pixels, window, scale, *rest)

        return asked

    fields = {
        f.name: record(f.name, getattr(detectors, f.name)) for f in dataclasses.fields(detectors)
    }
    return Detectors(**fields), looks


@dataclass(frozen=True)
class Seen:
    """A face that a scripted detector sees with `score` (HOG's score, the CNN's confidence,
    MTCNN's probability), in the photo's pixels. `hidden`: behind a hole, seen only where
    something shows in its box (the mean face shown in the hole)."""

    box: Box
    score: float
    hidden: bool = False

    def seen_in(self, pixels: np.ndarray, window: Window) -> bool:
        x, y = centre(self.box)
        x0, y0, x1, y1 = window
        if not (x0 <= x < x1 and y0 <= y < y1):
            return False
        if not self.hidden:
            return True
        left, top, right, bottom = (round(v) for v in self.box)
        return bool(pixels[max(top, 0) : bottom, max(left, 0) : right].any())


@dataclass
class Scripted:
    """Detectors that see only what they are told, each face where its box's centre lies in the
    window shown, whatever the scale. HOG reports what scores above the threshold it is asked
    for; the landmarks of a box are the template's in that box."""

    hog: list[Seen] = field(default_factory=list)
    cnn: list[Seen] = field(default_factory=list)
    mtcnn: list[Seen] = field(default_factory=list)  # MTCNN's own boxes

    def detectors(self) -> Detectors:
        return Detectors(
            hog=lambda pixels, window, scale, threshold: [
                (face_in(s.box), s.score)
                for s in self.hog
                if s.score > threshold and s.seen_in(pixels, window)
            ],
            cnn=lambda pixels, window, scale: [
                (face_in(s.box), s.score) for s in self.cnn if s.seen_in(pixels, window)
            ],
            mtcnn=lambda pixels, window, min_face, step: [
                (s.box, s.score) for s in self.mtcnn if s.seen_in(pixels, window)
            ],
            landmarks=lambda pixels, window, scale, box: face_in(box).landmarks,
        )

    def recorded(self) -> tuple[Detectors, list[Look]]:
        return recorded(self.detectors())
