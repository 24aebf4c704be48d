"""Measure the alignment template: where the training crop puts dlib's 5 landmarks, on average,
and the mean face in that crop.

    python training/make_face_template.py --data ../shared/data/celeba/train

Runs the same detector and landmark model that `restore_photo` uses (`ganmap.photo.detection`) on the
whole training frames, maps the landmarks into the 64 x 64 training crop (`ganmap.evaluation.data`) and
writes their mean to ganmap/assets/face_template.json. A face warped onto this template then has
the framing the generator was trained on. The mean of the training crops themselves goes to
ganmap/assets/mean_face.png: what the detector is shown where a hole hides a face.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from ganmap.base.images import IMAGE_SIZE, to_pil, to_tensor
from ganmap.evaluation.data import celeba_crop_box, list_images, load_face
from ganmap.photo.alignment import MEAN_FACE_PATH, TEMPLATE_PATH
from ganmap.photo.detection import detect_faces


def crop_landmarks(path: Path) -> np.ndarray | None:
    """The landmarks of a frame's one face in training-crop pixels; None if not exactly one face."""
    with Image.open(path) as image:
        frame = to_tensor(image.convert("RGB"))
    faces = detect_faces(frame, min_face=30)  # frames hold one face of about 45 px
    if len(faces) != 1:
        return None
    left, top, side = celeba_crop_box(frame.shape[2], frame.shape[1])
    scale = IMAGE_SIZE / side  # pixel centres: (x + 0.5) scales, -0.5 returns to a centre
    return (faces[0].landmarks - (left, top) + 0.5) * scale - 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder of whole aligned CelebA frames")
    parser.add_argument("--limit", type=int, help="use the first N frames only")
    parser.add_argument("--out", default=str(TEMPLATE_PATH))
    parser.add_argument("--mean-face", default=str(MEAN_FACE_PATH))
    args = parser.parse_args()

    files = list_images(args.data)[: args.limit]
    found = [p for p in map(crop_landmarks, tqdm(files, desc="landmarks")) if p is not None]
    points = np.stack(found)
    template = {
        "landmarks": np.round(points.mean(0), 3).tolist(),
        "spread": np.round(points.std(0), 3).tolist(),
        "faces": len(found),
        "frames": len(files),
        "source": f"training/make_face_template.py --data {args.data}"
        + (f" --limit {args.limit}" if args.limit else ""),
    }
    Path(args.out).write_text(json.dumps(template, indent=2) + "\n")
    mean = sum(load_face(path).double() for path in tqdm(files, desc="mean face")) / len(files)
    to_pil(mean.float()).save(args.mean_face)
    print(f"{len(found)} of {len(files)} frames had one face; template written to {args.out}")
    print(f"the mean of {len(files)} training crops written to {args.mean_face}")


if __name__ == "__main__":
    main()
