"""Finding faces in a photo: boxes and 5-point landmarks, on clean or corrupted photos.

The detector is dlib's HOG face detector (built into `dlib-bin`), the landmarks are dlib's 5-point
shape predictor; dlib's CNN ("mmod") detector, which also finds turned and tilted faces but costs
about 10 s per megapixel (2 threads), checks what HOG is unsure of, and searches the whole photo
where HOG finds nothing (or always, with `cnn=True`), shrunk to its budget if need be. Both models
ship, under CC0, in `face_recognition_models`; nothing is downloaded. HOG sees faces from about 80 px across, so
photos are first enlarged until the smallest face worth restoring (`MIN_FACE` px) reaches that
size, within a pixel budget that keeps detection well under a second (the CNN gets a smaller
budget).

HOG alone misses turned faces, faces with sunglasses or closed eyes, and small noisy ones, but it
does score most of them, only low, among false faces on clothes and backgrounds. So a weak HOG
detection (`HOG_PROPOSAL` to `HOG_THRESHOLD`) is kept where the CNN, shown a crop twice its size,
finds the same face in it (about 0.3 s per crop). On 126 faces of a photo set (seed 2, 63
photos), as each corruption shows them to the detector, this raised the faces found from 88% to
96% of the gray ones, 84% to 96% noisy, 87% to 96% posterized, 66% to 79% 4x smaller and 90% to
93% with a hole, with 2-3 false faces in the 63 photos instead of 0-3, for 0.2-0.6 s more per
photo. A posterized photo's flat patches and hard edges also give HOG false faces that score
like real ones (0.36-0.93 measured, on a group photo's table and a canvas), and a false face
gets a face painted on it; so HOG's detections are checked the same way up to `HOG_SURE`. On
that photo set this left 1 posterized false face of 2 (and 1 with holes of 2), the same faces
found but for one 4x smaller face of 9 px (95 of 101 to 94), for up to 0.2 s more per photo.

A third detector finds most of what both of dlib's miss (faces in sunglasses, turned away, dark
or small): MTCNN (Zhang et al., 2016; facenet-pytorch's, its weights inside the wheel, MIT), a
cascade of three small networks (0.1 s on the photo sets' photos, 0.5 s on a 1024 px group
photo). Each face it finds with a probability of `MTCNN_SURE` or more where dlib found none is
kept, with dlib's landmarks in the box dlib would have drawn (`MTCNN_BOX`). On the seed-2 photo
set this raised the faces found from 121 to 123 of 126 gray, 121 to 124 noisy and posterized,
and 94 to 99 of 101 in the 4x smaller photos (those from 10 px), with holes 123 as before; with
one false face more posterized, with holes and 4x smaller (2-3 in 63 photos), for 0.15-0.25 s
more per photo (medians). It runs first, so that a weak HOG face it is sure of too needs no
CNN check, and is kept as MTCNN's face (in HOG's weak box, dlib's landmarks lost 2 of the
seed-2 set's gray faces and 1 noisy one): 17 of 45 checks fewer on the benchmark's gray photos,
18 of 51 on its noisy ones. The same faces were found
there and on the seed-2 set (every corruption, as many false faces), and detection's median
fell from 0.79 to 0.52 s on the gray photos, from 0.72 to 0.52 s on the noisy ones. A face it
is less sure of (`MTCNN_CHECKED` to `MTCNN_SURE`) is checked by the CNN as a weak HOG face is:
on the seed-2 set (66 photos and 129 faces since Grace Hopper joined the outside photos), one
gray face more (126 -> 127: 23 px, in sunglasses, at 0.93) and two 4x smaller ones of 8 px
(110 -> 112), with no false face more; the same faces and false faces with holes, noise and
posterized, on the benchmark's photos and on the seed-1 set; the same median time.

Corrupted photos are best shown to the detector restored classically (`restore_photo` passes
the holes filled smoothly by `fill_missing`, with where they are, the noise blurred, the
low-resolution photo upsampled). Gray photos need nothing: HOG works on gradients.

A hole over a face's eyes and nose (the paper's hole is the centre of the face's frame) leaves
both detectors a blank: a smooth fill reads as no face. So a hole that no face found covers is
shown to them holding the mean training face, placed as the hole's own shape says (a square hole
is the centre of a frame twice its size, turned as it is: `hole_frame`), in the fill's colour;
the face around it is then kept where the CNN is confident (`HINT_SCORE`) and HOG or MTCNN
finds it too. With the paper's holes, this raised the faces found from 119 to 123 of 126
(seed 2), 49 to 58 of 59 (seed 1) and 44 to 45 of 45 (the benchmark's photos, seed 0), with no
more false faces there; of 63 holes of a face's hole's size cut away from faces, one was taken
for a face (the mean face on a smooth canvas). MTCNN's word (from `MTCNN_CHECKED`) counts since
as HOG's does: on the seed-2 set (129 faces since Grace Hopper joined it) holes went from 126
to 127 faces found (a dark, turned face of 80 px with a microphone: CNN 0.91, MTCNN 0.88, HOG
nothing), the seed-1 set and the benchmark's photos as before, with no false face more there
or over 78 face-sized holes cut into 13 of scikit-image's photos. A face the closer look finds
that was found already (a face beside the hole) is not added twice. A face found over its own
hole (`_fits`) has its landmarks predicted again with the mean face shown there: dlib's
guesses of the hidden eyes and nose were 2.3-2.5 aligned px off on average, 1.0-1.2 so, which
raised inpainting on those photo sets by 0.3-0.6 dB.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .alignment import FaceFrame, add_from_frame, mean_face
from .models import IMAGE_SIZE

MIN_FACE = 10  # px across in the photo: the smallest face the detector is asked to find
HOG_FACE = 80  # px across: the smallest face dlib's HOG detector finds at its own scale
MAX_DETECT_PIXELS = 4_000_000  # the enlarged photo's budget (HOG: about 0.5 s on one core)
HOG_THRESHOLD = 0.3  # score under which a HOG detection is weak (dlib's default 0 lets false
# faces through on enlarged photos: 0.04-0.25 measured on patterned clothes, 0.5-2.6 on faces)
HOG_SURE = 1.0  # score from which a HOG detection is kept without the CNN's check
HOG_PROPOSAL = -0.8  # score above which a weaker HOG detection is checked by the CNN (-1.0: 2.5x
# the crops to check, +1% of noisy faces found)
HOLE_SHARE = (0.35, 1.0)  # a hole whose side is this share of a weak HOG face's width, at its
# middle, explains its low score: the face is kept without the CNN's check (0.3 s each)
MAX_CNN_PIXELS = 100_000  # the CNN's budget on a whole photo (about 1 s)
CNN_FACE = 100  # px across: how large a region's face is shown to the CNN
SOLID_SHARE = 0.3  # of its bounding square a hole must cover to be looked into: a turned square
# covers 0.5 or more, a disc 0.79
MAX_MISSING_AROUND = 0.15  # the share of the pixels around a hole that may be missing too
HOLE_SIDE = IMAGE_SIZE / 2  # aligned px: the side of the paper's hole, the frame's centre square
HOLE_FIT = (0.7, 1.4, 10)  # a hole's frame is a face's own where its scale is within this share
# of the face's and its centre within this many aligned px (the paper's holes on the photo set of
# seed 1: 0.76-1.18 and up to 7.1 px, with the landmarks dlib guesses)
HINT_SCORE = 0.65  # the CNN's confidence that a face found around a hole showing the mean
# face needs (measured, seed 2: 0.9-1.1 for most faces, 0.68-0.73 for three small or dark ones;
# up to 0.6 for all but one of 63 face-sized holes cut away from faces)
MTCNN_SURE = 0.95  # MTCNN's probability from which a face that dlib's detectors missed is kept
# (seed 2: the faces it adds scored 0.86-1.0; its faces where none is marked, 0.71-1.0, most of
# them real faces in a frame's background). At 0.9, one gray face more, but with holes 123 -> 120
# of 126 and 3 false faces more: a false face beside a hole stops the closer look into it
MTCNN_CHECKED = 0.85  # MTCNN's probability from which a face short of MTCNN_SURE is checked by
# dlib's CNN, as a weak HOG face is (its faces where none is marked scored from 0.71, see above)
MTCNN_STEP = 0.8  # the ratio between its scales: at its default 0.709, faces fall between them
# (seed 2, gray: 1 face of the 5 that dlib missed found, against 3 at 0.8; 0.1 s against 0.06)
MTCNN_FACE = 12  # px across: the smallest face MTCNN finds at its own scale
MAX_MTCNN_PIXELS = 500_000  # its finest scale's budget: on a larger photo it looks only for
# faces from the size that fits (14 px on the app's 1024 x 709 group photo, 0.5 s instead of
# 0.8; 34 px on a 2000 x 2000 photo), and leaves smaller ones to dlib
MTCNN_BOX = (-0.024, 0.034, 1.10)  # dlib's square box from MTCNN's: its centre's shift (x, y)
# and its side, in MTCNN box widths (the mean over 127 faces that both found, seed 2)
SIDEWAYS = (1, 3)  # quarter turns (counterclockwise) tried where no face is found upright: the
# detectors see faces turned up to about 45 degrees (a group photo of 6 faces turned 30, 45 and
# 90 degrees: 5, 6 and 0 found)
CNN_DETECTOR = "mmod_human_face_detector.dat"
LANDMARKS = "shape_predictor_5_face_landmarks.dat"


Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in a photo's pixels


@dataclass(frozen=True)
class Face:
    """A face found in a photo, in that photo's pixel coordinates (pixel centres at integers).

    Attributes:
        box: the detector's box (x0, y0, x1, y1).
        landmarks: (5, 2) x, y: dlib's 5 points (two corners of each eye, the base of the nose).
    """

    box: Box
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


def detection_scale(
    height: int, width: int, min_face: float, budget: int, *, shrink: bool = False
) -> float:
    """How much a photo is enlarged before detection: enough for faces of `min_face` px to reach
    HOG_FACE px, at most `budget` pixels in all. Never shrunk, unless `shrink`: the CNN, at
    about 10 s per megapixel, sees a photo over its budget shrunk to it, so that only its large
    faces are found (from about 65 px across in the shrunk photo) but in bounded time."""
    scale = min(HOG_FACE / min_face, (budget / (height * width)) ** 0.5)
    return scale if shrink else max(1.0, scale)


def detect_faces(
    image: torch.Tensor,
    missing: torch.Tensor | None = None,
    *,
    min_face: float = MIN_FACE,
    cnn: bool | None = None,
) -> list[Face]:
    """Every face found in `image` (C, H, W) in [0, 1], in reading order. Faces smaller than
    `min_face` px across may be missed; a larger value detects faster. HOG's faces (those short
    of `HOG_SURE` checked by the CNN, unless MTCNN is sure of the same face), then MTCNN's sure
    ones where none was found, then its likely ones (`MTCNN_CHECKED`) that the CNN confirms.
    `cnn`: also run the CNN detector on the whole photo (None: only where neither finds a face).

    `missing` (H, W), True where pixels are unknown, which `image` holds filled (`fill_missing`):
    a hole over a face hides what HOG keys on, so the CNN looks closer around each hole that no
    face found covers, at a crop three times the hole's size, the hole showing the mean face
    (`with_mean_faces`). The weak HOG detections near a
    hole (parts of the face around it, edges of the fill) are left to that closer look rather
    than checked one by one: on the photo set's 4-face photo, 4 checks fewer (1.3 s). A weak
    detection whose box holds a hole of a face's hole's size (`HOLE_SHARE`) is kept unchecked:
    the hole explains its low score (2 checks fewer on that photo, 0.7 s)."""
    hog, mmod, predictor = _dlib_models()
    pixels = _to_pixels(image)
    height, width = pixels.shape[:2]
    holes = (
        [hole for hole in _holes(missing) if hole.can_hide_a_face] if missing is not None else []
    )
    scale = detection_scale(height, width, min_face, MAX_DETECT_PIXELS)
    faces: list[Face] = []
    proposed = _mtcnn_boxes(pixels, min_face)
    sure = [box for box, probability in proposed if probability >= MTCNN_SURE]
    found = _find(_hog(hog), predictor, pixels, scale)
    for face, score in sorted(found, key=lambda found: -found[1]):
        if not _unseen(face.box, faces):
            continue
        x0, y0, x1, y1 = face.box
        if score < HOG_THRESHOLD and any(
            _near(face, h.centre, 1.5 * h.side) and x1 - x0 < h.side for h in holes
        ):
            continue  # weak and smaller than a hole beside it: a part of the face around the hole
        if score < HOG_SURE and any(_same(face.box, box) for box in sure):
            continue  # MTCNN's face, added below: its box places dlib's landmarks better
        if score < HOG_SURE and not any(_holds(face, h.centre, h.side) for h in holes):
            face = _checked(pixels, face.box)
        if face is not None and _unseen(face.box, faces):
            faces.append(face)
    for box in sure:
        if _unseen(box, faces):
            faces.append(Face(box=box, landmarks=_landmarks(pixels, box)))
    for box, probability in proposed:
        if probability < MTCNN_SURE and _unseen(box, faces):
            checked = _checked(pixels, box)
            if checked is not None:
                faces.append(checked)
    if cnn or (cnn is None and not faces):
        scale = detection_scale(height, width, min_face, MAX_CNN_PIXELS, shrink=True)
        more = [face for face, _ in _find(_cnn(mmod), predictor, pixels, scale)]
        faces += [f for f in more if _unseen(f.box, faces)]
    unexplained = [hole for hole in holes if not any(_covers(f.box, *hole.centre) for f in faces)]
    if unexplained:
        hinted = _to_pixels(with_mean_faces(image, unexplained))
        for hole in unexplained:
            around = _cnn_around(
                hinted,
                hole.centre,
                1.5 * hole.side,
                hole.side,
                min_score=HINT_SCORE,
                confirmed=True,
            )
            faces += [f for f in around if _unseen(f.box, faces)]
    return reading_order(_landmarks_behind_holes(image, faces, holes))


def detect_faces_any_way_up(
    image: torch.Tensor, missing: torch.Tensor | None = None, *, min_face: float = MIN_FACE
) -> list[Face]:
    """`detect_faces`, and where it finds no face, the same on the photo turned a quarter turn
    each way (`SIDEWAYS`), the faces found given in the photo's own pixels: a photo saved
    sideways without its EXIF orientation (a screenshot, a scan) would otherwise have none. A
    face's aligned frame follows its landmarks, so a face lying sideways is restored as any other.
    """
    faces = detect_faces(image, missing, min_face=min_face)
    if faces:
        return faces
    height, width = image.shape[1:]
    for turns in SIDEWAYS:
        turned_missing = None if missing is None else torch.rot90(missing, turns)
        turned = detect_faces(torch.rot90(image, turns, (1, 2)), turned_missing, min_face=min_face)
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
    its pixels (`rows`, `cols`) and `frame`, the aligned face frame that it is the hole of."""

    centre: tuple[float, float]
    side: int
    rows: np.ndarray
    cols: np.ndarray
    frame: FaceFrame
    missing_around: float  # the share of the pixels around it (within side / 2) that are missing

    @property
    def can_hide_a_face(self) -> bool:
        """Whether the hole can hide what a detector keys on while the face around it shows: a
        square or a blob from MIN_FACE / 2 px across (SOLID_SHARE), with little else missing
        around it (MAX_MISSING_AROUND). Thin strokes and scattered missing pixels hide no face:
        filled, the face shows through them (and a closer look around each of the hundreds of
        clusters of a random-pixel mask took minutes)."""
        return (
            self.side >= MIN_FACE / 2
            and len(self.rows) >= SOLID_SHARE * self.side**2
            and self.missing_around <= MAX_MISSING_AROUND
        )


