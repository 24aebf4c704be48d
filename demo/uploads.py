"""What the user gives the app, read once on the server: the uploaded photo and the painted mask.

A photo is read the moment it is uploaded (ganmap's `open_image`: EXIF orientation applied, the
first frame of an animation, decompression bombs refused before decoding), so a file that is no
image is named at once, not at Restore. A large photo is downscaled right there (`MAX_SIDE`), and
the small copy is what the browser's editor and every later request carry. The Restore event
reads the editor's files the same way (`editor_parts`), for photos that come another way: pasted,
from the webcam, the examples, API calls.

Every mistake a user can make ends in `user_error`: a `gr.Error` that the browser shows as a
message, and one line in the server's log (no traceback: it is not a bug of the app).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
from PIL import Image

from ganmap import ImageError
from ganmap.base.images import open_image, to_pil, to_tensor
from ganmap.classical.levels import estimate_levels

#: Longest side of a photo after upload. The model restores faces at 64 x 64, so a face in a
#: 1024-px photo can be 15 times that and still carry every pixel the model uses; larger photos
#: only make the browser's editor, the face detector, the paste-back and the PNG downloads slow
#: (docs/experiments/app.md).
MAX_SIDE = 1024

#: Longest side of a result, which sets a smaller cap for tasks that enlarge the photo: a 4x
#: super-resolution of a 512 px photo. A larger result is slow to encode as PNG, for each of the
#: slider's two images and the download, and to send (docs/experiments/app.md).
MAX_RESULT_SIDE = 2048

log = logging.getLogger("ganmap.demo")


def user_error(message: str) -> gr.Error:
    """A message for the user, logged as one line: raise the result."""
    log.warning("user error: %s", message)
    return gr.Error(message, print_exception=False)


def downscaled(image: Image.Image, max_side: int = MAX_SIDE) -> tuple[Image.Image, str]:
    """`image` with its longest side at most `max_side` (antialiased unless posterized), and a
    note saying so."""
    if max(image.size) <= max_side:
        return image, ""
    # a posterized photo shrunk by sampling keeps its levels, which Lanczos would blend away (and
    # the sample holds only the photo's own values: posterized exactly when the photo is)
    small = image.copy()
    small.thumbnail((max_side, max_side), Image.Resampling.NEAREST)
    if estimate_levels(small) is None:
        small = image.copy()
        small.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    note = (
        f"Your photo ({image.width} × {image.height}) was downscaled to "
        f"{small.width} × {small.height}: the model restores faces at 64 × 64, and larger "
        "photos only take longer."
    )
    return small, note


def fitted(
    image: Image.Image, mask: Image.Image | None, scale: float
) -> tuple[Image.Image, Image.Image | None, str]:
    """The photo and its mask downscaled so that a result `scale` times larger stays within
    `MAX_RESULT_SIDE`, and a note saying so (empty when nothing changed)."""
    max_side = min(MAX_SIDE, int(MAX_RESULT_SIDE / scale))
    small, _ = downscaled(image, max_side)
    if small.size == image.size:
        return image, mask, ""
    if mask is not None:
        mask = mask.resize(small.size, Image.Resampling.NEAREST)
    note = (
        f"The photo was downscaled to {small.width} × {small.height} first, so that the "
        f"result, {scale:g} × larger, is at most {MAX_RESULT_SIDE} px a side."
    )
    return small, mask, note


def open_upload(path: str | Path, name: str | None = None) -> Image.Image:
    """An uploaded file as an image, as ganmap reads files; a user error naming the file if it is
    none. `name` is the file's name on the user's machine, used instead of the server's path."""
    name = name or Path(path).name
    try:
        return open_image(path)
    except ImageError as error:
        raise user_error(f"Cannot use {name}: {str(error).replace(str(path), name)}.") from error


def as_photo(image: Image.Image) -> Image.Image:
    """`image` as an RGB photo, read as the pipeline reads images (alpha onto white, 16-bit
    scaled, too small refused), downscaled to `MAX_SIDE`."""
    try:
        return downscaled(to_pil(to_tensor(image)).convert("RGB"))[0]
    except ImageError as error:
        raise user_error(f"Cannot use this photo: {error}.") from error


def read_photo(path: str | Path, name: str | None = None) -> tuple[Image.Image, str]:
    """An uploaded file as an RGB photo (downscaled if large) and a note for the user."""
    name = name or Path(path).name
    image = open_upload(path, name)
    photo = as_photo(image)
    size = f"{name}: {photo.width} × {photo.height}."
    if photo.size == image.size:
        return photo, size
    return photo, f"{downscaled(image)[1]} {size}"


def as_image(item: Any) -> Image.Image | None:
    """One image of the editor's raw value (the Restore event skips Gradio's preprocessing, so
    every file is read here, by `open_upload`): a file as {"path", "orig_name"} (what the browser
    and API clients send), a path, a PIL image or an array (direct calls), or None."""
    if item is None or isinstance(item, Image.Image):
        return item
    if isinstance(item, np.ndarray):
        return Image.fromarray(item)
    if isinstance(item, dict):
        return open_upload(item["path"], item.get("orig_name"))
    return open_upload(item)


def editor_parts(value: Any) -> tuple[Image.Image, Image.Image | None]:
    """The editor's value as (RGB photo, painted mask or None); a user error without a photo.

    The photo is downscaled to `MAX_SIDE` here too (an upload already is; a pasted photo, a
    webcam's or an API call's may not be), and the mask with it. The mask is white where any stroke was painted (alpha > 0 in any layer): the missing pixels.
    """
    if isinstance(value, dict) and not {"background", "layers", "composite"}.isdisjoint(value):
        background = as_image(value.get("background") or value.get("composite"))
        layers = [as_image(layer) for layer in value.get("layers") or []]
    else:  # a plain image (direct calls): no strokes
        background, layers = as_image(value), []
    if background is None:
        raise user_error(
            "Give a photo first: upload one, paste one, take one with the webcam, "
            "or pick an example below."
        )
    image = as_photo(background)
    missing = np.zeros((image.height, image.width), dtype=bool)
    for layer in filter(None, layers):
        alpha = layer.convert("RGBA").getchannel("A")
        if alpha.size != image.size:
            alpha = alpha.resize(image.size, Image.Resampling.NEAREST)
        missing |= np.asarray(alpha) > 0
    mask = Image.fromarray(missing.astype(np.uint8) * 255, "L") if missing.any() else None
    return image, mask
