"""Photos with known faces, built from aligned frames: for the tests and the photo benchmark.

Each whole aligned CelebA frame (or any image with its training crop in the same place) is
scaled, rotated and placed on a canvas; the face's training crop then lands on a known
`FaceFrame`, the ground truth of where its aligned 64 x 64 frame lies in the photo.

    python -m ganmap.evaluation.photo_sets --data ../shared/data/celeba/val --out photos --count 24

writes a folder of such photos (PNG, never committed: they hold dataset faces) with faces.json,
each photo's face frames; `ganmap benchmark --photos photos` scores restorations on them.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganmap.base.images import IMAGE_SIZE, to_pil, to_tensor
from ganmap.evaluation.data import celeba_crop_box, list_images
from ganmap.photo.alignment import FaceFrame
from ganmap.photo.detection import detect_faces

FACES_FILE = "faces.json"
MAX_SIDE = 640  # px: photos stay small enough for CBM3D to run on the whole set in minutes
SIZE_BUCKETS = (
    16,
    32,
    64,
    128,
    256,
)  # aligned frame widths in photo px (dlib's box: about as wide)


@dataclass(frozen=True)
class Placement:
    """Where a frame goes: its training crop `width` px across, turned `angle` degrees
    (counter-clockwise), its crop's centre at `centre` (x, y) in the canvas."""

    width: float
    angle: float
    centre: tuple[float, float]


def crop_frame(frame: torch.Tensor) -> FaceFrame:
    """The training crop of a whole frame (C, H, W) as a FaceFrame in the frame's pixels."""
    left, top, side = celeba_crop_box(frame.shape[2], frame.shape[1])
    step = side / IMAGE_SIZE  # x = (u + 0.5) * step - 0.5 + left
    return FaceFrame(
        np.array([[step, 0, left + 0.5 * step - 0.5], [0, step, top + 0.5 * step - 0.5]])
    )


def compose(
    canvas: torch.Tensor,
    frames: list[torch.Tensor],
    placements: list[Placement],
    crops: list[FaceFrame] | None = None,
) -> tuple[torch.Tensor, list[FaceFrame]]:
    """`frames` (C, H, W) pasted onto `canvas` (3, H, W) at `placements`, later ones on top;
    returns the photo and each face's aligned frame in it. `crops`: each frame's aligned face
    in its own pixels (default: the training crop of a whole CelebA frame)."""
    photo = canvas.clone()
    _, height, width = photo.shape
    truths = []
    crops = crops or [crop_frame(frame) for frame in frames]
    for frame, place, crop in zip(frames, placements, crops, strict=True):
        scale = place.width / IMAGE_SIZE / crop.scale  # photo px per frame px
        turn = math.radians(place.angle)
        rotation = np.array([[math.cos(turn), math.sin(turn)], [-math.sin(turn), math.cos(turn)]])
        linear = scale * rotation  # frame -> photo, about the crop's centre
        centre = crop.to_photo(np.array([[31.5, 31.5]]))[0]
        offset = np.asarray(place.centre) - linear @ centre
        placed = FaceFrame(np.hstack([linear, offset[:, None]]))  # frame px -> photo px
        truths.append(
            FaceFrame(placed.matrix[:, :2] @ crop.matrix + [[0, 0, offset[0]], [0, 0, offset[1]]])
        )

        ys, xs = torch.meshgrid(
            torch.arange(height, dtype=torch.float64),
            torch.arange(width, dtype=torch.float64),
            indexing="ij",
        )
        points = placed.to_aligned(torch.stack([xs, ys], -1).numpy())  # in the frame's pixels
        size = np.array([frame.shape[2], frame.shape[1]])
        grid = torch.from_numpy((points + 0.5) / size * 2 - 1).float()
        sampled = F.grid_sample(
            frame.expand(3, -1, -1)[None],
            grid[None],
            mode="bicubic",
            padding_mode="border",
            align_corners=False,
        )[0]
        inside = torch.from_numpy(
            ((points >= -0.5) & (points <= size - 0.5)).all(-1).astype(np.float32)
        )
        photo = photo * (1 - inside) + sampled * inside
    return photo.clamp(0, 1), truths


