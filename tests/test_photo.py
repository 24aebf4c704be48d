"""Whole photos: detection, the alignment template, the warps, paste-back and `restore_photo`,
on photos built here from validation frames (scaled, turned, placed) and scikit-image's astronaut.
The tiny random pipeline restores, so these check geometry and bookkeeping, not quality."""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganmap import NoFaceError, PhotoRestorationOutput, corrupt_photo, faces
from ganmap import photo as photo_module
from ganmap.alignment import (
    FaceFrame,
    add_from_frame,
    face_template,
    faces_weight,
    frame_mask,
    mean_face,
    similarity,
    warp_to_frame,
)
from ganmap.data import list_images
from ganmap.faces import detect_faces, fill_missing
from ganmap.images import to_tensor
from ganmap.metrics import psnr
from ganmap.photo import face_task
from ganmap.photo_benchmark import detection, detection_markdown, evaluate, markdown
from ganmap.photo_sets import Placement, canvas, compose, detected_photo, outside_photos
from ganmap.tasks import Denoising, Quantization, SuperResolution, Task, luma

ROOT = Path(__file__).resolve().parents[1]
VAL = next(
    (
        path
        for path in [
            Path(os.environ.get("GANMAP_VAL_DATA", ROOT / "../shared/data/celeba/val")),
            ROOT / "../../shared/data/celeba/val",
        ]
        if path.is_dir()
    ),
    None,
)
needs_val = pytest.mark.skipif(VAL is None, reason="no validation frames (set GANMAP_VAL_DATA)")
PAPER_HOLE = torch.zeros(64, 64, dtype=torch.bool)
PAPER_HOLE[16:48, 16:48] = True


def frame_at(scale: float, angle: float, offset: tuple[float, float]) -> FaceFrame:
    turn = math.radians(angle)
    linear = scale * np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    return FaceFrame(np.hstack([linear, np.array(offset)[:, None]]))


