"""Finding faces in a photo: boxes and 5-point landmarks, on clean or corrupted photos.

`detect_faces(image, missing)` gives every face found in an image (C, H, W) in [0, 1], in reading
order, each a `Face`: the detector's box and dlib's 5 landmarks, in the image's pixels. `missing`
marks the pixels that the image holds filled (`fill_missing`). `detect_faces_any_way_up` also
tries the photo turned a quarter turn each way. Faces from `MIN_FACE` px across are looked for.

What looks is `Detectors`: by default dlib's HOG and CNN ("mmod") detectors with its 5-point
landmarks (`face_recognition_models`, CC0) and facenet-pytorch's MTCNN (MIT), all shipped in
their wheels and loaded on first use. How far each is believed, and what each may cost, is
`DetectionConfig`. Both can be passed in (tests pass scripted detectors).

Why three detectors: HOG is fast but misses turned, covered and small noisy faces, scoring many
of them low among false faces; so its unsure detections are kept only where the CNN (about 10 s
per megapixel, so shown crops) sees the same face, and MTCNN finds most of what both miss. A hole
over a face's eyes and nose reads as no face, so around each hole that no face found covers, the
CNN looks again with the mean training face shown in the hole. The measurements behind each
threshold are in docs/experiments/detection.md.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganmap.base.images import IMAGE_SIZE
from ganmap.photo.alignment import FaceFrame, add_from_frame, mean_face

MIN_FACE = 10  # px across in the photo: the smallest face the detector is asked to find
HOLE_SIDE = IMAGE_SIZE / 2  # aligned px: the side of the paper's hole, the frame's centre square
CNN_DETECTOR = "mmod_human_face_detector.dat"
LANDMARKS = "shape_predictor_5_face_landmarks.dat"


Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in a photo's pixels
Window = tuple[int, int, int, int]  # (x0, y0, x1, y1): the pixels [y0:y1, x0:x1] looked at


@dataclass(frozen=True)
class DetectionConfig:
    """How far detection believes each detector, and what it lets each one cost. Scores are
    dlib's (HOG: its SVM's margin, the CNN: its confidence), probabilities MTCNN's. Measured on
    the photo sets of seeds 0-2 (docs/experiments/detection.md)."""

    #: px across: the smallest face dlib's HOG detector finds at its own scale
    hog_face: float = 80
    #: HOG's budget for the enlarged photo: about 0.5 s on one core
    max_detect_pixels: int = 4_000_000
    #: HOG's score under which a detection is weak: false faces on clothes score 0.04-0.25
    hog_threshold: float = 0.3
    #: HOG's score from which a face is kept unchecked: posterized false faces reach 0.93
    hog_sure: float = 1.0
    #: HOG's score from which the CNN checks a detection (-1.0: 2.5x the checks, +1% faces)
    hog_proposal: float = -0.8
    #: a hole this share of a weak face's width, at its middle, explains its low score unchecked
    hole_share: tuple[float, float] = (0.35, 1.0)
    #: the CNN's budget on a whole photo (about 1 s); larger photos are shrunk to it
    max_cnn_pixels: int = 100_000
    #: px across: how large a crop's face is shown to the CNN (and to the landmarks)
    cnn_face: float = 100
    #: px across: holes from this size can hide a face's features (half of MIN_FACE)
    min_hiding_hole: float = MIN_FACE / 2
    #: of its bounding square a hole must cover to hide a face: a turned square 0.5, a disc 0.79
    solid_share: float = 0.3
    #: the share of the pixels around a hole that may be missing too (random masks: far more)
    max_missing_around: float = 0.15
    #: a hole's frame is a face's own within these scales and aligned px (measured: 0.76-1.18, 7.1)
    hole_fit: tuple[float, float, float] = (0.7, 1.4, 10)
    #: the CNN's confidence a face shown around a hole needs: faces 0.68-1.1, bare holes up to 0.6
    hint_score: float = 0.65
    #: MTCNN's probability from which a face dlib missed is kept unchecked (0.9: 3 false faces more)
    mtcnn_sure: float = 0.95
    #: MTCNN's probability from which a face is checked by the CNN (false faces score from 0.71)
    mtcnn_checked: float = 0.85
    #: the ratio between MTCNN's scales: at its default 0.709, faces fall between them
    mtcnn_step: float = 0.8
    #: px across: the smallest face MTCNN finds at its own scale
    mtcnn_face: float = 12
    #: MTCNN's finest scale's budget: larger photos are searched for larger faces only (0.5 s)
    max_mtcnn_pixels: int = 500_000
    #: dlib's square box from MTCNN's: centre shift (x, y) and side in its widths (127 faces' mean)
    mtcnn_box: tuple[float, float, float] = (-0.024, 0.034, 1.10)
    #: quarter turns tried where no face is found upright: the detectors see up to about 45 degrees
    sideways: tuple[int, ...] = (1, 3)


@dataclass(frozen=True)
class Face:
    """A face found in a photo, in that photo's pixel coordinates (pixel centres at integers).

    Attributes:
        box: the detector's box (x0, y0, x1, y1).
        landmarks: (5, 2) x, y: dlib's 5 points (two corners of each eye, the base of the nose).
    """

    box: Box
    landmarks: np.ndarray


@dataclass(frozen=True)
class Detectors:
    """The face models that detection asks, as plain functions of a photo's pixels ((H, W, 3)
    uint8). Each looks only at the `window` of the pixels it is given, shown `scale` times
    enlarged (below 1: shrunk), and answers in the pixels' own coordinates; `detect_faces`
    decides what to believe. `Detectors.default()`: dlib's and MTCNN, loaded on first use.

    Attributes:
        hog: (pixels, window, scale, threshold) -> [(face, score)]: dlib's HOG detector, each face
            scoring above `threshold`, with its landmarks.
        cnn: (pixels, window, scale) -> [(face, confidence)]: dlib's CNN detector, each face with
            its landmarks.
        mtcnn: (pixels, window, min_face, step) -> [(box, probability)]: MTCNN's own boxes, looking
            for faces from `min_face` px across (at the window's size) at scales `step` apart.
        landmarks: (pixels, window, scale, box) -> (5, 2): dlib's 5 points of the face in `box`.
    """

    hog: Callable[[np.ndarray, Window, float, float], Iterable[tuple[Face, float]]]
    cnn: Callable[[np.ndarray, Window, float], Iterable[tuple[Face, float]]]
    mtcnn: Callable[[np.ndarray, Window, int, float], Iterable[tuple[Box, float]]]
    landmarks: Callable[[np.ndarray, Window, float, Box], np.ndarray]

    @classmethod
    def default(cls) -> Detectors:
        """dlib's HOG and CNN detectors and 5-point landmarks, and facenet-pytorch's MTCNN: the
        models load on first use (OSError, saying what to install, where one is missing)."""
        return cls(hog=_dlib_hog, cnn=_dlib_cnn, mtcnn=_facenet_mtcnn, landmarks=_dlib_landmarks)


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


@functools.lru_cache(maxsize=8)  # one per smallest face size: few, but large photos vary it
def _mtcnn(min_face: int, step: float):
    try:
        from facenet_pytorch import MTCNN
    except ImportError as error:
        raise OSError("face detection needs MTCNN: pip install facenet-pytorch==2.5.3") from error
    return MTCNN(min_face_size=min_face, factor=step, keep_all=True, device="cpu")


def _dlib_hog(
    pixels: np.ndarray, window: Window, scale: float, threshold: float
) -> list[tuple[Face, float]]:
    hog, _, predictor = _dlib_models()

    def detector(image: np.ndarray):
        rects, scores, _ = hog.run(image, 0, threshold)
        return zip(rects, scores, strict=True)

    return _find(detector, predictor, pixels, window, scale)


def _dlib_cnn(pixels: np.ndarray, window: Window, scale: float) -> list[tuple[Face, float]]:
    _, mmod, predictor = _dlib_models()

    def detector(image: np.ndarray):
        return [(found.rect, found.confidence) for found in mmod(image, 0)]

    return _find(detector, predictor, pixels, window, scale)


def _facenet_mtcnn(
    pixels: np.ndarray, window: Window, min_face: int, step: float
) -> list[tuple[Box, float]]:
    crop, (x0, y0) = _cut(pixels, window)
    boxes, probabilities = _mtcnn(min_face, step).detect(crop)
    if boxes is None:
        return []
    return [
        ((left + x0, top + y0, right + x0, bottom + y0), probability)
        for (left, top, right, bottom), probability in zip(boxes, probabilities, strict=True)
    ]


def _dlib_landmarks(pixels: np.ndarray, window: Window, scale: float, box: Box) -> np.ndarray:
    import dlib

    predictor = _dlib_models()[2]
    crop, offset = _cut(pixels, window)
    enlarged, factor = _enlarge(crop, scale)
    corners = np.round((np.reshape(box, (2, 2)) - offset + 0.5) * factor - 0.5).astype(int)
    parts = predictor(enlarged, dlib.rectangle(*corners.ravel().tolist())).parts()
    return _shrunk([(p.x, p.y) for p in parts], factor) + offset


def _find(
    detector, predictor, pixels: np.ndarray, window: Window, scale: float
) -> list[tuple[Face, float]]:
    """(face, score) for each face that `detector` (enlarged image -> [(rect, score)]) finds in
    the `window` of `pixels` (H, W, 3 uint8) enlarged `scale` times, in the pixels' coordinates."""
    crop, (x0, y0) = _cut(pixels, window)
    enlarged, factor = _enlarge(crop, scale)
    faces = []
    for rect, score in detector(enlarged):
        landmarks = _shrunk([(p.x, p.y) for p in predictor(enlarged, rect).parts()], factor)
        corners = _shrunk([(rect.left(), rect.top()), (rect.right(), rect.bottom())], factor)
        left, top, right, bottom = corners.ravel().tolist()
        box = (left + x0, top + y0, right + x0, bottom + y0)
        faces.append((Face(box=box, landmarks=landmarks + (x0, y0)), score))
    return faces


def detection_scale(
    height: int,
    width: int,
    min_face: float,
    budget: int,
    *,
    shrink: bool = False,
    config: DetectionConfig | None = None,
) -> float:
    """How much a photo is enlarged before detection: enough for faces of `min_face` px to reach
    the `hog_face` px HOG needs, at most `budget` pixels in all. Never shrunk, unless `shrink`:
    the CNN, at about 10 s per megapixel, sees a photo over its budget shrunk to it, so that only
    its large faces are found (from about 65 px across in the shrunk photo) but in bounded time."""
    config = config or DetectionConfig()
    scale = min(config.hog_face / min_face, (budget / (height * width)) ** 0.5)
    return scale if shrink else max(1.0, scale)


def detect_faces(
    image: torch.Tensor,
    missing: torch.Tensor | None = None,
    *,
    min_face: float = MIN_FACE,
    cnn: bool | None = None,
    detectors: Detectors | None = None,
    config: DetectionConfig | None = None,
) -> list[Face]:
    """Every face found in `image` (C, H, W) in [0, 1], in reading order. Faces smaller than
    `min_face` px across may be missed; a larger value detects faster. HOG's faces (those short
    of `hog_sure` checked by the CNN, unless MTCNN is sure of the same face), then MTCNN's sure
    ones where none was found, then its likely ones (`mtcnn_checked`) that the CNN confirms.
    `cnn`: also run the CNN detector on the whole photo (None: only where no other finds a face).
    `detectors`, `config`: the models asked and how far they are believed (None: the defaults,
    `Detectors.default()` and `DetectionConfig()`).

    `missing` (H, W), True where pixels are unknown, which `image` holds filled (`fill_missing`):
    a hole over a face hides what HOG keys on, so the CNN looks closer around each hole that no
    face found covers, at a crop three times the hole's size, the hole showing the mean face
    (`with_mean_faces`); a face it finds there is kept where it is confident (`hint_score`) and
    HOG or MTCNN finds it too. The weak HOG detections near a hole (parts of the face around it,
    edges of the fill) are left to that closer look rather than checked one by one. A weak
    detection whose box holds a hole of a face's hole's size (`hole_share`) is kept unchecked:
    the hole explains its low score. A face over its own hole has its landmarks predicted with
    the mean face shown there."""
    looks = _Looks(detectors or Detectors.default(), config or DetectionConfig())
    config = looks.config
    pixels = _to_pixels(image)
    height, width = pixels.shape[:2]
    whole = (0, 0, width, height)
    holes = (
        [hole for hole in _holes(missing, config) if hole.can_hide_a_face]
        if missing is not None
        else []
    )
    scale = detection_scale(height, width, min_face, config.max_detect_pixels, config=config)
    faces: list[Face] = []
    proposed = looks.mtcnn_boxes(pixels, whole, min_face)
    sure = [box for box, probability in proposed if probability >= config.mtcnn_sure]
    found = looks.detectors.hog(pixels, whole, scale, config.hog_proposal)
    for face, score in sorted(found, key=lambda found: -found[1]):
        if not _unseen(face.box, faces):
            continue
        x0, y0, x1, y1 = face.box
        if score < config.hog_threshold and any(
            _near(face, h.centre, 1.5 * h.side) and x1 - x0 < h.side for h in holes
        ):
            continue  # weak and smaller than a hole beside it: a part of the face around the hole
        if score < config.hog_sure and any(_same(face.box, box) for box in sure):
            continue  # MTCNN's face, added below: its box places dlib's landmarks better
        if score < config.hog_sure and not any(
            _holds(face, h.centre, h.side, config) for h in holes
        ):
            face = looks.checked(pixels, face.box)
        if face is not None and _unseen(face.box, faces):
            faces.append(face)
    for box in sure:
        if _unseen(box, faces):
            faces.append(Face(box=box, landmarks=looks.landmarks(pixels, box)))
    for box, probability in proposed:
        if probability < config.mtcnn_sure and _unseen(box, faces):
            checked = looks.checked(pixels, box)
            if checked is not None:
                faces.append(checked)
    if cnn or (cnn is None and not faces):
        scale = detection_scale(
            height, width, min_face, config.max_cnn_pixels, shrink=True, config=config
        )
        more = [face for face, _ in looks.detectors.cnn(pixels, whole, scale)]
        faces += [f for f in more if _unseen(f.box, faces)]
    unexplained = [hole for hole in holes if not any(_covers(f.box, *hole.centre) for f in faces)]
    if unexplained:
        hinted = _to_pixels(with_mean_faces(image, unexplained))
        for hole in unexplained:
            around = looks.around(
                hinted,
                hole.centre,
                1.5 * hole.side,
                hole.side,
                min_score=config.hint_score,
                confirmed=True,
            )
            faces += [f for f in around if _unseen(f.box, faces)]
    return reading_order(looks.landmarks_behind_holes(image, faces, holes))


def detect_faces_any_way_up(
    image: torch.Tensor,
    missing: torch.Tensor | None = None,
    *,
    min_face: float = MIN_FACE,
    detectors: Detectors | None = None,
    config: DetectionConfig | None = None,
) -> list[Face]:
    """`detect_faces`, and where it finds no face, the same on the photo turned a quarter turn
    each way (`sideways`), the faces found given in the photo's own pixels: a photo saved
    sideways without its EXIF orientation (a screenshot, a scan) would otherwise have none. A
    face's aligned frame follows its landmarks, so a face lying sideways is restored as any other.
    """
    config = config or DetectionConfig()
    search = dict(min_face=min_face, detectors=detectors, config=config)
    faces = detect_faces(image, missing, **search)
    if faces:
        return faces
    height, width = image.shape[1:]
    for turns in config.sideways:
        turned_missing = None if missing is None else torch.rot90(missing, turns)
        turned = detect_faces(torch.rot90(image, turns, (1, 2)), turned_missing, **search)
        if turned:
            return reading_order([_turned_back(face, turns, height, width) for face in turned])
    return []


def _turned_back(face: Face, turns: int, height: int, width: int) -> Face:
    """`face`, found in a photo of height x width turned `turns` quarter turns counterclockwise
    (`torch.rot90`), in the photo's own pixels: each turn undone in turn, from the last."""
    points = np.vstack([np.reshape(face.box, (2, 2)), face.landmarks])
    for done in range(turns, 0, -1):  # the photo turned done - 1 times was this wide
        side = width if (done - 1) % 2 == 0 else height
        points = np.stack([side - 1 - points[:, 1], points[:, 0]], 1)
    corners, landmarks = points[:2], points[2:]
    box = (*corners.min(0), *corners.max(0))
    return Face(box=tuple(float(v) for v in box), landmarks=landmarks)


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


@dataclass(frozen=True)
class Hole:
    """A connected region of missing pixels: `centre` (x, y) and `side` of its bounding square,
    its pixels (`rows`, `cols`), `frame`, the aligned face frame that it is the hole of, and
    whether it `can_hide_a_face`: whether it can hide what a detector keys on while the face
    around it shows, as `detect_faces` judges it. Thin strokes and scattered missing pixels hide
    no face: filled, the face shows through them."""

    centre: tuple[float, float]
    side: int
    rows: np.ndarray
    cols: np.ndarray
    frame: FaceFrame
    missing_around: float  # the share of the pixels around it (within side / 2) that are missing
    can_hide_a_face: bool


def _holes(missing: torch.Tensor, config: DetectionConfig) -> list[Hole]:
    """The connected regions of `missing` (H, W), True where pixels are missing. One can hide a
    face where it is a square or a blob from `min_hiding_hole` px across (`solid_share` of its
    bounding square), with little else missing around it (`max_missing_around`): a closer look
    around each of the hundreds of clusters of a random-pixel mask took minutes."""
    from scipy.ndimage import find_objects, label

    pixels = missing.numpy()
    height, width = pixels.shape
    labels, _ = label(pixels)
    holes = []
    for index, (rows, cols) in enumerate(find_objects(labels), start=1):
        ys, xs = np.nonzero(labels[rows, cols] == index)
        side = max(rows.stop - rows.start, cols.stop - cols.start)
        centre = ((cols.start + cols.stop - 1) / 2, (rows.start + rows.stop - 1) / 2)
        ys, xs = ys + rows.start, xs + cols.start
        # the hole's square and side / 2 px around it
        around = _cut(pixels, _around(centre, side, height, width))[0]
        others = (around.sum() - len(xs)) / max(around.size - len(xs), 1)
        hides = (
            side >= config.min_hiding_hole
            and len(ys) >= config.solid_share * side**2
            and others <= config.max_missing_around
        )
        holes.append(Hole(centre, side, ys, xs, hole_frame(xs, ys), float(others), bool(hides)))
    return holes


def hole_frame(xs: np.ndarray, ys: np.ndarray) -> FaceFrame:
    """The aligned frame whose centre 32 x 32 square (the paper's hole) covers the pixels at
    `xs`, `ys`: its scale from their area, its turn from their four-fold symmetry (the pixels'
    offsets from their mean, as complex numbers to the fourth power, sum to a negative number
    for an upright square and turn four times as fast as the square does)."""
    x, y = xs.mean(), ys.mean()
    offsets = (xs - x) + 1j * (ys - y)
    turn = (np.angle((offsets**4).sum()) - np.pi) / 4
    turn = (turn + np.pi / 4) % (np.pi / 2) - np.pi / 4  # the square's turn nearest upright
    scale = np.sqrt(len(xs)) / HOLE_SIDE
    matrix = scale * np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    centre = (IMAGE_SIZE - 1) / 2
    return FaceFrame(np.hstack([matrix, (np.array([x, y]) - matrix.sum(1) * centre)[:, None]]))


def _fits(frame: FaceFrame, hole: Hole, config: DetectionConfig) -> bool:
    """Whether `hole` is the paper's hole of the face whose aligned frame is `frame` (the centre
    of that frame): the hole's frame and the face's agree in scale and centre, as far as
    `hole_fit` says."""
    middle = np.array([[(IMAGE_SIZE - 1) / 2] * 2])
    shift = np.linalg.norm(hole.frame.to_photo(middle) - frame.to_photo(middle))  # photo px
    low, high, most = (share * frame.scale for share in config.hole_fit)
    return low <= hole.frame.scale <= high and shift <= most


def with_mean_faces(image: torch.Tensor, holes: list[Hole]) -> torch.Tensor:
    """`image` (C, H, W), filled, with each hole showing the mean face (`mean_face`) as its frame
    places it, shifted to the fill's mean colour there: eyes, a nose and a mouth where a face
    around the hole would have them, so that the detector judges the hair, outline and skin
    around a hole by what it would hold."""
    shown = image.expand(3, -1, -1).clone()
    for hole in holes:
        face = add_from_frame(torch.zeros_like(shown), mean_face(), hole.frame)
        inside = face[:, hole.rows, hole.cols]
        colour = shown[:, hole.rows, hole.cols].mean(1) - inside.mean(1)
        shown[:, hole.rows, hole.cols] = (inside + colour[:, None]).clamp(0, 1)
    return shown


@dataclass(frozen=True)
class _Looks:
    """The looks that detection takes with `detectors`, as far as `config` says."""

    detectors: Detectors
    config: DetectionConfig

    def mtcnn_boxes(
        self, pixels: np.ndarray, window: Window, min_face: float
    ) -> list[tuple[Box, float]]:
        """(box, probability) for the faces MTCNN finds in `window` of `pixels` with a
        probability of `mtcnn_checked` or more, each box as dlib would have given it
        (`mtcnn_box`). Its landmarks (eye centres, nose tip, mouth corners) are not the
        template's; dlib's, predicted in that box, land as close to where they belong as in
        dlib's own boxes. Its cost grows with the pixels of its finest scale, bounded by
        `max_mtcnn_pixels`."""
        config = self.config
        x0, y0, x1, y1 = window
        least = config.mtcnn_face * math.sqrt((y1 - y0) * (x1 - x0) / config.max_mtcnn_pixels)
        smallest = max(1, round(max(min_face, least)))
        shift_x, shift_y, side = config.mtcnn_box
        found = []
        for (left, top, right, bottom), probability in self.detectors.mtcnn(
            pixels, window, smallest, config.mtcnn_step
        ):
            if probability >= config.mtcnn_checked:
                across = right - left
                x, y = (left + right) / 2 + shift_x * across, (top + bottom) / 2 + shift_y * across
                half = side * across / 2
                box = tuple(float(v) for v in (x - half, y - half, x + half, y + half))
                found.append((box, float(probability)))
        return found

    def around(
        self,
        pixels: np.ndarray,
        centre: tuple[float, float],
        reach: float,
        face: float | None = None,
        *,
        min_score: float = 0.0,
        confirmed: bool = False,
    ) -> list[Face]:
        """Faces the CNN finds within `reach` px of `centre` (x, y) in `pixels`, the crop resized
        so that a face `face` px across (default: `reach`) is `cnn_face` px: enlarged for a small
        face, shrunk for a large one, which the CNN would take seconds over at full size (a crop
        around a 600 px face: 1.8 s, against 0.3 s shrunk). Only faces with a confidence of
        `min_score` or more (dlib's threshold: 0), and with `confirmed`, that HOG (at
        `hog_proposal` or more) or MTCNN (at `mtcnn_checked` or more) finds in the crop too."""
        height, width = pixels.shape[:2]
        window = _around(centre, reach, height, width)
        scale = self.config.cnn_face / (face or reach)
        found = [f for f, score in self.detectors.cnn(pixels, window, scale) if score >= min_score]
        if confirmed and found:
            hog = self.detectors.hog(pixels, window, scale, self.config.hog_proposal)
            seen = [f.box for f, _ in hog]

            def agreed(candidate: Face) -> bool:
                return any(_same(candidate.box, other) for other in seen)

            if not all(map(agreed, found)):  # MTCNN, 30 ms, only for what HOG leaves unconfirmed
                seen += [box for box, _ in self.mtcnn_boxes(pixels, window, face or reach)]
            found = list(filter(agreed, found))
        return found

    def checked(self, pixels: np.ndarray, box: Box) -> Face | None:
        """The face that the CNN finds on `box` in a crop around it, or None: the check of a
        weak detection."""
        x0, y0, x1, y1 = box
        seen = self.around(pixels, ((x0 + x1) / 2, (y0 + y1) / 2), max(x1 - x0, y1 - y0))
        return next((other for other in seen if _same(other.box, box)), None)

    def landmarks(self, pixels: np.ndarray, box: Box) -> np.ndarray:
        """dlib's 5 landmarks (5, 2) of the face in `box`, in `pixels`, a small face enlarged to
        `cnn_face` px first (as the detectors see it)."""
        height, width = pixels.shape[:2]
        side = box[2] - box[0]
        window = _around(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), side, height, width)
        scale = max(1.0, self.config.cnn_face / side)
        return self.detectors.landmarks(pixels, window, scale, box)

    def landmarks_behind_holes(
        self, image: torch.Tensor, faces: list[Face], holes: list[Hole]
    ) -> list[Face]:
        """`faces` with the landmarks of each face that has its own hole (`_fits`) predicted
        again, the hole showing the mean face: over a smooth fill, dlib guesses the hidden eye
        corners and nose 2.3-2.5 aligned px from where they are on average; with the mean face
        placed by the hole, 1.0-1.2 (the photo sets of seeds 0 and 1, the paper's holes)."""
        frames = [FaceFrame.from_landmarks(face.landmarks) for face in faces]
        own = [[hole for hole in holes if _fits(frame, hole, self.config)] for frame in frames]
        if not any(own):
            return faces
        shown = with_mean_faces(image, [hole for face_holes in own for hole in face_holes])
        pixels = _to_pixels(shown)
        return [
            Face(face.box, self.landmarks(pixels, face.box)) if face_holes else face
            for face, face_holes in zip(faces, own, strict=True)
        ]


