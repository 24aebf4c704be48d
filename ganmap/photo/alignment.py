"""The training framing inside a photo: the template, the similarity that puts a face on it, and
the two warps between a photo and a face's aligned 64 x 64 frame.

Coordinates are pixel coordinates with pixel centres at integers, x to the right, y down. A
`FaceFrame` maps aligned coordinates (u, v) in [-0.5, 63.5]^2, the 64 x 64 training crop, into a
photo: p = scale * R(angle) (u, v) + offset. Warps sample with torch's `grid_sample`; a warp that
shrinks first samples at the photo's own resolution, then averages down (area), so that noise and
detail are averaged as a camera would, not aliased.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from ganmap.base.images import IMAGE_SIZE, to_tensor
from ganmap.base.paths import ASSETS

TEMPLATE_PATH = ASSETS / "face_template.json"
MEAN_FACE_PATH = ASSETS / "mean_face.png"
FEATHER = 6.0  # aligned pixels over which a pasted face fades out beyond its frame


@functools.cache
def face_template() -> np.ndarray:
    """(5, 2): the mean of dlib's 5 landmarks in the 64 x 64 training crop, measured on the
    training frames by training/make_face_template.py."""
    return np.asarray(json.loads(TEMPLATE_PATH.read_text())["landmarks"], dtype=np.float64)


@functools.cache
def mean_face() -> torch.Tensor:
    """(3, 64, 64) in [0, 1]: the mean training crop, by training/make_face_template.py; a blurred
    face on the template, with the eyes, nose and mouth where an aligned face has them."""
    return to_tensor(MEAN_FACE_PATH)


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2 x 3 similarity (rotation, uniform scale, shift) that maps `source` points (N, 2)
    onto `target` points in the least-squares sense (Umeyama, 1991)."""
    mean_s, mean_t = source.mean(0), target.mean(0)
    s, t = source - mean_s, target - mean_t
    u, singular, vt = np.linalg.svd(t.T @ s / len(source))
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])  # a rotation, never a reflection
    rotation = u @ sign @ vt
    scale = np.trace(np.diag(singular) @ sign) / (s**2).sum(1).mean()
    return np.hstack([scale * rotation, (mean_t - scale * rotation @ mean_s)[:, None]])


@dataclass(frozen=True)
class FaceFrame:
    """A face's aligned frame placed in a photo: `matrix` (2 x 3) maps aligned -> photo pixels."""

    matrix: np.ndarray

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray) -> FaceFrame:
        """The frame that puts these 5 landmarks (photo pixels) on the template."""
        return cls(similarity(face_template(), np.asarray(landmarks, dtype=np.float64)))

    @property
    def scale(self) -> float:
        """Photo pixels per aligned pixel: the face frame is 64 * scale photo pixels across."""
        return float(math.sqrt(abs(np.linalg.det(self.matrix[:, :2]))))

    def to_photo(self, points: np.ndarray) -> np.ndarray:
        """Aligned points (N, 2) -> photo points."""
        return points @ self.matrix[:, :2].T + self.matrix[:, 2]

    def to_aligned(self, points: np.ndarray) -> np.ndarray:
        """Photo points (N, 2) -> aligned points."""
        return (points - self.matrix[:, 2]) @ np.linalg.inv(self.matrix[:, :2]).T

    def resized(self, factor: float) -> FaceFrame:
        """The same frame in the photo resized `factor` times (x' = (x + 0.5) * factor - 0.5)."""
        matrix = self.matrix * factor
        matrix[:, 2] += 0.5 * factor - 0.5
        return FaceFrame(matrix)

    def corners(self) -> np.ndarray:
        """The frame's four outer corners in photo pixels (4, 2)."""
        lo, hi = -0.5, IMAGE_SIZE - 0.5
        return self.to_photo(np.array([[lo, lo], [hi, lo], [hi, hi], [lo, hi]]))