def _holes(missing: torch.Tensor) -> list[Hole]:
    from scipy.ndimage import find_objects, label

    pixels = missing.numpy()
    labels, _ = label(pixels)
    holes = []
    for index, (rows, cols) in enumerate(find_objects(labels), start=1):
        ys, xs = np.nonzero(labels[rows, cols] == index)
        side = max(rows.stop - rows.start, cols.stop - cols.start)
        centre = ((cols.start + cols.stop - 1) / 2, (rows.start + rows.stop - 1) / 2)
        ys, xs = ys + rows.start, xs + cols.start
        around = _crop(pixels, centre, side)[0]  # the hole's square and side / 2 px around it
        others = (around.sum() - len(xs)) / max(around.size - len(xs), 1)
        holes.append(Hole(centre, side, ys, xs, hole_frame(xs, ys), float(others)))
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


def _landmarks_behind_holes(
    image: torch.Tensor, faces: list[Face], holes: list[Hole]
) -> list[Face]:
    """`faces` with the landmarks of each face that has its own hole (`_fits`) predicted again,
    the hole showing the mean face: over a smooth fill, dlib guesses the hidden eye corners and
    nose 2.3-2.5 aligned px from where they are on average; with the mean face placed by the
    hole, 1.0-1.2 (the photo sets of seeds 0 and 1, the paper's holes)."""
    frames = [FaceFrame.from_landmarks(face.landmarks) for face in faces]
    own = [[hole for hole in holes if _fits(frame, hole)] for frame in frames]
    if not any(own):
        return faces
    pixels = _to_pixels(with_mean_faces(image, [hole for face_holes in own for hole in face_holes]))
    return [
        Face(face.box, _landmarks(pixels, face.box)) if face_holes else face
        for face, face_holes in zip(faces, own, strict=True)
    ]


