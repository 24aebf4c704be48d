"""Example images for the demo, made at start-up so the app needs no download and ships no data.

Two kinds, both free of CelebA files:
- faces sampled from the shipped generator with fixed seeds: they are the faces the prior knows
  best, so they show what the method can do at its best;
- images drawn here with PIL (a cartoon face, a few shapes): inputs the generator has never seen,
  so they show honestly what a face prior does to anything else.

`write_examples(pipe, folder)` saves them as PNG (Gradio examples are files); the app calls it at
start-up, into a temporary folder, so the repository holds no example image. Run
`python -m demo.export_examples OUT_DIR [MODEL]` to look at them or export them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ganmap import RestorationPipeline

#: Seeds of the faces sampled with `pipe.generate` as examples (any fixed seeds would do).
FACE_SEEDS: tuple[int, ...] = (3, 7, 11)
#: Side of the drawn images: larger than 64 so the app's crop-and-resize path is exercised.
DRAWN_SIZE = 256


def drawn_face(size: int = DRAWN_SIZE) -> Image.Image:
    """A cartoon face, framed like an aligned face crop: centred, eyes a little above the middle."""
    image = Image.new("RGB", (size, size), (70, 110, 160))
    draw = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (round(x0 * size), round(y0 * size), round(x1 * size), round(y1 * size))

    draw.ellipse(box(0.16, 0.02, 0.84, 0.62), fill=(60, 40, 25))  # hair
    draw.rectangle(box(0.30, 0.75, 0.70, 1.00), fill=(225, 180, 150))  # neck
    draw.ellipse(box(0.22, 0.14, 0.78, 0.90), fill=(235, 190, 160))  # face
    for x in (0.32, 0.56):
        draw.ellipse(box(x, 0.40, x + 0.12, 0.47), fill=(255, 255, 255))  # eyes
        draw.ellipse(box(x + 0.035, 0.41, x + 0.085, 0.46), fill=(50, 35, 25))
        draw.line(box(x - 0.01, 0.36, x + 0.13, 0.35), fill=(60, 40, 25), width=size // 60)
    draw.polygon(
        [box(0.50, 0.48, 0, 0)[:2], box(0.46, 0.62, 0, 0)[:2], box(0.54, 0.62, 0, 0)[:2]],
        fill=(215, 160, 130),
    )  # nose
    draw.chord(box(0.38, 0.62, 0.62, 0.76), 0, 180, fill=(170, 60, 70))  # mouth
    return image


def drawn_shapes(size: int = DRAWN_SIZE) -> Image.Image:
    """Flat coloured shapes on a gradient: sharp edges and saturated colours, nothing face-like."""
    ramp = np.linspace(0, 255, size, dtype=np.float32)
    background = np.stack(
        [np.tile(ramp, (size, 1)), np.tile(ramp[:, None], (1, size)), np.full((size, size), 128.0)],
        axis=-1,
    )
    image = Image.fromarray(background.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    s = size
    draw.ellipse((s * 0.10, s * 0.10, s * 0.50, s * 0.50), fill=(230, 40, 40))
    draw.rectangle((s * 0.55, s * 0.15, s * 0.90, s * 0.45), fill=(40, 200, 60))
    triangle = [(s * 0.5, s * 0.55), (s * 0.15, s * 0.92), (s * 0.85, s * 0.92)]
    draw.polygon(triangle, fill=(250, 220, 30))
    return image


def example_images(pipe: RestorationPipeline) -> dict[str, Image.Image]:
    """All examples by file stem: generated faces first, then the drawn images."""
    images = {f"generated-face-seed{seed}": pipe.generate(1, seed=seed)[0] for seed in FACE_SEEDS}
    images["drawn-face"] = drawn_face()
    images["drawn-shapes"] = drawn_shapes()
    return images


def write_examples(pipe: RestorationPipeline, folder: str | Path) -> dict[str, Path]:
    """Save the examples as PNG files in `folder` (created if needed); returns stem -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for stem, image in example_images(pipe).items():
        paths[stem] = folder / f"{stem}.png"
        image.save(paths[stem])
    return paths