def _photo_grid(frame: FaceFrame, points: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Aligned points (..., 2) as grid_sample coordinates of a photo of height x width."""
    matrix = torch.as_tensor(frame.matrix, dtype=points.dtype)
    photo = points @ matrix[:, :2].T + matrix[:, 2]
    size = torch.tensor([width, height], dtype=points.dtype)
    return (photo + 0.5) / size * 2 - 1


def _frame_points(side: int) -> torch.Tensor:
    """(side, side, 2) aligned (u, v) of the centres of a side x side grid over the frame."""
    centres = (torch.arange(side, dtype=torch.float64) + 0.5) * IMAGE_SIZE / side - 0.5
    v, u = torch.meshgrid(centres, centres, indexing="ij")
    return torch.stack([u, v], dim=-1)


def warp_to_frame(
    photo: torch.Tensor,
    frame: FaceFrame,
    side: int = IMAGE_SIZE,
    mode: Literal["area", "nearest"] = "area",
) -> torch.Tensor:
    """The face's aligned frame (C, side, side) cut from `photo` (C, H, W) in [0, 1].

    "area": each aligned pixel is the mean over the photo area it covers (bicubic samples at
    most a photo pixel apart, averaged); a frame smaller than `side` is interpolated up.
    "nearest": every aligned pixel takes one photo pixel's value (keeps a posterized photo's
    levels). Beyond the photo's edges the photo is mirrored.
    """
    _, height, width = photo.shape
    # a shrinking warp samples k x k points per aligned pixel (k photo pixels apart or less)
    # and averages them: exact box means, where area resizing of a fractional ratio would
    # average overlapping windows and blur the face
    k = 1 if mode == "nearest" else max(1, math.ceil(frame.scale * IMAGE_SIZE / side - 1e-6))
    grid = _photo_grid(frame, _frame_points(side * k), height, width).float()
    sampled = F.grid_sample(
        photo[None].float(),
        grid[None],
        mode="nearest" if mode == "nearest" else "bicubic",
        padding_mode="reflection",
        align_corners=False,
    )
    if k > 1:
        sampled = F.avg_pool2d(sampled, k)
    return sampled[0].clamp(0, 1)  # bicubic overshoot: images and masks stay in [0, 1]


def add_from_frame(photo: torch.Tensor, change: torch.Tensor, frame: FaceFrame) -> torch.Tensor:
    """`photo` (C, H, W) plus `change` (C, 64, 64), an aligned-frame image warped back into the
    photo, at full weight over the frame and fading to nothing FEATHER aligned pixels beyond it
    (the change is extended past the frame's edge by its edge values). Returns a new tensor."""
    _, height, width = photo.shape
    x0, y0 = np.floor(frame.corners().min(0) - FEATHER * frame.scale).astype(int)
    x1, y1 = np.ceil(frame.corners().max(0) + FEATHER * frame.scale).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x0 >= x1 or y0 >= y1:
        return photo.clone()
    ys, xs = torch.meshgrid(
        torch.arange(y0, y1, dtype=torch.float64),
        torch.arange(x0, x1, dtype=torch.float64),
        indexing="ij",
    )
    aligned = torch.from_numpy(frame.to_aligned(torch.stack([xs, ys], -1).reshape(-1, 2).numpy()))
    aligned = aligned.reshape(y1 - y0, x1 - x0, 2)
    lo, hi = -0.5, IMAGE_SIZE - 0.5
    outside = (torch.clamp(lo - aligned, min=0) + torch.clamp(aligned - hi, min=0)).norm(dim=-1)
    ramp = (1 - outside / FEATHER).clamp(0, 1)
    weight = (ramp * ramp * (3 - 2 * ramp)).float()  # smoothstep: no visible seam

    source = change[None].float()
    side = round(IMAGE_SIZE * frame.scale)
    if side < IMAGE_SIZE:  # the face is smaller in the photo: average the change down first
        source = F.interpolate(source, size=(max(side, 1),) * 2, mode="area")
    grid = ((aligned + 0.5) / IMAGE_SIZE * 2 - 1).float()
    sampled = F.grid_sample(
        source, grid[None], mode="bicubic", padding_mode="border", align_corners=False
    )[0]
    result = photo.clone()
    result[:, y0:y1, x0:x1] += weight * sampled
    return result


def faces_weight(frames: Sequence[FaceFrame], height: int, width: int) -> torch.Tensor:
    """(1, height, width) in [0, 1]: how much of each photo pixel is a pasted face's, full over
    the faces' frames and fading out beyond them as `add_from_frame` fades a face's change."""
    weight = torch.zeros(1, height, width)
    for frame in frames:
        weight = add_from_frame(weight, torch.ones(1, IMAGE_SIZE, IMAGE_SIZE), frame)
    return weight.clamp(0, 1)


def frame_mask(frame: FaceFrame, missing: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(height, width) bool: `missing` (64, 64), True where aligned pixels are missing, mapped
    into the photo (each photo pixel whose centre falls on a missing aligned pixel)."""
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=torch.float64),
        torch.arange(width, dtype=torch.float64),
        indexing="ij",
    )
    aligned = frame.to_aligned(torch.stack([xs, ys], -1).reshape(-1, 2).numpy())
    cols, rows = np.floor(aligned + 0.5).astype(int).T
    inside = (cols >= 0) & (cols < IMAGE_SIZE) & (rows >= 0) & (rows < IMAGE_SIZE)
    hit = np.zeros(len(aligned), dtype=bool)
    hit[inside] = missing.numpy()[rows[inside], cols[inside]]
    return torch.from_numpy(hit.reshape(height, width))
