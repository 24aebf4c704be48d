"""Finding faces in a photo: boxes and 5-point landmarks from dlib, on clean or corrupted photos.

The detector is dlib's HOG face detector (built into `dlib-bin`), the landmarks are dlib's 5-point
shape predictor; dlib's CNN ("mmod") detector, which also finds turned and tilted faces but costs
about 10 s per megapixel, runs where HOG finds nothing (or always, with `cnn=True`). Both models
ship, under CC0, in `face_recognition_models`; nothing is downloaded. HOG sees faces from about
80 px across, so photos are first enlarged until the smallest face worth restoring (`MIN_FACE` px)
reaches that size, within a pixel budget that keeps detection well under a second (the CNN gets
a smaller budget). Corrupted photos are best shown to the detector restored classically
(`restore_photo` passes the holes filled, the noise blurred, the low-resolution photo upsampled);
missing pixels given here are filled by a smooth (biharmonic) interpolation. Gray photos need
nothing: HOG works on gradients.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

MIN_FACE = 10  # px across in the photo: the smallest face the detector is asked to find
HOG_FACE = 80  # px across: the smallest face dlib's HOG detector finds at its own scale
MAX_DETECT_PIXELS = 4_000_000  # the enlarged photo's budget (HOG: about 0.5 s on one core)
HOG_THRESHOLD = 0.3  # score above which a HOG detection counts (dlib's default 0 lets false
# faces through on enlarged photos: 0.04-0.25 measured on patterned clothes, 0.5-2.6 on faces)
MAX_CNN_PIXELS = 100_000  # the CNN's budget (about 1 s on one core)
CNN_DETECTOR = "mmod_human_face_detector.dat"
LANDMARKS = "shape_predictor_5_face_landmarks.dat"


@dataclass(frozen=True)
class Face:
    """A face found in a photo, in that photo's pixel coordinates (pixel centres at integers).

    Attributes:
        box: the detector's box (x0, y0, x1, y1).
        landmarks: (5, 2) x, y: dlib's 5 points (two corners of each eye, the base of the nose).
    """

    box: tuple[float, float, float, float]
    landmarks: np.ndarray


def _models_folder() -> Path:
    # face_recognition_models' __init__ imports pkg_resources, which recent setuptools lacks:
    # find its data files without importing it.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise OSError(
            "the face landmark model is missing: install face_recognition_models "
            "(pip install face_recognition_models)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@functools.cache
def _dlib_models():
    try:
        import dlib
    except ImportError as error:
        raise OSError("face detection needs dlib: pip install dlib-bin") from error
    paths = [_models_folder() / name for name in (CNN_DETECTOR, LANDMARKS)]
    for path in paths:
        if not path.is_file():
            raise OSError(f"{path} is missing: reinstall face_recognition_models")
    cnn, landmarks = (str(path) for path in paths)
    hog = dlib.get_frontal_face_detector()
    return hog, dlib.cnn_face_detection_model_v1(cnn), dlib.shape_predictor(landmarks)


#: Holes up to this many pixels are filled biharmonically, larger ones by push-pull: scikit-image's
#: biharmonic fill solves one sparse system per hole, 0.3 s for 10,000 missing pixels and 1.4 s
#: for 90,000 in a 1024 x 1024 photo, and grows faster than the hole.
MAX_BIHARMONIC_PIXELS = 200_000


def fill_missing(image: torch.Tensor, missing: torch.Tensor) -> torch.Tensor:
    """`image` (C, H, W) with the pixels where `missing` (H, W) is True filled smoothly from
    around them, so that a hole neither reads as an edge to a detector nor leaves a flat patch
    under a restoration. The biharmonic fill (the smoothest surface through the pixels around
    the hole) continues a face's shading into it: with holes over the faces of the photo set,
    the detector found 98% of the faces in it against 76% in a push-pull fill, and the holes of
    the faces it still misses score as biharmonic inpainting does. Holes too large for it get
    the push-pull fill (averages over ever coarser grids, interpolated back)."""
    known = (~missing.bool()).to(image.dtype)[None]
    if not known.any():
        raise ValueError("every pixel is marked missing: nothing is observed to fill from")
    if missing.sum() > MAX_BIHARMONIC_PIXELS:
        return _push_pull(image * known, known)
    from skimage.restoration import inpaint_biharmonic

    pixels = image.permute(1, 2, 0).double().numpy()
    filled = inpaint_biharmonic(pixels, missing.bool().numpy(), channel_axis=-1)
    return torch.from_numpy(filled).permute(2, 0, 1).to(image.dtype).clamp(0, 1)


def _push_pull(weighted: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Fill by recursion: `weighted` is the image times its confidence `weight` in [0, 1]."""
    if bool((weight > 0.999).all()) or min(weight.shape[-2:]) <= 1:
        return weighted / weight.clamp_min(1e-8)
    pool = functools.partial(F.avg_pool2d, kernel_size=2, ceil_mode=True)
    coarse = _push_pull(pool(weighted[None])[0], pool(weight[None])[0])
    up = F.interpolate(coarse[None], size=weight.shape[-2:], mode="bilinear")[0]
    return weighted + (1 - weight) * up