def _to_pixels(image: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H, W, 3) uint8, as dlib takes it."""
    return (image.expand(3, -1, -1).clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()


def _around(centre: tuple[float, float], reach: float, height: int, width: int) -> Window:
    """The window of the pixels within `reach` px of `centre` (x, y) in a photo of height x
    width."""
    x0, y0 = max(0, round(centre[0] - reach)), max(0, round(centre[1] - reach))
    x1 = min(width, round(centre[0] + reach) + 1)
    y1 = min(height, round(centre[1] + reach) + 1)
    return x0, y0, x1, y1


def _cut(pixels: np.ndarray, window: Window) -> tuple[np.ndarray, tuple[int, int]]:
    """The pixels in `window`, and its top-left corner (x, y)."""
    x0, y0, x1, y1 = window
    return np.ascontiguousarray(pixels[y0:y1, x0:x1]), (x0, y0)


def _enlarge(pixels: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """`pixels` (H, W, 3 uint8) resized `scale` times (bicubic), and the factors (x, y) that
    it was, after rounding to whole pixels."""
    height, width = pixels.shape[:2]
    size = (round(width * scale), round(height * scale))
    enlarged = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BICUBIC))
    return enlarged, np.array([size[0] / width, size[1] / height])


def _shrunk(points, factor: np.ndarray) -> np.ndarray:
    """Points (N, 2) in an image enlarged `factor` (x, y) times, back in the image's pixels
    (pixel centres stay centres)."""
    return (np.asarray(points, dtype=np.float64) + 0.5) / factor - 0.5


def _covers(box: Box, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _holds(face: Face, centre: tuple[float, float], side: int, config: DetectionConfig) -> bool:
    """Whether `face`'s box holds a hole (centre, side) as a face holds its own: of the size
    `hole_share` says, within a quarter of the box's width of its centre."""
    width = face.box[2] - face.box[0]
    low, high = config.hole_share
    return _near(face, centre, width / 4) and low <= side / width <= high


def _same(box: Box, other: Box) -> bool:
    """Whether two boxes are one face: each one's centre in the other's box."""
    return _inside(box, other) and _inside(other, box)


def _near(face: Face, centre: tuple[float, float], reach: float) -> bool:
    """Whether `face`'s box centre lies within `reach` px of `centre` along both axes."""
    x, y = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    return abs(x - centre[0]) <= reach and abs(y - centre[1]) <= reach


def _unseen(box: Box, faces: list[Face]) -> bool:
    """Whether `box`'s centre lies in none of the boxes of `faces`: a face not found yet."""
    return not any(_inside(box, face.box) for face in faces)


def _inside(box: Box, other: Box) -> bool:
    """Whether `box`'s centre lies in `other`: the same face found twice."""
    return _covers(other, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