def canvas(height: int, width: int, generator: torch.Generator) -> torch.Tensor:
    """A smooth random background in muted colours."""
    coarse = 0.25 + 0.5 * torch.rand(3, 4, 4, generator=generator)
    return F.interpolate(coarse[None], size=(height, width), mode="bicubic")[0].clamp(0, 1)


def random_photo(files: list[Path], generator: torch.Generator):
    """A photo of 1-4 faces of one size bucket, and their aligned frames."""
    draw = lambda: torch.rand((), generator=generator).item()  # noqa: E731
    count = 1 + int(draw() * 4)
    bucket = int(draw() * (len(SIZE_BUCKETS) - 1))
    low, high = SIZE_BUCKETS[bucket], SIZE_BUCKETS[bucket + 1]
    widths = [low * (high / low) ** draw() for _ in range(count)]
    cell = max(widths) * 1.9  # a frame spans about 1.65 crop widths across, more turned
    count = min(count, max(1, int((MAX_SIDE / cell) ** 2)))  # large faces: fewer per photo
    widths = widths[:count]
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    width, height = (4 * math.ceil((n * cell + 8) / 4) for n in (columns, rows))
    width, height = max(width, 128), max(height, 128)
    photo = canvas(height, width, generator)
    chosen = [files[int(draw() * len(files))] for _ in range(count)]
    frames = [to_tensor(path) for path in chosen]
    placements = [
        Placement(
            widths[i],
            angle=(draw() - 0.5) * 30,
            centre=(
                (i % columns + 0.5) * cell + 4 + (draw() - 0.5) * 4,
                (i // columns + 0.5) * cell + 4,
            ),
        )
        for i in range(count)
    ]
    photo, truths = compose(photo, frames, placements)
    return photo, truths


def outside_photos() -> list[torch.Tensor]:
    """Portraits from other sources than CelebA, in the public domain, that ship with the eval
    extra's packages: scikit-image's astronaut (NASA) and matplotlib's Grace Hopper (US Navy).
    They keep the benchmark honest about faces unlike the training frames."""
    from skimage.data import astronaut

    try:
        from matplotlib.cbook import get_sample_data
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "the outside photos need matplotlib's sample data: pip install 'ganmap[eval]'"
        ) from error

    return [to_tensor(astronaut()), to_tensor(get_sample_data("grace_hopper.jpg", asfileobj=False))]


def detected_photo(photo: torch.Tensor, width: int) -> tuple[torch.Tensor, list[FaceFrame]]:
    """`photo` (3, H, W) shrunk to `width` px wide, with its faces' frames from the detector:
    for photos whose faces were not placed by `compose`."""
    height = round(photo.shape[1] * width / photo.shape[2])
    photo = F.interpolate(photo[None], size=(height, width), mode="area")[0]
    return photo, [FaceFrame.from_landmarks(f.landmarks) for f in detect_faces(photo)]


def main() -> None:
    parser = argparse.ArgumentParser(description="build photos with known faces for the benchmark")
    parser.add_argument("--data", required=True, help="folder of whole aligned CelebA frames")
    parser.add_argument("--out", required=True, help="folder to write (photos + faces.json)")
    parser.add_argument(
        "--count", type=int, default=24, help="photos of frames (besides the outside photos)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(args.seed)
    files = list_images(args.data)
    record = {}
    photos = [random_photo(files, generator) for _ in range(args.count)]
    photos += [
        detected_photo(photo, width) for photo in outside_photos() for width in (512, 256, 128)
    ]
    for index, (photo, truths) in enumerate(photos):
        name = f"photo-{index:03d}.png"
        to_pil(photo).save(out / name)
        record[name] = [frame.matrix.round(4).tolist() for frame in truths]
    (out / FACES_FILE).write_text(json.dumps(record, indent=1) + "\n")
    print(f"{len(photos)} photos with {sum(map(len, record.values()))} faces written to {out}")


if __name__ == "__main__":
    main()
