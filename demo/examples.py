"""Example photos for the demo, made at start-up: the app downloads nothing and ships no image.

Photos a person would try, from what the project may ship (never CelebA files):
- scikit-image's astronaut (Eileen Collins, a NASA portrait in the public domain), 512 x 512;
- a group photo of the generator's own faces (fixed seeds), enlarged to different sizes and
  placed off-centre on a drawn background above drawn shoulders, each blended in under a
  feathered oval.

Each example comes with its task and mode. Most are already damaged, the way a user's photo is:
the task's own corruption applied to the whole photo (`ganmap.corrupt_photo`: gray, noisy, 4x
smaller, posterized), so "Restore it as it is" restores them. Inpainting needs to know where the
holes are: its example is the group photo with two scratches across it, painted over with the
brush as a person would (the editor's layer). The paper's hole in the middle of each face is
the demo mode's, not an example's.

`write_examples(pipe, folder)` saves them as PNG (Gradio examples are files); the app calls it at
start-up into a temporary folder. `python -m demo.export_examples OUT_DIR [MODEL]` exports them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ganmap import RestorationPipeline, corrupt_photo

#: Seeds of the generator's faces in the group photo: three that dlib's detector finds on the
#: clean, gray and posterized photo.
FACE_SEEDS: tuple[int, ...] = (3, 4, 10)
#: The group photo: its size, and each face's (left, top, side) in it.
GROUP_SIZE = (640, 420)
GROUP_PLACES = ((40, 90, 150), (250, 40, 200), (480, 140, 130))
#: Their shirts' colours, drawn as shoulders below the faces.
SHIRTS = ((60, 90, 140), (150, 50, 50), (70, 120, 80))
NECK = (190, 140, 115)
#: The seed of the noise in the noisy example.
NOISE_SEED = 0

#: (image stem, task, mode, painted strokes' stem or None): every task appears once, and the
#: astronaut once in the demo mode.
EXAMPLES = [
    ("astronaut-gray", "colorization", "as-is", None),
    ("group-scratched", "inpainting", "as-is", "group-scratches"),
    ("group-low-resolution", "super-resolution", "as-is", None),
    ("astronaut-noisy", "denoising", "as-is", None),
    ("group-posterized", "quantization", "as-is", None),
    ("astronaut", "quantization", "corrupt", None),
]
#: The scratches across the group photo: (start, end, width) of each line, in its pixels.
SCRATCHES = (((20, 150), (620, 230), 9), ((300, 60), (380, 200), 7))
#: The brush's colour (the app's), for the painted strokes.
STROKE = (255, 0, 255, 255)


def astronaut() -> Image.Image:
    """scikit-image's astronaut photo (public domain), read from the package's own data."""
    from skimage import data

    return Image.fromarray(data.astronaut())


def background(size: tuple[int, int]) -> Image.Image:
    """A wall with a window and a shelf: soft, with some structure, nothing face-like."""
    width, height = size
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    top, bottom = np.array([205, 195, 175]), np.array([120, 105, 90])
    wall = (top + (bottom - top) * ramp) * np.ones((1, width, 1))
    image = Image.fromarray(wall.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width * 0.62, height * 0.05, width * 0.95, height * 0.45), fill=(170, 200, 225))
    draw.rectangle((0, height * 0.82, width, height * 0.86), fill=(95, 70, 50))
    return image


def feathered_oval(side: int) -> Image.Image:
    """An oval mask a little inside a square, its edge blurred: a face with its hair, no corners."""
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).ellipse((side * 0.06, side * 0.02, side * 0.94, side * 0.98), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(side / 20))


def group_photo(pipe: RestorationPipeline) -> Image.Image:
    """The generator's faces for `FACE_SEEDS`, enlarged and placed off-centre on `background`."""
    photo = background(GROUP_SIZE)
    draw = ImageDraw.Draw(photo)
    for (left, top, side), shirt in zip(GROUP_PLACES, SHIRTS, strict=True):  # under the faces
        x, y = left + side / 2, top + side * 0.92
        draw.rectangle(
            (x - side * 0.13, y - side * 0.2, x + side * 0.13, y + side * 0.1), fill=NECK
        )
        draw.rounded_rectangle(
            (x - side * 0.55, y + side * 0.02, x + side * 0.55, y + side), side * 0.25, fill=shirt
        )
    for seed, (left, top, side) in zip(FACE_SEEDS, GROUP_PLACES, strict=True):
        face = pipe.generate(1, seed=seed)[0].resize((side, side), Image.Resampling.BICUBIC)
        photo.paste(face, (left, top), feathered_oval(side))
    return photo


def damaged(photo: Image.Image, task: str) -> Image.Image:
    """`photo` as the task's corruption leaves it, applied to the whole photo at its own size."""
    return corrupt_photo(photo, task, seed=NOISE_SEED)[0]


def scratches(size: tuple[int, int]) -> Image.Image:
    """The lines of `SCRATCHES` as a mask, white where the photo is scratched away."""
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for start, end, width in SCRATCHES:
        draw.line([start, end], fill=255, width=width)
    return mask


def example_images(pipe: RestorationPipeline) -> dict[str, Image.Image]:
    """All examples by file stem (the stems of `EXAMPLES`): photos, and the strokes a person
    would paint over the scratches (a transparent layer, as the app's editor makes)."""
    portrait, group = astronaut(), group_photo(pipe)
    scratched, missing = group.copy(), scratches(group.size)
    scratched.paste((0, 0, 0), mask=missing)
    strokes = Image.new("RGBA", group.size, (0, 0, 0, 0))
    strokes.paste(STROKE, mask=missing)
    return {
        "astronaut": portrait,
        "astronaut-gray": damaged(portrait, "colorization"),
        "astronaut-noisy": damaged(portrait, "denoising"),
        "group": group,
        "group-low-resolution": damaged(group, "super-resolution"),
        "group-posterized": damaged(group, "quantization"),
        "group-scratched": scratched,
        "group-scratches": strokes,
    }


def write_examples(pipe: RestorationPipeline, folder: str | Path) -> dict[str, Path]:
    """Save the examples as PNG files in `folder` (created if needed); returns stem -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for stem, image in example_images(pipe).items():
        paths[stem] = folder / f"{stem}.png"
        image.save(paths[stem])
    return paths