def detection_scale(height: int, width: int, min_face: float, budget: int) -> float:
    """How much a photo is enlarged before detection: enough for faces of `min_face` px to reach
    HOG_FACE px, at most `budget` pixels in all, never shrunk."""
    return max(1.0, min(HOG_FACE / min_face, (budget / (height * width)) ** 0.5))


def detect_faces(
    image: torch.Tensor,
    missing: torch.Tensor | None = None,
    *,
    min_face: float = MIN_FACE,
    cnn: bool | None = None,
) -> list[Face]:
    """Every face found in `image` (C, H, W) in [0, 1], in reading order. `missing` (H, W), True
    where pixels are unknown, is filled first. Faces smaller than `min_face` px across may be
    missed; a larger value detects faster. `cnn`: also run the CNN detector (None: only where
    HOG finds no face)."""
    if missing is not None and missing.any():
        image = fill_missing(image, missing)
    hog, mmod, predictor = _dlib_models()
    pixels = (image.expand(3, -1, -1).clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    height, width = pixels.shape[:2]
    scale = detection_scale(height, width, min_face, MAX_DETECT_PIXELS)
    faces = _find(lambda image: hog.run(image, 0, HOG_THRESHOLD)[0], predictor, pixels, scale)
    if cnn or (cnn is None and not faces):
        scale = detection_scale(height, width, min_face, MAX_CNN_PIXELS)
        more = _find(lambda image: [d.rect for d in mmod(image, 0)], predictor, pixels, scale)
        faces += [face for face in more if not any(_inside(face, other) for other in faces)]
    return reading_order(faces)


def reading_order(faces: list[Face]) -> list[Face]:
    """Rows from top to bottom (a face joins a row when its centre is within half the row's
    first face's height of it), each row from left to right."""
    rows: list[list[Face]] = []
    for face in sorted(faces, key=lambda f: f.box[1] + f.box[3]):
        first = rows[-1][0] if rows else None
        if first and abs(face.box[1] + face.box[3] - first.box[1] - first.box[3]) < (
            first.box[3] - first.box[1]
        ):
            rows[-1].append(face)
        else:
            rows.append([face])
    return [face for row in rows for face in sorted(row, key=lambda f: f.box[0])]


def detect_around_holes(
    image: torch.Tensor, missing: torch.Tensor, found: list[Face]
) -> list[Face]:
    """Faces found by looking closer around each hole (connected region of `missing`) that no
    face of `found` covers: a hole over a face hides what HOG keys on, but a crop three times the
    hole's size, enlarged, shows the CNN the face around it. `image` should be filled already."""
    from scipy.ndimage import find_objects, label

    _, height, width = image.shape
    more: list[Face] = []
    for rows, cols in find_objects(label(missing.numpy())[0]):
        side = max(rows.stop - rows.start, cols.stop - cols.start)
        cx, cy = (cols.start + cols.stop - 1) / 2, (rows.start + rows.stop - 1) / 2
        if side < MIN_FACE / 2 or any(_covers(face, cx, cy) for face in [*found, *more]):
            continue
        x0, y0 = max(0, round(cx - 1.5 * side)), max(0, round(cy - 1.5 * side))
        x1, y1 = min(width, round(cx + 1.5 * side) + 1), min(height, round(cy + 1.5 * side) + 1)
        for face in detect_faces(image[:, y0:y1, x0:x1], min_face=side, cnn=True):
            box = (face.box[0] + x0, face.box[1] + y0, face.box[2] + x0, face.box[3] + y0)
            more.append(Face(box=box, landmarks=face.landmarks + (x0, y0)))
    return more


def _find(detector, predictor, pixels: np.ndarray, scale: float) -> list[Face]:
    """Faces found by `detector` in `pixels` (H, W, 3 uint8) enlarged `scale` times."""
    height, width = pixels.shape[:2]
    size = (round(width * scale), round(height * scale))
    enlarged = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BICUBIC))
    factor = np.array([size[0] / width, size[1] / height])

    def to_photo(points) -> np.ndarray:  # pixel centres stay centres
        return (np.asarray(points, dtype=np.float64) + 0.5) / factor - 0.5

    faces = []
    for rect in detector(enlarged):
        landmarks = to_photo([(p.x, p.y) for p in predictor(enlarged, rect).parts()])
        corners = to_photo([(rect.left(), rect.top()), (rect.right(), rect.bottom())])
        faces.append(Face(box=tuple(corners.ravel().tolist()), landmarks=landmarks))
    return faces


def _covers(face: Face, x: float, y: float) -> bool:
    return face.box[0] <= x <= face.box[2] and face.box[1] <= y <= face.box[3]


def _inside(face: Face, other: Face) -> bool:
    """Whether `face`'s box centre lies in `other`'s box: the same face found twice."""
    return _covers(other, (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2)
