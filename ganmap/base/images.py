"""Turning what users pass (files, PIL images, numpy arrays, tensors) into checked tensors, and back.

The framing policy, in one place: the solver works on 64 x 64 faces (16 x 16 observations for 4x
super-resolution). An image of another size is cut to its centre square and resized (bicubic,
antialiased) to that size; `paste_back` puts a result back at the input's framing.

Inputs are validated here so that every entry point (pipeline, command line, app) fails the same
way: an `ImageError` (a ValueError) naming the problem.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_SIZE = 64  # the side of the model's aligned face frame
MAX_PIXELS = 40_000_000  # larger images (and decompression bombs) are refused before decoding
MIN_SIDE = 8

ImageLike = Image.Image | np.ndarray | torch.Tensor | str | Path


class ImageError(ValueError):
    """An input that is not a usable image; the message says what is wrong."""


def open_image(path: str | Path) -> Image.Image:
    """Read an image file: EXIF orientation applied, first frame of animations, size limit checked."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            _check_size(*image.size)
            image.seek(0)  # animated images: the first frame
            image.load()
    except FileNotFoundError as error:
        raise ImageError(f"no such file: {path}") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(f"{path}: image too large ({error})") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ImageError):
            raise
        raise ImageError(f"{path} is not a readable image ({error})") from error
    return ImageOps.exif_transpose(image)


def _check_size(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"image of {width} x {height} pixels is too large (limit {MAX_PIXELS:,} pixels); "
            "resize it first: the model works on 64 x 64 faces"
        )
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"image of {width} x {height} pixels is too small (at least {MIN_SIDE} a side)"
        )


def _pil_to_array(image: Image.Image) -> np.ndarray:
    """RGB or L float array in [0, 1]; alpha is composited onto white, 16-bit and float scaled."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        return array / (65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0)
    if image.mode == "F":
        return np.asarray(image, dtype=np.float64)
    if image.mode == "L":
        return np.asarray(image, dtype=np.float64) / 255
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.float64) / 255


def to_tensor(image: ImageLike) -> torch.Tensor:
    """A (C, H, W) float32 tensor in [0, 1] with C = 1 or 3, from any supported input.

    Accepted: a path; a PIL image of any mode; a numpy array H x W, H x W x C (C in 1, 3, 4) or a
    tensor C x H x W (C in 1, 3, 4); integer arrays are scaled by their type's maximum (uint8 by
    255, uint16 by 65535), float arrays must already lie in [0, 1]; alpha is composited onto white.
    """
    if isinstance(image, (str, Path)):
        image = open_image(image)
    if isinstance(image, Image.Image):
        _check_size(*image.size)
        array = _pil_to_array(image)
        tensor = torch.from_numpy(np.ascontiguousarray(array)).float()
        tensor = tensor[None] if tensor.ndim == 2 else tensor.permute(2, 0, 1)
    elif isinstance(image, (np.ndarray, torch.Tensor)):
        tensor = _array_to_tensor(image)
    else:
        raise ImageError(
            f"unsupported image type {type(image).__name__}: give a PIL image, a numpy array, "
            "a torch tensor or a file path"
        )
    if not torch.isfinite(tensor).all():
        raise ImageError("the image holds NaN or infinite values")
    if tensor.min() < -1e-3 or tensor.max() > 1 + 1e-3:
        raise ImageError(
            f"float image values must lie in [0, 1], got [{tensor.min():.3g}, {tensor.max():.3g}]"
        )
    tensor = tensor.clamp(0, 1)
    if tensor.shape[0] == 4:  # RGBA array: composite onto white, as for PIL images
        rgb, alpha = tensor[:3], tensor[3:]
        tensor = rgb * alpha + (1 - alpha)
    return tensor


def _array_to_tensor(array: np.ndarray | torch.Tensor) -> torch.Tensor:
    is_numpy = isinstance(array, np.ndarray)
    if is_numpy and array.dtype == object:
        raise ImageError("numpy array of Python objects is not an image")
    dtype = array.dtype
    tensor = torch.from_numpy(np.ascontiguousarray(array)) if is_numpy else array.detach().cpu()
    if tensor.ndim == 3 and is_numpy:
        tensor = tensor.permute(2, 0, 1)  # numpy images are H x W x C
    elif tensor.ndim == 2:
        tensor = tensor[None]
    if tensor.ndim != 3 or tensor.shape[0] not in (1, 3, 4):
        layout = "H x W or H x W x C" if is_numpy else "C x H x W"
        raise ImageError(
            f"an image array must be {layout} with C in (1, 3, 4), got shape {tuple(array.shape)}"
        )
    _check_size(tensor.shape[2], tensor.shape[1])
    if tensor.dtype == torch.bool:
        return tensor.float()
    if tensor.is_floating_point():
        return tensor.float()
    info = np.iinfo(dtype) if is_numpy else torch.iinfo(dtype)
    if info.min < 0:
        if tensor.min() < 0:
            raise ImageError(f"integer image of type {dtype} has negative values")
        maximum = 255 if tensor.max() <= 255 else info.max
    else:
        maximum = info.max
    return tensor.float() / maximum


def centre_crop(tensor: torch.Tensor, side: int) -> torch.Tensor:
    """The centre square of a (C, H, W) tensor, resized to side x side (bicubic, antialiased)."""
    _, height, width = tensor.shape
    crop = min(height, width)
    top, left = (height - crop) // 2, (width - crop) // 2
    square = tensor[:, top : top + crop, left : left + crop]
    if crop != side:
        square = F.interpolate(square[None], size=(side, side), mode="bicubic", antialias=True)[0]
    return square.clamp(0, 1)


def paste_back(result: torch.Tensor, original: torch.Tensor, scale: float = 1) -> torch.Tensor:
    """`result` (3, s, s) put back at the framing of `original` (C, H, W) enlarged `scale` times."""
    _, height, width = original.shape
    height, width = round(height * scale), round(width * scale)
    framed = F.interpolate(original[None], size=(height, width), mode="bicubic", antialias=True)[0]
    framed = framed.expand(3, -1, -1).clone()
    crop = min(height, width)
    top, left = (height - crop) // 2, (width - crop) // 2
    square = F.interpolate(result[None], size=(crop, crop), mode="bicubic", antialias=True)[0]
    framed[:, top : top + crop, left : left + crop] = square
    return framed.clamp(0, 1)


def to_pil(tensor: torch.Tensor) -> Image.Image:
    """(C, H, W) in [0, 1] -> PIL ('L' for one channel, 'RGB' for three)."""
    array = (tensor.detach().cpu().clamp(0, 1) * 255).round().to(torch.uint8)
    if array.shape[0] == 1:
        return Image.fromarray(array[0].numpy())
    return Image.fromarray(array.permute(1, 2, 0).numpy())
