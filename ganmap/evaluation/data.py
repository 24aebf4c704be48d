"""Aligned CelebA faces as 64 x 64 tensors, with the usual DCGAN crop at any image size.

The DCGAN crop of aligned CelebA is a centred 108 x 108 square of the 178 x 218 image. It is
expressed here as a fraction of the width, so the half-size copies (89 x 109 -> 54 x 54 at left 17,
top 27) and the full-size originals give the same face framing.
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision.transforms.functional import pil_to_tensor

CROP_FRACTION = 108 / 178
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png"}


def celeba_crop_box(width: int, height: int) -> tuple[int, int, int]:
    """(left, top, side) of the training crop in a frame of width x height pixels."""
    side = round(width * CROP_FRACTION)
    return (width - side) // 2, (height - side) // 2, side


def celeba_crop(image: Image.Image, size: int = 64) -> Image.Image:
    """Centre square of side 108/178 of the width, resized to size x size (bicubic, antialiased)."""
    left, top, side = celeba_crop_box(*image.size)
    return image.crop((left, top, left + side, top + side)).resize(
        (size, size), Image.Resampling.BICUBIC
    )


def list_images(folder: str | Path) -> list[Path]:
    """The image files of a folder, sorted by name; an error if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of face images")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise FileNotFoundError(f"{folder} holds no .jpg or .png images")
    return files


def load_face(path: str | Path, size: int = 64) -> torch.Tensor:
    """One aligned CelebA file as a (3, size, size) float tensor in [0, 1]."""
    with Image.open(path) as image:
        face = celeba_crop(image.convert("RGB"), size)
    return pil_to_tensor(face).float() / 255


class FaceFolder(Dataset):
    """Every image of a folder of aligned CelebA faces, cropped, as (3, 64, 64) tensors in [0, 1]."""

    def __init__(self, folder: str | Path, size: int = 64, limit: int | None = None):
        self.files = list_images(folder)[:limit]
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> torch.Tensor:
        return load_face(self.files[index], self.size)
