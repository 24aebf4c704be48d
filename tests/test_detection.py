"""What `detect_faces` believes of its detectors. The detectors here are scripted (`Scripted`):
each test says, in the photo's pixels, which faces HOG, dlib's CNN and MTCNN see and how sure
they are, and checks which faces detection keeps and which looks it takes. The photos are black,
so that what a detector is shown beyond that is the mean face in a hole. Detection with the real
models, on real photos, is in test_photo.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from photos_helpers import Scripted, Seen, centre, face_in, frame_at, square

from ganmap.photo.alignment import mean_face
from ganmap.photo.detection import DetectionConfig, Face, detect_faces, detect_faces_any_way_up

DEFAULT = DetectionConfig()
#: MTCNN's boxes taken as dlib's, so that a test can say which box it expects
AS_DLIB = DetectionConfig(mtcnn_box=(0.0, 0.0, 1.0))


def boxes(faces: list[Face]) -> list[tuple[float, ...]]:
    return [tuple(round(v, 6) for v in face.box) for face in faces]


def black(height: int, width: int) -> torch.Tensor:
    return torch.zeros(3, height, width)


def test_hog_faces_short_of_sure_are_kept_only_where_the_cnn_finds_them_too():
    """HOG's sure faces stay as they are. Its likely ones (from `hog_threshold`, where a
    posterized photo's false faces score too) and its weak ones are each checked by the CNN in a
    crop around them, and kept as the CNN sees them, or dropped where it sees no face there; a
    face the CNN sees beside the one checked is not taken for it."""
    between = (DEFAULT.hog_threshold + DEFAULT.hog_sure) / 2
    strong, likely, weak, false = (square(x, 40) for x in (30, 100, 170, 240))
    scripted = Scripted(
        hog=[Seen(strong, DEFAULT.hog_sure), Seen(likely, between), Seen(weak, -0.2)]
        + [Seen(false, -0.5)],
        # the CNN sees the likely and weak faces a little shifted, and a small face beside one
        cnn=[Seen(square(102, 41), 0.9), Seen(square(172, 41), 0.9), Seen(square(118, 58, 8), 1)],
    )
    detectors, looks = scripted.recorded()
    found = detect_faces(black(80, 300), detectors=detectors)
    checked = [
        box
        for box in (strong, likely, weak, false)
        if any(look.model == "cnn" and look.holds(centre(box)) for look in looks)
    ]
    assert checked == [likely, weak, false], "every face HOG is not sure of is checked, only those"
    assert boxes(found) == boxes(
        [face_in(strong), face_in(square(102, 41)), face_in(square(172, 41))]
    ), "the sure face stays, the likely and weak ones become the CNN's, the false one is dropped"


def test_weak_hog_faces_that_mtcnn_is_sure_of_need_no_cnn_check():
    """A weak HOG face where MTCNN is sure of the same face (each box's centre in the other) is
    kept as MTCNN found it, without the CNN's check (0.3 s); a small weak one at the edge of
    MTCNN's box, whose own box does not hold MTCNN's centre, is still checked."""
    weak, edge, sure = square(100, 40), square(121, 58, side=6), (82, 22, 122, 62)
    scripted = Scripted(hog=[Seen(weak, -0.2), Seen(edge, -0.5)], mtcnn=[Seen(sure, 0.99)])
    detectors, looks = scripted.recorded()
    found = detect_faces(black(80, 200), detectors=detectors, config=AS_DLIB)
    cnn = [look for look in looks if look.model == "cnn"]
    assert len(cnn) == 1 and cnn[0].holds((121, 58)), (
        "only the face MTCNN is not sure of is checked"
    )
    assert not cnn[0].holds((100, 40)), "the weak face MTCNN is sure of is not checked"
    assert boxes(found) == [sure], "MTCNN's box, once"


def test_mtcnn_faces_short_of_sure_are_kept_only_where_the_cnn_finds_them_too():
    """A face that only MTCNN finds, with a probability from `mtcnn_checked` to `mtcnn_sure` (a
    small face in sunglasses, gray), is checked by the CNN as a weak HOG face is: kept as the
    CNN sees it, or dropped where it sees no face. One that HOG found too is not checked."""
    between = (DEFAULT.mtcnn_checked + DEFAULT.mtcnn_sure) / 2
    hog_face, face, false = square(42, 40), square(120, 40), square(200, 40)
    scripted = Scripted(
        hog=[Seen(square(40, 40), 2.0)],
        mtcnn=[Seen(hog_face, between), Seen(face, between), Seen(false, between)],
        cnn=[Seen(square(122, 41), 0.9)],
    )
    detectors, looks = scripted.recorded()
    found = detect_faces(black(80, 240), detectors=detectors, config=AS_DLIB)
    checked = [
        x
        for x in (40, 120, 200)
        if any(look.model == "cnn" and look.holds((x, 40)) for look in looks)
    ]
    assert checked == [120, 200], "HOG's face is not checked again"
    assert boxes(found) == boxes([face_in(square(40, 40)), face_in(square(122, 41))])


def test_mtcnn_faces_are_kept_if_sure_checked_if_likely_and_dropped_below():
    """MTCNN's faces from `mtcnn_sure` are kept, in the box dlib would have drawn
    (`mtcnn_box`: shifted and enlarged from MTCNN's); from `mtcnn_checked`, checked by the CNN
    (which sees nothing here); less likely ones are neither kept nor checked."""
    scripted = Scripted(
        mtcnn=[
            Seen((10, 10, 30, 30), 0.99),
            Seen((50, 10, 70, 30), 0.9),
            Seen((90, 10, 110, 30), 0.5),
        ]
    )
    detectors, looks = scripted.recorded()
    (found,) = detect_faces(black(40, 120), detectors=detectors)
    shift_x, shift_y, side = DEFAULT.mtcnn_box
    x, y, half = 20 + shift_x * 20, 20 + shift_y * 20, side * 20 / 2
    assert found.box == pytest.approx((x - half, y - half, x + half, y + half)), "dlib's box"
    cnn = [look for look in looks if look.model == "cnn"]
    assert len(cnn) == 1 and cnn[0].holds((60, 20)) and not cnn[0].holds((100, 20))


def test_a_hole_no_face_covers_gets_one_closer_look_instead_of_its_weak_parts():
    """A 20 px hole at (100, 40), faces found beside it: HOG's weak detections smaller than the
    hole beside it (parts of the face around it) are not checked one by one; one CNN look around
    the hole, with the mean face shown in it, finds the face (kept: the CNN is confident and HOG
    agrees); the face beside it, which the look sees too, is not added twice. A weak detection
    much larger than the hole (over 1 / hole_share[0] times) is checked as anywhere else."""
    missing = torch.zeros(80, 220, dtype=torch.bool)
    missing[30:50, 90:110] = True
    strong, beside, around_hole = square(30, 40), square(128, 40, side=16), square(101, 41)
    part, wide, far = square(90, 30, side=12), square(100, 45, side=80), square(200, 40, side=12)
    scripted = Scripted(
        hog=[Seen(strong, 2.0), Seen(beside, 2.0), Seen(around_hole, 0.5, hidden=True)]
        + [Seen(part, -0.2), Seen(wide, -0.3), Seen(far, -0.4)],
        cnn=[Seen(around_hole, 0.9, hidden=True), Seen(square(129, 41, side=16), 0.9)],
    )
    detectors, looks = scripted.recorded()
    found = detect_faces(black(80, 220), missing, detectors=detectors)
    cnn = [look for look in looks if look.model == "cnn"]
    assert [look.holds(centre(wide)) for look in cnn] == [True, False, True], "wide, far, hole"
    assert [look.holds(centre(far)) for look in cnn] == [False, True, False]
    assert len(cnn) == 3, "the part beside the hole is not checked on its own"
    assert [look.shows_something for look in cnn] == [False, False, True], (
        "the look around the hole shows the mean face in it"
    )
    assert boxes(found) == boxes([face_in(strong), face_in(around_hole), face_in(beside)])


@pytest.mark.parametrize(
    "hog, mtcnn, kept",
    [(True, False, True), (False, True, True), (False, False, False)],
    ids=["hog-agrees", "mtcnn-agrees", "neither"],
)
def test_a_face_found_around_a_hole_is_kept_where_hog_or_mtcnn_agrees(hog, mtcnn, kept):
    """The CNN's face in the closer look around a hole (the mean face shown in it) is kept only
    where HOG or MTCNN finds it there too: a confident CNN alone finds faces in bare holes."""
    missing = torch.zeros(100, 100, dtype=torch.bool)
    missing[40:60, 40:60] = True
    face = Seen(square(50, 52), 0.9, hidden=True)
    scripted = Scripted(hog=[face] if hog else [], mtcnn=[face] if mtcnn else [], cnn=[face])
    found = detect_faces(black(100, 100), missing, detectors=scripted.detectors())
    assert len(found) == kept, f"{len(found)} faces"


def test_a_face_the_cnn_is_unsure_of_around_a_hole_is_dropped():
    """Under `hint_score`, the CNN's face around a hole is dropped even where HOG agrees: bare
    holes cut away from faces scored up to 0.6."""
    missing = torch.zeros(100, 100, dtype=torch.bool)
    missing[40:60, 40:60] = True
    unsure = Seen(square(50, 52), DEFAULT.hint_score - 0.05, hidden=True)
    scripted = Scripted(hog=[Seen(unsure.box, 0.5, hidden=True)], cnn=[unsure])
    assert detect_faces(black(100, 100), missing, detectors=scripted.detectors()) == []


def test_a_weak_face_holding_a_hole_of_a_faces_size_is_kept_unchecked():
    """A weak HOG face whose box holds a hole half its width (a face's hole is half its frame)
    is kept as it is: the hole explains the low score, and the CNN is not asked."""
    holding = square(100, 45, side=40)
    scripted = Scripted(hog=[Seen(square(30, 40), 2.0), Seen(holding, -0.3)])
    missing = torch.zeros(80, 220, dtype=torch.bool)
    missing[30:50, 90:110] = True
    detectors, looks = scripted.recorded()
    found = detect_faces(black(80, 220), missing, detectors=detectors)
    assert [look for look in looks if look.model == "cnn"] == [], "the CNN was asked"
    assert boxes([face_in(holding)])[0] in boxes(found)


def test_only_solid_holes_with_the_face_around_them_showing_get_a_closer_look():
    """A closer look (0.3-0.5 s each) is taken only around a hole that can hide a face's
    features: the paper's hole of a 64 px face, but not a thin scratch, a cluster of a
    random-pixel mask (the face shows through the fill) or a hole too small to hide eyes."""
    missing = torch.zeros(200, 300, dtype=torch.bool)
    missing[20:52, 20:52] = True  # the paper's hole of a 64 px face
    missing[100:103, 20:120] = True  # a scratch
    missing[150:160, 150:160] = True  # a blob in a random-pixel mask
    missing[130:180, 130:180] |= (
        torch.rand(50, 50, generator=torch.Generator().manual_seed(0)) < 0.3
    )
    missing[20:23, 200:203] = True  # too small to hide a face's features
    detectors, looks = Scripted().recorded()
    assert detect_faces(black(200, 300), missing, detectors=detectors) == []
    closer = [look for look in looks if look.model == "cnn" and look.shows_something]
    assert len(closer) == 1 and closer[0].holds((35.5, 35.5)), "the paper's hole only"


def test_the_closer_look_shows_the_mean_face_in_the_fills_colour_and_nothing_else_changes():
    """The hole (the centre of an upright frame 64 px across at (60, 40)) shows the middle of
    the mean face, shifted to the fill's mean colour; every other pixel is the photo's."""
    photo = torch.full((3, 120, 160), 0.5)
    missing = torch.zeros(120, 160, dtype=torch.bool)
    missing[40:72, 60:92] = True
    detectors, looks = Scripted().recorded()
    detect_faces(photo, missing, detectors=detectors)
    (look,) = [look for look in looks if look.model == "cnn" and look.window != (0, 0, 160, 120)]
    shown = torch.from_numpy(look.pixels).permute(2, 0, 1).float() / 255
    assert torch.equal(shown[:, ~missing], torch.full_like(shown[:, ~missing], 128 / 255))
    middle = mean_face()[:, 16:48, 16:48]
    expected = middle - middle.mean((1, 2), keepdim=True) + 0.5
    error = (shown[:, 40:72, 60:92] - expected).abs().max()
    assert error <= 0.5 / 255 + 1e-6, f"not the mean face: {error:.3f} off"


@pytest.mark.parametrize(
    ("scale", "shift", "own"),
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
def test_a_face_over_its_own_hole_has_its_landmarks_predicted_with_the_mean_face_shown(
    scale, shift, own
):
    """dlib guesses hidden eyes and nose 2.3-2.5 aligned px off over a smooth fill, 1.0-1.2 with
    the mean face shown, so a face over its own hole has its landmarks predicted again so. A
    hole is a face's own where its frame fits the face's (`hole_fit`): here a face on the
    template of an upright frame 96 px across, a square hole `scale` times the paper's hole's
    size, `shift` aligned px right of the frame's centre."""
    face_frame = frame_at(1.5, 0, (20.0, 30.0))
    side = round(32 * 1.5 * scale)
    x, y = face_frame.to_photo(np.array([[31.5 + shift, 31.5]]))[0]
    missing = torch.zeros(200, 200, dtype=torch.bool)
    missing[
        round(y - side / 2) : round(y + side / 2), round(x - side / 2) : round(x + side / 2)
    ] = 1
    box = (20.0, 30.0, 116.0, 126.0)
    detectors, looks = Scripted(hog=[Seen(box, 2.0)]).recorded()
    (found,) = detect_faces(black(200, 200), missing, detectors=detectors)
    again = [look for look in looks if look.model == "landmarks"]
    assert len(again) == own, f"landmarks predicted again {len(again)} times"
    assert all(look.shows_something and look.holds((x, y)) for look in again), "the mean face"


def test_large_photos_and_faces_are_shown_to_the_cnn_shrunk_to_its_budget():
    """The CNN costs about 10 s per megapixel: a 2000 x 2000 photo without a face is searched
    shrunk to the CNN's pixel budget (`max_cnn_pixels`), and a 500 px face is checked shrunk to
    `cnn_face` px; HOG still sees the photo at full size, where faces of 80 px are found."""
    detectors, looks = Scripted().recorded()
    assert detect_faces(black(2000, 2000), detectors=detectors) == []
    hog, cnn = (next(look for look in looks if look.model == m) for m in ("hog", "cnn"))
    assert hog.scale == 1 and hog.window == (0, 0, 2000, 2000)
    assert 2000**2 * cnn.scale**2 == pytest.approx(DEFAULT.max_cnn_pixels, rel=0.01)

    detectors, looks = Scripted(hog=[Seen(square(1000, 1000, 500), -0.5)]).recorded()
    detect_faces(black(2000, 2000), detectors=detectors)
    check = next(look for look in looks if look.model == "cnn")
    assert check.scale == pytest.approx(DEFAULT.cnn_face / 500), "the face shrunk to cnn_face px"


def test_mtcnn_looks_for_faces_of_a_size_that_keeps_it_within_its_budget():
    """MTCNN's cost grows with the pixels of its finest scale: on a 2000 x 2000 photo it looks
    for faces from 34 px (`max_mtcnn_pixels`), on a 500 x 500 one from the 10 px asked for."""
    sizes = []
    for side in (2000, 500):
        detectors, looks = Scripted().recorded()
        detect_faces(black(side, side), min_face=10, detectors=detectors)
        sizes.append(next(look.scale for look in looks if look.model == "mtcnn"))
    assert sizes == [34, 10]


@pytest.mark.parametrize("turns", [1, 3])
def test_faces_found_only_in_the_photo_turned_are_given_where_they_are(turns):
    """A photo saved a quarter turn off: where no face is found upright, the photo is searched
    turned (`sideways`), and each face found is given in the photo's own pixels. Here the
    scripted HOG sees a face at the lit pixel (x 5, y 2), but only in a photo taller than wide
    (turned), as a face lying sideways stands up in the turned photo."""
    photo = torch.zeros(3, 4, 7)
    photo[:, 2, 5] = 1

    def hog(pixels, window, scale, threshold):
        if pixels.shape[0] <= pixels.shape[1]:
            return []
        y, x = (float(v) for v in np.argwhere(pixels[..., 0])[0])
        return [(Face(box=(x, y, x + 1, y + 1), landmarks=np.array([[x, y]] * 5)), 2.0)]

    detectors = dataclasses.replace(Scripted().detectors(), hog=hog)
    config = DetectionConfig(sideways=(turns,))
    (found,) = detect_faces_any_way_up(photo, detectors=detectors, config=config)
    np.testing.assert_allclose(found.landmarks, [[5, 2]] * 5)
    assert found.box[0] <= 5 <= found.box[2] and found.box[1] <= 2 <= found.box[3], found.box