def smooth_photo(height: int, width: int) -> torch.Tensor:
    return canvas(height, width, torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def frames() -> list[torch.Tensor]:
    return [to_tensor(path) for path in list_images(VAL)[:3]] if VAL else []


@pytest.fixture(scope="module")
def two_faces(frames):
    """A 400 x 240 photo with two faces (frames 56 and 120 px across, turned 8 and -6 degrees)."""
    background = smooth_photo(240, 400)
    return compose(
        background, frames[:2], [Placement(56, 8, (80, 110)), Placement(120, -6, (260, 120))]
    )


def test_similarity_recovers_a_known_transform():
    template = face_template()
    frame = frame_at(2.5, 17, (40, -3))
    matrix = similarity(template, frame.to_photo(template))
    np.testing.assert_allclose(matrix, frame.matrix, atol=1e-9)


def test_template_is_a_face_in_the_training_crop():
    (outer_l, _), (inner_l, _), (outer_r, _), (inner_r, _), (nose_x, nose_y) = face_template()
    eyes = sorted([outer_l, inner_l, outer_r, inner_r])
    assert eyes[0] > 10 and eyes[-1] < 54, "eyes inside the crop, left and right of centre"
    assert abs(nose_x - 31.5) < 3 and 45 < nose_y < 60, "the nose below the eyes, centred"


def test_warp_then_paste_back_recovers_the_photo():
    photo = smooth_photo(300, 300)
    for frame in (frame_at(3.0, 20, (60, 40)), frame_at(0.5, -10, (120, 150))):
        aligned = warp_to_frame(photo, frame)
        back = add_from_frame(torch.zeros_like(photo), aligned, frame)
        ys, xs = np.mgrid[:300, :300]
        aligned_points = frame.to_aligned(np.stack([xs, ys], -1).astype(float))
        inner = torch.from_numpy(((aligned_points > 2) & (aligned_points < 61)).all(-1))
        error = (back - photo)[:, inner].abs().max()
        assert error < 0.03, f"round trip at scale {frame.scale} differs by {error:.3f}"


def test_paste_back_changes_nothing_beyond_the_feather():
    photo = smooth_photo(200, 200)
    frame = frame_at(1.0, 0, (60, 60))  # the frame covers x, y in [59.5, 123.5]
    pasted = add_from_frame(photo, torch.ones(3, 64, 64), frame)
    assert torch.equal(pasted[:, :, 131:], photo[:, :, 131:])
    assert torch.equal(pasted[:, 131:, :], photo[:, 131:, :])
    assert (pasted[:, 70:110, 70:110] - photo[:, 70:110, 70:110] - 1).abs().max() < 1e-5


def test_faces_weight_is_one_over_each_frame_and_fades_out_beyond_it():
    """Two overlapping frames: 1 over each (never more where they overlap), strictly between 0
    and 1 in the feather just beyond a frame, 0 far from both."""
    first, second = frame_at(1.0, 0, (20, 20)), frame_at(1.0, 0, (50, 30))  # x, y from 19.5, 29.5
    weight = faces_weight([first, second], 160, 160)
    assert weight.shape == (1, 160, 160)
    assert torch.equal(weight[0, 21:82, 21:82], torch.ones(61, 61)), "the first frame"
    assert torch.equal(weight[0, 31:92, 51:112], torch.ones(61, 61)), "the second, over both"
    feather = weight[0, 60, 115:117]  # 1-2 aligned px beyond the second frame's right edge
    assert ((feather > 0) & (feather < 1)).all(), f"feather {feather.tolist()}"
    assert weight[0, 130:, :].eq(0).all() and weight[0, :, 130:].eq(0).all(), "beyond them"


def test_faces_partly_outside_the_photo_are_mirrored_and_pasted_in_part():
    photo = smooth_photo(100, 100)
    frame = frame_at(1.0, 0, (60, -20))  # half of the frame lies above the photo
    aligned = warp_to_frame(photo, frame)
    assert aligned.shape == (3, 64, 64) and torch.isfinite(aligned).all()
    pasted = add_from_frame(photo, torch.full((3, 64, 64), 0.5), frame)
    assert pasted.shape == photo.shape
    assert torch.equal(pasted[:, 60:, :], photo[:, 60:, :])


def test_fill_missing_keeps_known_pixels_and_continues_a_ramp_exactly():
    """The biharmonic fill reproduces any linear shading across a hole (a face's light)."""
    ramp = torch.linspace(0.2, 0.8, 80)[None, None].expand(3, 64, 80).clone()
    missing = torch.zeros(64, 80, dtype=torch.bool)
    missing[20:40, 10:50] = True
    filled = fill_missing(ramp * ~missing, missing)
    assert torch.equal(filled[:, ~missing], ramp[:, ~missing])
    torch.testing.assert_close(filled, ramp, atol=1e-4, rtol=0)


def test_holes_too_large_for_the_biharmonic_fill_are_filled_by_push_pull(monkeypatch):
    monkeypatch.setattr(faces, "MAX_BIHARMONIC_PIXELS", 100)
    photo = smooth_photo(64, 80)
    missing = torch.zeros(64, 80, dtype=torch.bool)
    missing[20:40, 10:50] = True
    filled = fill_missing(photo, missing)
    assert torch.equal(filled[:, ~missing], photo[:, ~missing])
    assert filled.min() >= photo.min() - 1e-6 and filled.max() <= photo.max() + 1e-6


def square_face(x: float, y: float, side: float = 40) -> faces.Face:
    """A face whose box is `side` px square around (x, y), landmarks at the centre."""
    box = (x - side / 2, y - side / 2, x + side / 2, y + side / 2)
    return faces.Face(box=box, landmarks=np.full((5, 2), (x, y)))


def test_hog_faces_short_of_sure_are_kept_only_where_the_cnn_finds_them_too(monkeypatch):
    """HOG's sure faces stay as they are. Its likely ones (from HOG_THRESHOLD, where a
    posterized photo's false faces score too) and its weak ones are each checked by the CNN and
    kept as the CNN sees them, or dropped where it sees no face."""
    strong, likely, weak, false = (square_face(x, 40) for x in (30, 100, 170, 240))
    between = (faces.HOG_THRESHOLD + faces.HOG_SURE) / 2
    scores = [(strong, faces.HOG_SURE), (likely, between), (weak, -0.2), (false, -0.5)]
    monkeypatch.setattr(faces, "_find", lambda detector, predictor, pixels, scale: scores)
    checked = []

    def cnn_around(pixels, centre, reach, face=None, min_score=0.0):
        checked.append(centre)  # the CNN sees the face a little shifted, and one far away
        return [square_face(centre[0] + 2, 41), square_face(100, 140)] if centre[0] < 200 else []

    monkeypatch.setattr(faces, "_cnn_around", cnn_around)
    found = detect_faces(torch.zeros(3, 80, 300))
    assert checked == [(100, 40), (170, 40), (240, 40)], "all but the sure face are checked"
    assert [face.box for face in found] == [
        strong.box,
        square_face(102, 41).box,
        square_face(172, 41).box,
    ], "the sure face stays, the likely and weak ones become the CNN's, the false one is dropped"


def test_weak_hog_faces_that_mtcnn_is_sure_of_need_no_cnn_check(monkeypatch):
    """A weak HOG face where MTCNN is sure of the same face (each box's centre in the other) is
    kept as MTCNN found it, without the CNN's check (0.3 s); a small weak one at the edge of
    MTCNN's box, whose own box does not hold MTCNN's centre, is still checked."""
    weak, edge = square_face(100, 40), square_face(121, 58, side=6)
    monkeypatch.setattr(
        faces, "_find", lambda detector, predictor, pixels, scale: [(weak, -0.2), (edge, -0.5)]
    )
    sure = (82, 22, 122, 62)
    monkeypatch.setattr(faces, "_mtcnn_boxes", lambda pixels, min_face: [(sure, 0.99)])
    monkeypatch.setattr(faces, "_landmarks", lambda pixels, box: np.zeros((5, 2)))
    checked = []

    def cnn_around(pixels, centre, reach, face=None, min_score=0.0):
        checked.append(centre)
        return []

    monkeypatch.setattr(faces, "_cnn_around", cnn_around)
    found = detect_faces(torch.zeros(3, 80, 200))
    assert checked == [(121, 58)], "only the face MTCNN is not sure of is checked"
    assert [face.box for face in found] == [sure], "MTCNN's box, once"


def test_mtcnn_faces_short_of_sure_are_kept_only_where_the_cnn_finds_them_too(monkeypatch):
    """A face that only MTCNN finds, with a probability from MTCNN_CHECKED to MTCNN_SURE (a
    small face in sunglasses, gray), is checked by the CNN as a weak HOG face is: kept as the
    CNN sees it, or dropped where it sees no face. One that HOG found too is not checked."""
    monkeypatch.setattr(
        faces, "_find", lambda detector, predictor, pixels, scale: [(square_face(40, 40), 2.0)]
    )
    between = (faces.MTCNN_CHECKED + faces.MTCNN_SURE) / 2
    boxes = [square_face(x, 40).box for x in (42, 120, 200)]  # HOG's face, a face, a false one
    monkeypatch.setattr(
        faces, "_mtcnn_boxes", lambda pixels, min_face: [(b, between) for b in boxes]
    )
    checked = []

    def cnn_around(pixels, centre, reach, face=None, min_score=0.0):
        checked.append(centre)
        return [square_face(centre[0] + 2, 41)] if centre[0] < 150 else []

    monkeypatch.setattr(faces, "_cnn_around", cnn_around)
    found = detect_faces(torch.zeros(3, 80, 240))
    assert checked == [(120, 40), (200, 40)], "HOG's face is not checked again"
    assert [face.box for face in found] == [square_face(40, 40).box, square_face(122, 41).box]


def test_mtcnn_proposes_faces_from_the_probability_that_gets_them_checked(monkeypatch):
    """`_mtcnn_boxes` gives each face from MTCNN_CHECKED with its probability, so that
    `detect_faces` keeps the sure ones and checks the rest; less likely ones are dropped."""

    class Detector:
        def detect(self, pixels):
            boxes = np.array([[10, 10, 30, 30], [50, 10, 70, 30], [90, 10, 110, 30]], float)
            return boxes, np.array([0.99, 0.9, 0.5])

    monkeypatch.setattr(faces, "_mtcnn", lambda min_face: Detector())
    proposed = faces._mtcnn_boxes(np.zeros((40, 120, 3), np.uint8), 10)
    assert [round(p, 2) for _, p in proposed] == [0.99, 0.9]
    centres = [((x0 + x1) / 2, (y0 + y1) / 2) for (x0, y0, x1, y1), _ in proposed]
    assert centres[1][0] == pytest.approx(60 - 0.024 * 20), "dlib's box from MTCNN's"


def test_a_hole_no_face_covers_gets_one_closer_look_instead_of_its_weak_parts(monkeypatch):
    """A 20 px hole at (100, 40), a face found elsewhere: HOG's weak detections smaller than the
    hole beside it (parts of the face around it) are not checked one by one; one CNN look around
    the hole, with the mean face shown in it, finds the face, kept only if the CNN is confident
    and HOG or MTCNN agrees; the face found beside it already, which the look sees too, is not
    added twice. A weak detection much larger than the hole (over 1 / HOLE_SHARE[0] times) is
    checked as anywhere else."""
    part, wide = square_face(90, 30, side=12), square_face(100, 45, side=80)
    strong, far = square_face(30, 40), square_face(180, 40, side=12)
    scores = [(strong, faces.HOG_SURE), (part, -0.2), (wide, -0.3), (far, -0.4)]
    monkeypatch.setattr(faces, "_find", lambda detector, predictor, pixels, scale: scores)
    around_hole = square_face(101, 41)
    looks = []

    def cnn_around(pixels, centre, reach, face=None, **checks):
        looks.append((centre, reach, checks, bool(pixels[30:50, 90:110].any())))
        return [around_hole, square_face(32, 41)] if face is not None else []

    monkeypatch.setattr(faces, "_cnn_around", cnn_around)
    missing = torch.zeros(80, 220, dtype=torch.bool)
    missing[30:50, 90:110] = True
    found = detect_faces(torch.zeros(3, 80, 220), missing)
    hinted = {"min_score": faces.HINT_SCORE, "confirmed": True}
    assert looks == [
        ((100, 45), 80, {}, False),
        ((180, 40), 12, {}, False),
        ((99.5, 39.5), 30, hinted, True),
    ], "the much larger weak face and the far one are checked, then the hole, showing a face"
    assert [face.box for face in found] == [strong.box, around_hole.box]


@pytest.mark.parametrize(
    "hog, mtcnn, kept",
    [(True, False, True), (False, True, True), (False, False, False)],
    ids=["hog-agrees", "mtcnn-agrees", "neither"],
)
def test_a_confirmed_closer_look_keeps_the_cnns_face_where_hog_or_mtcnn_agrees(
    monkeypatch, hog, mtcnn, kept
):
    """`_cnn_around(..., confirmed=True)`: the CNN's face in the crop (here 61 px around (50, 50),
    so offset by 20 px) is kept, in the photo's pixels, only where HOG or MTCNN finds it too."""
    face = square_face(30, 30, side=30)
    monkeypatch.setattr(faces, "_find", lambda detector, predictor, pixels, scale: detector(pixels))
    monkeypatch.setattr(faces, "_cnn", lambda mmod: lambda pixels: [(face, 0.9)])
    monkeypatch.setattr(faces, "_hog", lambda hog_: lambda pixels: [(face, 0.0)] if hog else [])
    boxes = [(face.box, 0.9)] if mtcnn else []
    monkeypatch.setattr(faces, "_mtcnn_boxes", lambda pixels, min_face: boxes)
    found = faces._cnn_around(np.zeros((100, 100, 3), np.uint8), (50, 50), 30, confirmed=True)
    expected = [square_face(50, 50, side=30).box] if kept else []
    assert [f.box for f in found] == expected


def test_only_solid_holes_with_the_face_around_them_showing_can_hide_a_face():
    missing = torch.zeros(200, 300, dtype=torch.bool)
    missing[20:52, 20:52] = True  # the paper's hole of a 64 px face
    missing[100:103, 20:120] = True  # a scratch
    missing[150:160, 150:160] = True  # a blob in a random-pixel mask
    missing[130:180, 130:180] |= (
        torch.rand(50, 50, generator=torch.Generator().manual_seed(0)) < 0.3
    )
    missing[20:23, 200:203] = True  # too small to hide a face's features
    holes = faces._holes(missing)

    def hole_at(row: int, col: int) -> faces.Hole:
        return next(hole for hole in holes if ((hole.rows == row) & (hole.cols == col)).any())

    assert hole_at(30, 30).can_hide_a_face
    assert not hole_at(101, 50).can_hide_a_face, "a thin stroke hides no face"
    assert not hole_at(155, 155).can_hide_a_face, "a face shows through a random-pixel mask"
    assert not hole_at(21, 201).can_hide_a_face, "too small"


def test_a_random_pixel_mask_gets_no_closer_looks_around_its_clusters(monkeypatch):
    """Half the pixels missing at random: the face shows through the fill, and none of the
    hundreds of clusters is looked into (each look costs the CNN about 0.5 s)."""
    photo, (truth,) = detected_photo(outside_photos()[0], 256)  # the astronaut
    missing = torch.rand(256, 256, generator=torch.Generator().manual_seed(0)) < 0.5
    looks = []
    look = faces._cnn_around
    monkeypatch.setattr(
        faces, "_cnn_around", lambda *args, **kwargs: looks.append(kwargs) or look(*args, **kwargs)
    )
    found = detect_faces(fill_missing(photo * ~missing, missing), missing)
    assert not [kwargs for kwargs in looks if "min_score" in kwargs], "a cluster was looked into"
    (face,) = found
    centre = truth.to_aligned(face.landmarks.mean(0, keepdims=True))[0]
    assert np.linalg.norm(centre - (31.5, 40)) < 6, f"face centre at {centre} in its frame"


@pytest.mark.parametrize("angle", [-40, -12, 0, 25, 44])
def test_a_holes_pixels_give_back_the_face_frame_it_was_cut_from(angle):
    """The paper's hole (the centre 32 x 32 of the aligned frame) of a face 109 px across,
    turned `angle` degrees: its pixels alone give the frame back, to within a pixel."""
    truth = frame_at(1.7, angle, (60.3, 71.8))
    ys, xs = np.nonzero(frame_mask(truth, PAPER_HOLE, 200, 200).numpy())
    error = np.abs(faces.hole_frame(xs, ys).corners() - truth.corners()).max()
    assert error < 1, f"the frame's corners are {error:.2f} px off"


@pytest.mark.parametrize(
    ("scale", "shift", "fits"),
    [
        (1.0, 0, True),
        (1.3, 0, True),
        (0.75, 0, True),
        (1.0, 9, True),
        (2.0, 0, False),
        (0.5, 0, False),
        (1.0, 12, False),
    ],
)
def test_a_hole_is_a_faces_own_where_its_frame_fits_the_faces(scale, shift, fits):
    """A face on the template of an upright frame 96 px across; a square hole `scale` times
    the paper's hole's size, `shift` aligned px to the right of the frame's centre."""
    face_frame = frame_at(1.5, 0, (20.0, 30.0))
    face = faces.Face(box=(0, 0, 1, 1), landmarks=face_frame.to_photo(face_template()))
    side = round(32 * 1.5 * scale)
    x, y = face_frame.to_photo(np.array([[31.5 + shift, 31.5]]))[0]
    missing = torch.zeros(200, 200, dtype=torch.bool)
    missing[
        round(y - side / 2) : round(y + side / 2), round(x - side / 2) : round(x + side / 2)
    ] = 1
    (hole,) = faces._holes(missing)
    assert faces._fits(FaceFrame.from_landmarks(face.landmarks), hole) == fits


def test_a_hole_shows_the_mean_face_in_the_fills_colour_and_nothing_else_changes():
    photo = torch.full((3, 120, 160), 0.5)
    missing = torch.zeros(120, 160, dtype=torch.bool)
    missing[40:72, 60:92] = True  # the centre of an upright frame 64 px across at (60, 40)
    shown = faces.with_mean_faces(photo, faces._holes(missing))
    assert torch.equal(shown[:, ~missing], photo[:, ~missing])
    middle = mean_face()[:, 16:48, 16:48]
    expected = middle - middle.mean((1, 2), keepdim=True) + 0.5
    assert torch.allclose(shown[:, 40:72, 60:92], expected, atol=1e-5), "not the mean face"


@needs_val
def test_landmarks_of_a_found_box_are_the_detectors(two_faces):
    """Landmarks predicted again for a face's box, from a crop at another scale, land where the
    detector put them (measured: within 0.4 and 0.7 px)."""
    photo, _ = two_faces
    pixels = faces._to_pixels(photo)
    for face in detect_faces(photo):
        error = np.abs(faces._landmarks(pixels, face.box) - face.landmarks).max()
        assert error < 1, f"landmarks {error:.2f} px from the detector's"


@pytest.mark.parametrize("turns", faces.SIDEWAYS)
def test_a_point_found_in_a_turned_photo_is_put_back_where_it_was(turns):
    photo = torch.zeros(1, 4, 7)
    photo[0, 2, 5] = 1  # x 5, y 2
    turned = torch.rot90(photo, turns, (1, 2))
    y, x = (float(i) for i in torch.nonzero(turned[0])[0])
    found = faces.Face(box=(x, y, x + 1, y + 1), landmarks=np.array([[x, y]] * 5))
    back = faces._turned_back(found, turns, 4, 7)
    np.testing.assert_allclose(back.landmarks, [[5, 2]] * 5)
    assert (back.box[0], back.box[1]) <= (5, 2) <= (back.box[2], back.box[3]), back.box


@needs_val
def test_faces_of_a_photo_turned_sideways_are_found_where_they_are(two_faces):
    """A photo saved a quarter turn off (no EXIF orientation) has no face upright: each face is
    found turned and given in the photo's own pixels, as detected on the photo upright."""
    photo, _ = two_faces
    sideways = torch.rot90(photo, 3, (1, 2))  # a quarter turn clockwise
    assert detect_faces(sideways) == [], "the detectors do not see these faces lying sideways"
    upright = [face.landmarks for face in detect_faces(photo)]
    found = [face.landmarks for face in faces.detect_faces_any_way_up(sideways)]
    expected = [
        faces._turned_back(faces.Face((0, 0, 0, 0), points), 1, *sideways.shape[1:]).landmarks
        for points in upright
    ]  # the upright landmarks in the sideways photo, which one more quarter turn sets upright
    assert len(found) == len(expected) == 2
    for points in found:
        error = min(np.abs(points - other).max() for other in expected)
        assert error < 2, f"landmarks {error:.2f} px from the upright photo's"


@needs_val
def test_faces_behind_the_papers_holes_are_found(two_faces):
    """The eyes and nose hidden, their landmarks are found with the mean face shown in the hole
    (measured: 0.9 and 1.1 aligned px from the template on average; 1.8 and 4.0 over the smooth
    fill alone; 0.9 and 1.9 without holes)."""
    photo, truths = two_faces
    missing = torch.zeros(photo.shape[1:], dtype=torch.bool)
    for truth in truths:
        missing |= frame_mask(truth, PAPER_HOLE, *photo.shape[1:])
    found = detect_faces(fill_missing(photo * ~missing, missing), missing)
    assert len(found) == 2, f"expected the two faces, found {len(found)}"
    for face, truth in zip(found, truths, strict=True):
        error = np.linalg.norm(truth.to_aligned(face.landmarks) - face_template(), axis=1).mean()
        assert error < 2, f"landmarks {error:.1f} aligned px from the template"


def test_a_hole_of_a_faces_size_where_there_is_no_face_finds_none():
    photo = smooth_photo(240, 400)
    missing = torch.zeros(240, 400, dtype=torch.bool)
    missing[100:140, 180:220] = True
    assert detect_faces(fill_missing(photo * ~missing, missing), missing) == []


def test_a_weak_face_holding_a_hole_of_a_faces_size_is_kept_unchecked(monkeypatch):
    """A weak HOG face whose box holds a hole half its width (a face's hole is half its frame)
    is kept as it is: the hole explains the low score, and the CNN is not asked."""
    holding = square_face(100, 45, side=40)
    scores = [(square_face(30, 40), faces.HOG_SURE), (holding, -0.3)]
    monkeypatch.setattr(faces, "_find", lambda detector, predictor, pixels, scale: scores)
    monkeypatch.setattr(faces, "_cnn_around", lambda *args, **kwargs: pytest.fail("CNN asked"))
    missing = torch.zeros(80, 220, dtype=torch.bool)
    missing[30:50, 90:110] = True
    found = detect_faces(torch.zeros(3, 80, 220), missing)
    assert holding in found


def test_the_cnn_sees_large_photos_and_faces_shrunk_to_its_budget(monkeypatch):
    """The CNN costs about 10 s per megapixel: a 2000 x 2000 photo without a HOG face is searched
    shrunk to the CNN's pixel budget, and a 500 px face is checked shrunk to CNN_FACE px; HOG
    still sees the photo at full size, where faces of 80 px are found."""
    seen = []  # (pixels the detector is shown, scale)

    def find(detector, predictor, pixels, scale):
        seen.append((pixels.shape[0] * pixels.shape[1] * scale**2, scale))
        return []

    monkeypatch.setattr(faces, "_find", find)
    assert detect_faces(torch.zeros(3, 2000, 2000)) == []
    (hog_pixels, hog_scale), (cnn_pixels, _) = seen
    assert hog_scale == 1 and cnn_pixels == pytest.approx(faces.MAX_CNN_PIXELS, rel=0.01)

    seen.clear()
    faces._cnn_around(np.zeros((2000, 2000, 3), np.uint8), (1000.0, 1000.0), 500.0)
    assert seen[0][1] == pytest.approx(faces.CNN_FACE / 500), "the face shrunk to CNN_FACE px"


def test_mtcnn_looks_for_faces_of_a_size_that_keeps_it_within_its_budget(monkeypatch):
    """MTCNN's cost grows with the pixels of its finest scale: on a 2000 x 2000 photo it looks
    for faces from 34 px (MAX_MTCNN_PIXELS), on a 500 x 500 one from the 10 px asked for."""
    sizes = []

    class Recorder:
        def detect(self, pixels):
            return None, None

    def mtcnn(min_face):
        sizes.append(min_face)
        return Recorder()

    monkeypatch.setattr(faces, "_mtcnn", mtcnn)
    for side in (2000, 500):
        faces._mtcnn_boxes(np.zeros((side, side, 3), np.uint8), 10)
    assert sizes == [34, 10]


@needs_val
def test_landmarks_of_placed_frames_land_on_the_template(two_faces):
    photo, truths = two_faces
    faces = detect_faces(photo)
    assert len(faces) == 2, f"expected the two faces, found {len(faces)}"
    for face, truth in zip(faces, truths, strict=True):  # reading order: left face first
        aligned = truth.to_aligned(face.landmarks)
        error = np.linalg.norm(aligned - face_template(), axis=1).mean()
        assert error < 4, f"landmarks {error:.1f} aligned px from the template"


@needs_val
def test_faces_that_dlibs_detectors_miss_are_found_by_mtcnn(two_faces, monkeypatch):
    """With HOG and dlib's CNN finding nothing (faces in sunglasses, turned or dark are their
    misses), MTCNN finds both faces, and dlib's landmarks in the box mapped from MTCNN's land as
    well as the detectors' own."""
    monkeypatch.setattr(faces, "_find", lambda detector, predictor, pixels, scale: [])
    photo, truths = two_faces
    found = detect_faces(photo)
    assert len(found) == 2, f"expected the two faces, found {len(found)}"
    for face, truth in zip(found, truths, strict=True):
        aligned = truth.to_aligned(face.landmarks)
        error = np.linalg.norm(aligned - face_template(), axis=1).mean()
        assert error < 4, f"landmarks {error:.1f} aligned px from the template"


@needs_val
def test_mtcnn_faces_it_is_unsure_of_are_kept_as_dlibs_cnn_sees_them(two_faces, monkeypatch):
    """With HOG finding nothing and MTCNN sure of nothing, both faces are MTCNN's likely ones:
    each checked by dlib's CNN in a crop around it, and kept with landmarks on the template."""
    monkeypatch.setattr(faces, "_hog", lambda hog: lambda image: [])
    monkeypatch.setattr(faces, "MTCNN_SURE", 1.01)
    checks = []
    cnn_around = faces._cnn_around

    def recorded(pixels, centre, reach, *args, **kwargs):
        checks.append(centre)
        return cnn_around(pixels, centre, reach, *args, **kwargs)

    monkeypatch.setattr(faces, "_cnn_around", recorded)
    photo, truths = two_faces
    found = detect_faces(photo)
    assert len(checks) == 2 and len(found) == 2, f"{len(checks)} checks, {len(found)} faces"
    for face, truth in zip(found, truths, strict=True):
        error = np.linalg.norm(truth.to_aligned(face.landmarks) - face_template(), axis=1).mean()
        assert error < 4, f"landmarks {error:.1f} aligned px from the template"


@needs_val
def test_the_detection_benchmark_counts_faces_found_missed_and_false(two_faces):
    """`ganmap benchmark --photos DIR --detection`: on the two faces' photo, gray, both faces
    are found; a third true frame over the bare canvas, 40 px across, is counted as missed; and
    with only that one listed, the two faces found are false faces."""
    photo, truths = two_faces
    nowhere = frame_at(40 / 64, 0, (330, 20))
    photos = [("two.png", photo, [*truths, nowhere]), ("none.png", photo, [nowhere])]
    records = detection(photos, ["colorization"])
    table = detection_markdown(records, ["colorization"])
    assert "| colorization | 2 of 4 | 2 of 4 | 2 in 2 photos |" in table, table


@needs_val
def test_the_photo_benchmark_scores_ours_and_the_classical_method_on_every_face(
    tiny_pipeline, two_faces
):
    """`ganmap benchmark --photos DIR`: each true face scored for both methods, on its aligned
    frame of the clean photo, and found; the gray photo, colourless, is not the clean one."""
    photo, truths = two_faces
    records = evaluate(tiny_pipeline, [("two.png", photo, truths)], ["colorization"])
    faces = [r for r in records if "psnr" in r]
    assert sorted(r["method"] for r in faces) == ["Gray photo"] * 2 + ["Ours"] * 2
    assert all(r["found"] for r in faces if r["method"] == "Ours"), "both faces found"
    assert all(10 < r["psnr"] < 40 for r in faces), [r["psnr"] for r in faces]
    table = markdown(records, ["colorization"])
    assert "| colorization | faces found | 100% | 100% | 100% |" in table, table


@pytest.mark.parametrize(
    "index, centre", [(0, (224, 97)), (1, (262, 180))], ids=["astronaut", "grace-hopper"]
)
def test_each_outside_photo_has_one_face_where_it_should(index, centre):
    """The benchmark's portraits from other sources: one face each, its frame's centre within 10 px
    of where a person would put it (the astronaut's face is up and left of the middle, Grace
    Hopper's in the upper middle)."""
    photo, frames = detected_photo(outside_photos()[index], 512)
    assert photo.shape[2] == 512 and len(frames) == 1, f"{len(frames)} faces in {photo.shape}"
    found = frames[0].to_photo(np.array([[31.5, 31.5]]))[0]
    assert np.linalg.norm(found - centre) < 10, f"face centre at {found}, expected {centre}"


def test_outside_photos_without_the_eval_extra_say_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.cbook", None)  # as if matplotlib were absent
    with pytest.raises(ModuleNotFoundError, match=re.escape("pip install 'ganmap[eval]'")):
        outside_photos()


def test_no_face_raises_with_advice(tiny_pipeline):
    photo = smooth_photo(120, 160)
    with pytest.raises(NoFaceError, match=r"pipe\(image, task\)"):
        tiny_pipeline.restore_photo(photo, "denoising", progress=False)
    with pytest.raises(ValueError):  # a ValueError subclass
        corrupt_photo(photo, "inpainting")


@needs_val
def test_inpainting_keeps_every_observed_pixel(tiny_pipeline, two_faces):
    photo, _ = two_faces
    observed, mask = corrupt_photo(photo, "inpainting")
    out = tiny_pipeline.restore_photo(observed, "inpainting", mask=mask, progress=False)
    assert isinstance(out, PhotoRestorationOutput) and len(out.faces) >= 1
    kept = np.asarray(mask) < 128
    assert np.array_equal(np.asarray(out.image)[kept], np.asarray(observed)[kept])
    assert not np.array_equal(np.asarray(out.image)[~kept], np.asarray(observed)[~kept])
    for face in out.faces:
        assert face.restoration.size == (64, 64) and face.landmarks.shape == (5, 2)


@needs_val
def test_colorization_keeps_the_photos_luma(tiny_pipeline, two_faces):
    photo, _ = two_faces
    gray, _ = corrupt_photo(photo, "colorization")
    out = tiny_pipeline.restore_photo(gray, "colorization", progress=False)
    assert out.image.mode == "RGB" and out.image.size == gray.size
    restored_luma = luma(to_tensor(out.image)[None])[0]
    assert (restored_luma - to_tensor(gray)).abs().max() < 0.02
    assert to_tensor(out.image).std(0).max() > 0.02, "some colour was added"


@needs_val
def test_super_resolution_output_is_four_times_the_observation(tiny_pipeline, frames):
    places = [Placement(260, 0, (160, 160)), Placement(140, 5, (420, 160))]
    photo, _ = compose(smooth_photo(320, 560), frames[:2], places)
    small, mask = corrupt_photo(photo, "super-resolution")
    assert small.size == (140, 80) and mask is None
    out = tiny_pipeline.restore_photo(small, "super-resolution", progress=False)
    assert out.image.size == (560, 320) and len(out.faces) == 2
    large, medium = (face.box[2] - face.box[0] for face in out.faces)
    assert 200 < large < 300 and 100 < medium < 170, "boxes are in the output photo's pixels"
    # the large face is 65 px in the small photo: bicubic stands; the other is 35, restored
    side = out.faces[1].observation.size[0]
    assert out.faces[0].observation.size == (64, 64) and 28 < side < 40


def test_a_face_under_8_px_in_the_small_photo_is_restored_from_8_px(tiny_pipeline, monkeypatch):
    """The pipeline takes images from MIN_SIDE (8) px on: a face found 6 px across in the photo
    given is sampled at 8 px, rather than the whole photo refused."""
    frame = frame_at(24 / 64, 0, (40.0, 40.0))  # 24 px across in the 4x larger output photo
    found = [faces.Face(box=(40, 40, 64, 64), landmarks=frame.to_photo(face_template()))]
    monkeypatch.setattr(photo_module, "detect_faces_any_way_up", lambda *args, **kwargs: found)
    out = tiny_pipeline.restore_photo(smooth_photo(30, 30), "super-resolution", progress=False)
    assert out.image.size == (120, 120) and out.faces[0].observation.size == (8, 8)


@needs_val
def test_denoising_restores_the_whole_photo(tiny_pipeline, two_faces):
    """Even with an untrained model (the tiny pipeline's faces are noise) the classical patch
    filter around the faces and the full-resolution Wiener step take most noise away."""
    photo, frames = two_faces
    noisy, _ = corrupt_photo(photo, "denoising", seed=1)
    again, _ = corrupt_photo(photo, "denoising", seed=1)
    assert np.array_equal(np.asarray(noisy), np.asarray(again)), "seeded"
    out = tiny_pipeline.restore_photo(noisy, "denoising", progress=False)
    assert len(out.faces) == 2 and out.image.size == noisy.size
    before, after = (
        psnr(to_tensor(image)[None], photo[None]).item() for image in (noisy, out.image)
    )
    assert after > before + 6, f"{before:.1f} dB noisy, {after:.1f} dB restored"


@dataclass(frozen=True)
class Blur(Task):
    """A task of one's own with only what the pipeline needs: a 3 x 3 box blur."""

    name: ClassVar[str] = "blur"

    def corrupt(self, clean: torch.Tensor, generator=None) -> torch.Tensor:
        return self.forward(clean)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(F.pad(image, (1, 1, 1, 1), mode="replicate"), 3, stride=1)


@needs_val
def test_a_task_of_ones_own_restores_a_whole_photo(tiny_pipeline, two_faces):
    photo, _ = two_faces
    observed, mask = corrupt_photo(photo, Blur())
    assert mask is None and observed.size == (400, 240)
    assert torch.allclose(to_tensor(observed), Blur().corrupt(photo[None])[0], atol=1 / 255)
    out = tiny_pipeline.restore_photo(observed, Blur(), progress=False)
    assert out.image.size == observed.size and len(out.faces) == 2
    restored, seen = np.asarray(out.image), np.asarray(observed)
    for face in out.faces:  # each face restored from its 64 x 64 frame, as it is
        assert face.observation.size == (64, 64)
        x0, y0, x1, y1 = (round(v) for v in face.box)
        assert not np.array_equal(restored[y0:y1, x0:x1], seen[y0:y1, x0:x1])
    # the default background is the photo itself: far from the faces nothing changes
    assert np.array_equal(restored[:20, :20], seen[:20, :20])
    assert np.array_equal(restored[-20:, -20:], seen[-20:, -20:])


@needs_val
def test_bad_masks_are_refused_before_any_work(tiny_pipeline, two_faces):
    photo, _ = two_faces
    with pytest.raises(ValueError, match="photo's size"):
        tiny_pipeline.restore_photo(photo, "inpainting", mask=np.ones((10, 10), bool))
    with pytest.raises(ValueError, match="only used for inpainting"):
        tiny_pipeline.restore_photo(photo, "denoising", mask=np.ones((240, 400), bool))


@pytest.mark.parametrize(
    "task, scale, expected",
    [
        (Denoising(sigma=0.1), 0.5, Denoising(sigma=0.2)),  # enlarged 2x: its noise band as 0.2
        (Denoising(sigma=0.1), 2.0, Denoising(sigma=0.05)),  # averaging 2 x 2 halves it
        (Quantization(levels=5), 1.2, Quantization(levels=5)),  # nearest sampling: still quantized
        (Quantization(levels=5), 3.0, Quantization(levels=5)),  # banding does not average away
        (Quantization(levels=5), 0.5, Quantization(levels=5)),  # enlarged: interpolated
        (SuperResolution(factor=4, kernel="box"), 0.5, SuperResolution(factor=2, kernel="area")),
        (SuperResolution(factor=4, kernel="bicubic"), 0.25, SuperResolution(4, "bicubic")),
        (SuperResolution(4, "box"), 0.05, SuperResolution(factor=8, kernel="area")),  # MIN_SIDE
    ],
)
def test_each_face_gets_the_task_of_its_real_size(task, scale, expected):
    photo = smooth_photo(256, 256)  # (for super-resolution, the low-resolution photo)
    if not isinstance(task, SuperResolution):
        photo = task.corrupt(photo[None])[0]
    observation, per_face = face_task(photo, frame_at(scale, 10, (100, 90)), task, None)
    assert type(per_face) is type(expected), f"{per_face} is not a {type(expected).__name__}"
    assert vars(per_face) == pytest.approx(vars(expected)), f"{per_face} != {expected}"
    assert observation.shape[-1] == expected.observation_side
    if isinstance(per_face, Quantization):  # shrunk by nearest sampling: values on the levels
        levels = observation * (task.levels - 1)
        on_levels = torch.isclose(levels, levels.round(), atol=1e-5)
        assert on_levels.all() if scale > 1 else not on_levels.all()


def test_super_resolution_of_a_face_of_64_px_or_more_adds_nothing():
    photo = smooth_photo(200, 200)
    _, per_face = face_task(photo, frame_at(1.1, 0, (20, 20)), SuperResolution(factor=4), None)
    assert per_face is None