def _fits(frame: FaceFrame, hole: Hole) -> bool:
    """Whether `hole` is the paper's hole of the face whose aligned frame is `frame` (the centre
    of that frame): the hole's frame and the face's agree in scale and centre, as far as
    `HOLE_FIT` says."""
    middle = np.array([[(IMAGE_SIZE - 1) / 2] * 2])
    shift = np.linalg.norm(hole.frame.to_photo(middle) - frame.to_photo(middle))  # photo px
    low, high, most = (share * frame.scale for share in HOLE_FIT)
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


def _to_pixels(image: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H, W, 3) uint8, as dlib takes it."""
    return (image.expand(3, -1, -1).clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()


def _hog(hog):
    def detector(image: np.ndarray):
        rects, scores, _ = hog.run(image, 0, HOG_PROPOSAL)
        return zip(rects, scores, strict=True)

    return detector


def _cnn(mmod):
    return lambda image: [(found.rect, found.confidence) for found in mmod(image, 0)]


@functools.lru_cache(maxsize=8)  # one per smallest face size: few, but large photos vary it
def _mtcnn(min_face: int):
    try:
        from facenet_pytorch import MTCNN
    except ImportError as error:
        raise OSError("face detection needs MTCNN: pip install facenet-pytorch==2.5.3") from error
    return MTCNN(min_face_size=min_face, factor=MTCNN_STEP, keep_all=True, device="cpu")


def _mtcnn_boxes(pixels: np.ndarray, min_face: float) -> list[tuple[Box, float]]:
    """(box, probability) for the faces MTCNN (facenet-pytorch's, its weights inside the wheel)
    finds in `pixels` with a probability of MTCNN_CHECKED or more, each box as dlib would have
    given it (`MTCNN_BOX`).
    Its landmarks (eye centres, nose tip, mouth corners) are not the template's; dlib's,
    predicted in that box, land 1.33 px from where the photo set placed the faces in the
    aligned frame (median, seed 2), against 1.29 with dlib's own boxes. Its cost grows with the
    pixels of its finest scale, bounded by MAX_MTCNN_PIXELS."""
    height, width = pixels.shape[:2]
    least = MTCNN_FACE * math.sqrt(height * width / MAX_MTCNN_PIXELS)
    boxes, probabilities = _mtcnn(max(1, round(max(min_face, least)))).detect(pixels)
    if boxes is None:
        return []
    shift_x, shift_y, side = MTCNN_BOX
    found = []
    for (x0, y0, x1, y1), probability in zip(boxes, probabilities, strict=True):
        if probability >= MTCNN_CHECKED:
            across = x1 - x0
            x, y = (x0 + x1) / 2 + shift_x * across, (y0 + y1) / 2 + shift_y * across
            half = side * across / 2
            box = tuple(float(v) for v in (x - half, y - half, x + half, y + half))
            found.append((box, float(probability)))
    return found


def _cnn_around(
    pixels: np.ndarray,
    centre: tuple[float, float],
    reach: float,
    face: float | None = None,
    *,
    min_score: float = 0.0,
    confirmed: bool = False,
) -> list[Face]:
    """Faces the CNN finds within `reach` px of `centre` (x, y) in `pixels`, in its coordinates,
    the crop resized so that a face `face` px across (default: `reach`) is CNN_FACE px: enlarged
    for a small face, shrunk for a large one, which the CNN would take seconds over at full size
    (a crop around a 600 px face: 1.8 s, against 0.3 s shrunk). Only faces with a confidence of
    `min_score` or more (dlib's threshold: 0), and with `confirmed`, that HOG (at HOG_PROPOSAL or
    more) or MTCNN (at MTCNN_CHECKED or more) finds in the crop too."""
    hog, mmod, predictor = _dlib_models()
    crop, (x0, y0) = _crop(pixels, centre, reach)
    scale = CNN_FACE / (face or reach)
    found = [f for f, score in _find(_cnn(mmod), predictor, crop, scale) if score >= min_score]
    if confirmed and found:
        seen = [f.box for f, _ in _find(_hog(hog), predictor, crop, scale)]

        def agreed(candidate: Face) -> bool:
            return any(_same(candidate.box, other) for other in seen)

        if not all(map(agreed, found)):  # MTCNN, 30 ms, only for what HOG leaves unconfirmed
            seen += [box for box, _ in _mtcnn_boxes(crop, face or reach)]
        found = list(filter(agreed, found))
    return [
        Face(
            box=(f.box[0] + x0, f.box[1] + y0, f.box[2] + x0, f.box[3] + y0),
            landmarks=f.landmarks + (x0, y0),
        )
        for f in found
    ]


def _checked(pixels: np.ndarray, box: Box) -> Face | None:
    """The face that dlib's CNN finds on `box` in a crop around it, or None: the check of a
    weak detection."""
    x0, y0, x1, y1 = box
    seen = _cnn_around(pixels, ((x0 + x1) / 2, (y0 + y1) / 2), max(x1 - x0, y1 - y0))
    return next((other for other in seen if _same(other.box, box)), None)


def _landmarks(pixels: np.ndarray, box: Box) -> np.ndarray:
    """dlib's 5 landmarks (5, 2) of the face in `box`, in `pixels`, a small face enlarged to
    CNN_FACE px first (as the detectors see it)."""
    import dlib

    predictor = _dlib_models()[2]
    side = box[2] - box[0]
    crop, offset = _crop(pixels, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), side)
    enlarged, factor = _enlarge(crop, max(1.0, CNN_FACE / side))
    corners = np.round((np.reshape(box, (2, 2)) - offset + 0.5) * factor - 0.5).astype(int)
    parts = predictor(enlarged, dlib.rectangle(*corners.ravel().tolist())).parts()
    return _shrunk([(p.x, p.y) for p in parts], factor) + offset


def _crop(
    pixels: np.ndarray, centre: tuple[float, float], reach: float
) -> tuple[np.ndarray, tuple[int, int]]:
    """The pixels within `reach` px of `centre` (x, y), and the crop's top-left corner (x, y)."""
    height, width = pixels.shape[:2]
    x0, y0 = max(0, round(centre[0] - reach)), max(0, round(centre[1] - reach))
    x1 = min(width, round(centre[0] + reach) + 1)
    y1 = min(height, round(centre[1] + reach) + 1)
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


def _find(detector, predictor, pixels: np.ndarray, scale: float) -> list[tuple[Face, float]]:
    """(face, score) for each face that `detector` (enlarged image -> [(rect, score)]) finds in
    `pixels` (H, W, 3 uint8) enlarged `scale` times."""
    enlarged, factor = _enlarge(pixels, scale)
    faces = []
    for rect, score in detector(enlarged):
        landmarks = _shrunk([(p.x, p.y) for p in predictor(enlarged, rect).parts()], factor)
        corners = _shrunk([(rect.left(), rect.top()), (rect.right(), rect.bottom())], factor)
        faces.append((Face(box=tuple(corners.ravel().tolist()), landmarks=landmarks), score))
    return faces


def _covers(box: Box, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _holds(face: Face, centre: tuple[float, float], side: int) -> bool:
    """Whether `face`'s box holds a hole (centre, side) as a face holds its own: of the size
    `HOLE_SHARE` says, within a quarter of the box's width of its centre."""
    width = face.box[2] - face.box[0]
    return _near(face, centre, width / 4) and HOLE_SHARE[0] <= side / width <= HOLE_SHARE[1]


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
