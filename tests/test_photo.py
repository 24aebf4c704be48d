"""Whole photos: detection with the real detectors, the alignment template, the warps,
paste-back and `restore_photo`. The photos come with the packages: generator faces placed on a
canvas (their aligned frames known exactly), scikit-image's astronaut and camera, matplotlib's
Grace Hopper (`photos_helpers`); nothing here needs ../shared. The tiny random pipeline
restores, so these check geometry and bookkeeping, not quality. What detection believes of each
detector is specified with scripted detectors in test_detection.py."""

from __future__ import annotations

import dataclasses
import re
import sys
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from photos_helpers import (
    Scripted,
    Seen,
    faces_photo,
    frame_at,
    landmark_error,
    recorded,
    smooth_photo,
    to_pixels,
    two_faces,
)
from skimage.data import camera

from ganmap import NoFaceError, PhotoRestorationOutput, corrupt_photo
from ganmap.base.colour import luma
from ganmap.base.images import to_tensor
from ganmap.classical import fills
from ganmap.classical.fills import fill_missing
from ganmap.evaluation.metrics import psnr
from ganmap.evaluation.photo_benchmark import detection, detection_markdown, evaluate, markdown
from ganmap.evaluation.photo_sets import Placement, detected_photo, outside_photos
from ganmap.operators import Denoising, Quantization, SuperResolution, Task
from ganmap.photo.alignment import (
    add_from_frame,
    face_template,
    faces_weight,
    frame_mask,
    similarity,
    warp_to_frame,
)
from ganmap.photo.detection import (
    DetectionConfig,
    Detectors,
    detect_faces,
    detect_faces_any_way_up,
    hole_frame,
)
from ganmap.photo.pipeline import face_task

PAPER_HOLE = torch.zeros(64, 64, dtype=torch.bool)
PAPER_HOLE[16:48, 16:48] = True
NOTHING = Scripted().detectors()  # detectors that see no face


@pytest.fixture(scope="module")
def two() -> tuple[torch.Tensor, list]:
    """A 400 x 240 photo with two generator faces, 56 and 120 px across, turned 8 and -6
    degrees, and their aligned frames."""
    return two_faces()


def paper_holes(photo: torch.Tensor, truths: list) -> torch.Tensor:
    """(H, W) True over each face's paper hole, the centre 32 x 32 of its aligned frame."""
    missing = torch.zeros(photo.shape[1:], dtype=torch.bool)
    for truth in truths:
        missing |= frame_mask(truth, PAPER_HOLE, *photo.shape[1:])
    return missing


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


def test_holes_too_large_for_the_biharmonic_fill_are_filled_by_push_pull():
    """A hole of more than MAX_BIHARMONIC_PIXELS (the biharmonic fill's sparse system grows
    faster than the hole) is filled by push-pull: averages of what is around it, so the known
    pixels stay and the fill stays within their range."""
    side = int(fills.MAX_BIHARMONIC_PIXELS**0.5) + 1
    photo = smooth_photo(side + 40, side + 40)
    missing = torch.zeros(side + 40, side + 40, dtype=torch.bool)
    missing[20:-20, 20:-20] = True
    filled = fill_missing(photo, missing)
    assert torch.equal(filled[:, ~missing], photo[:, ~missing])
    assert filled.min() >= photo.min() - 1e-6 and filled.max() <= photo.max() + 1e-6


def test_landmarks_of_placed_faces_land_on_the_template(two):
    """Both faces found, in reading order, their landmarks in their true aligned frames within
    4 aligned px of the template (the training framing's)."""
    photo, truths = two
    found = detect_faces(photo)
    assert len(found) == 2, f"expected the two faces, found {len(found)}"
    for face, truth in zip(found, truths, strict=True):  # reading order: left face first
        error = landmark_error(face, truth)
        assert error < 4, f"landmarks {error:.1f} aligned px from the template"


def test_the_landmark_model_puts_a_found_faces_points_where_the_detector_did(two):
    """Landmarks predicted again for a found face's box (as for MTCNN's faces and faces over
    their own hole), from a crop around it at another scale, land where the detector put them
    (measured: within 0.4 and 0.7 px)."""
    photo, _ = two
    pixels, landmarks = to_pixels(photo), Detectors.default().landmarks
    for face in detect_faces(photo):
        x0, y0, x1, y1 = face.box
        side = x1 - x0
        window = tuple(
            int(v)
            for v in (max(0, x0 - side / 2), max(0, y0 - side / 2), x1 + side / 2, y1 + side / 2)
        )
        again = landmarks(pixels, window, 100 / side, face.box)
        error = np.abs(again - face.landmarks).max()
        assert error < 1, f"landmarks {error:.2f} px from the detector's"


def test_faces_that_dlibs_detectors_miss_are_found_by_mtcnn(two):
    """With HOG and dlib's CNN finding nothing (faces in sunglasses, turned or dark are their
    misses), MTCNN finds both faces, and dlib's landmarks in the box mapped from MTCNN's land as
    well as the detectors' own."""
    photo, truths = two
    only_mtcnn = dataclasses.replace(Detectors.default(), hog=NOTHING.hog, cnn=NOTHING.cnn)
    found = detect_faces(photo, detectors=only_mtcnn)
    assert len(found) == 2, f"expected the two faces, found {len(found)}"
    for face, truth in zip(found, truths, strict=True):
        error = landmark_error(face, truth)
        assert error < 4, f"landmarks {error:.1f} aligned px from the template"


def test_mtcnn_faces_it_is_unsure_of_are_kept_as_dlibs_cnn_sees_them(two):
    """With HOG finding nothing and MTCNN sure of nothing, both faces are MTCNN's likely ones:
    each checked by dlib's CNN in a crop around it, and kept with landmarks on the template."""
    photo, truths = two
    detectors, looks = recorded(dataclasses.replace(Detectors.default(), hog=NOTHING.hog))
    found = detect_faces(photo, detectors=detectors, config=DetectionConfig(mtcnn_sure=1.01))
    checks = [look for look in looks if look.model == "cnn"]
    assert len(checks) == 2 and len(found) == 2, f"{len(checks)} checks, {len(found)} faces"
    for face, truth in zip(found, truths, strict=True):
        error = landmark_error(face, truth)
        assert error < 4, f"landmarks {error:.1f} aligned px from the template"


def test_faces_of_a_photo_turned_sideways_are_found_where_they_are(two):
    """A photo saved a quarter turn off (no EXIF orientation) has no face upright: each face is
    found turned and given in the photo's own pixels, as detected on the photo upright."""
    photo, truths = two
    sideways = torch.rot90(photo, 3, (1, 2))  # a quarter turn clockwise
    assert detect_faces(sideways) == [], "the detectors do not see these faces lying sideways"
    height = photo.shape[1]
    found = detect_faces_any_way_up(sideways)
    assert len(found) == 2, f"expected the two faces, found {len(found)}"
    for face in found:  # a point (x, y) upright is at (height - 1 - y, x) in the sideways photo
        x, y = face.landmarks[:, 1], height - 1 - face.landmarks[:, 0]
        upright = dataclasses.replace(face, landmarks=np.stack([x, y], 1))
        error = min(landmark_error(upright, truth) for truth in truths)
        assert error < 4, f"landmarks {error:.1f} aligned px from the template"


def test_faces_behind_the_papers_holes_are_found(two):
    """The eyes and nose hidden, their landmarks are found with the mean face shown in the hole
    (measured: 0.9 and 1.1 aligned px from the template on average; 1.8 and 4.0 over the smooth
    fill alone; 0.9 and 1.9 without holes)."""
    photo, truths = two
    missing = paper_holes(photo, truths)
    found = detect_faces(fill_missing(photo * ~missing, missing), missing)
    assert len(found) == 2, f"expected the two faces, found {len(found)}"
    for face, truth in zip(found, truths, strict=True):
        error = landmark_error(face, truth)
        assert error < 2, f"landmarks {error:.1f} aligned px from the template"


def test_a_random_pixel_mask_gets_no_closer_looks_around_its_clusters():
    """Half the pixels missing at random: the face shows through the fill, and none of the
    hundreds of clusters is looked into (each look costs the CNN about 0.5 s)."""
    photo, (truth,) = detected_photo(outside_photos()[0], 256)  # the astronaut
    missing = torch.rand(256, 256, generator=torch.Generator().manual_seed(0)) < 0.5
    filled = fill_missing(photo * ~missing, missing)
    detectors, looks = recorded(Detectors.default())
    (face,) = detect_faces(filled, missing, detectors=detectors)
    shown = to_pixels(filled)
    hinted = [look for look in looks if not np.array_equal(look.pixels, shown)]
    assert hinted == [], "a cluster was shown holding the mean face"
    centre = truth.to_aligned(face.landmarks.mean(0, keepdims=True))[0]
    assert np.linalg.norm(centre - (31.5, 40)) < 6, f"face centre at {centre} in its frame"


@pytest.mark.parametrize("angle", [-40, -12, 0, 25, 44])
def test_a_holes_pixels_give_back_the_face_frame_it_was_cut_from(angle):
    """The paper's hole (the centre 32 x 32 of the aligned frame) of a face 109 px across,
    turned `angle` degrees: its pixels alone give the frame back, to within a pixel."""
    truth = frame_at(1.7, angle, (60.3, 71.8))
    ys, xs = np.nonzero(frame_mask(truth, PAPER_HOLE, 200, 200).numpy())
    error = np.abs(hole_frame(xs, ys).corners() - truth.corners()).max()
    assert error < 1, f"the frame's corners are {error:.2f} px off"


def test_a_hole_of_a_faces_size_where_there_is_no_face_finds_none():
    photo = smooth_photo(240, 400)
    missing = torch.zeros(240, 400, dtype=torch.bool)
    missing[100:140, 180:220] = True
    assert detect_faces(fill_missing(photo * ~missing, missing), missing) == []


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


def test_the_face_in_a_gray_photo_turned_half_away_is_found():
    """scikit-image's camera man (one channel, public domain): his face, turned half away
    behind the camera, is the one face found, where it is (box centre about (224, 157))."""
    (face,) = detect_faces(to_tensor(camera()))
    x, y = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    assert abs(x - 224) < 15 and abs(y - 157) < 15, f"face at ({x:.0f}, {y:.0f})"


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


def test_the_detection_benchmark_counts_faces_found_missed_and_false(two):
    """`ganmap benchmark --photos DIR --detection`: on the two faces' photo, gray, both faces
    are found; a third true frame over the bare canvas, 40 px across, is counted as missed; and
    with only that one listed, the two faces found are false faces."""
    photo, truths = two
    nowhere = frame_at(40 / 64, 0, (330, 20))
    photos = [("two.png", photo, [*truths, nowhere]), ("none.png", photo, [nowhere])]
    records = detection(photos, ["colorization"])
    table = detection_markdown(records, ["colorization"])
    assert "| colorization | 2 of 4 | 2 of 4 | 2 in 2 photos |" in table, table


def test_the_photo_benchmark_scores_ours_and_the_classical_method_on_every_face(tiny_pipeline, two):
    """`ganmap benchmark --photos DIR`: each true face scored for both methods, on its aligned
    frame of the clean photo, and found; the gray photo, colourless, is not the clean one."""
    photo, truths = two
    records = evaluate(tiny_pipeline, [("two.png", photo, truths)], ["colorization"])
    faces = [r for r in records if "psnr" in r]
    assert sorted(r["method"] for r in faces) == ["Gray photo"] * 2 + ["Ours"] * 2
    assert all(r["found"] for r in faces if r["method"] == "Ours"), "both faces found"
    assert all(10 < r["psnr"] < 40 for r in faces), [r["psnr"] for r in faces]
    table = markdown(records, ["colorization"])
    assert "| colorization | faces found | 100% | 100% | 100% |" in table, table


def test_inpainting_keeps_every_observed_pixel(tiny_pipeline, two):
    photo, _ = two
    observed, mask = corrupt_photo(photo, "inpainting")
    out = tiny_pipeline.restore_photo(observed, "inpainting", mask=mask, progress=False)
    assert isinstance(out, PhotoRestorationOutput) and len(out.faces) >= 1
    kept = np.asarray(mask) < 128
    assert np.array_equal(np.asarray(out.image)[kept], np.asarray(observed)[kept])
    assert not np.array_equal(np.asarray(out.image)[~kept], np.asarray(observed)[~kept])
    for face in out.faces:
        assert face.restoration.size == (64, 64) and face.landmarks.shape == (5, 2)


def test_colorization_keeps_the_photos_luma(tiny_pipeline, two):
    photo, _ = two
    gray, _ = corrupt_photo(photo, "colorization")
    out = tiny_pipeline.restore_photo(gray, "colorization", progress=False)
    assert out.image.mode == "RGB" and out.image.size == gray.size
    restored_luma = luma(to_tensor(out.image)[None])[0]
    assert (restored_luma - to_tensor(gray)).abs().max() < 0.02
    assert to_tensor(out.image).std(0).max() > 0.02, "some colour was added"


def sepia(photo: torch.Tensor) -> torch.Tensor:
    """A sepia print of `photo` (3, H, W): its luma, toned brown."""
    gray = luma(photo[None])[0]
    return torch.cat([gray * 1.07 + 0.03, gray * 0.95 + 0.02, gray * 0.75]).clamp(0, 1)


def test_a_toned_photo_keeps_its_tone_where_no_face_is(tiny_pipeline, two):
    """Colorization of a sepia print colours the faces and leaves the print around them as it
    was: its luma exact, its brown kept away from the faces. A gray photo given in RGB is
    restored as the same photo given as one channel: there is no tone to keep."""
    photo, _ = two
    toned = sepia(photo)
    out = to_tensor(tiny_pipeline.restore_photo(toned, "colorization", progress=False).image)
    assert (luma(out[None]) - luma(toned[None])).abs().max() < 0.01, "the print's luma kept"
    far = (slice(None), slice(0, 40), slice(360, 400))  # the top right corner
    tone = (toned - luma(toned[None])[0])[far].mean((1, 2))
    kept = (out - luma(out[None])[0])[far].mean((1, 2))
    assert tone.abs().max() > 0.05 and torch.allclose(kept, tone, atol=0.015), (tone, kept)

    gray = luma(photo[None])[0]
    as_rgb = tiny_pipeline.restore_photo(gray.expand(3, -1, -1), "colorization", progress=False)
    as_gray = tiny_pipeline.restore_photo(gray, "colorization", progress=False)
    assert (to_tensor(as_rgb.image) - to_tensor(as_gray.image)).abs().max() <= 1 / 255


def test_super_resolution_output_is_four_times_the_observation(tiny_pipeline):
    """The photo 4x smaller, restored 4x larger, the faces' boxes in the output's pixels; a face
    of 80 px in the small photo (64 px or more) stays bicubic, one of 35 px is restored at its
    size."""
    places = [Placement(320, 0, (180, 180)), Placement(140, 5, (480, 180))]
    photo, _ = faces_photo(360, 640, places)
    small, mask = corrupt_photo(photo, "super-resolution")
    assert small.size == (160, 90) and mask is None
    out = tiny_pipeline.restore_photo(small, "super-resolution", progress=False)
    assert out.image.size == (640, 360) and len(out.faces) == 2
    large, medium = (face.box[2] - face.box[0] for face in out.faces)
    assert 220 < large < 340 and 100 < medium < 170, "boxes are in the output photo's pixels"
    side = out.faces[1].observation.size[0]
    assert out.faces[0].observation.size == (64, 64) and 28 < side < 40


def test_a_face_under_8_px_in_the_small_photo_is_restored_from_8_px(tiny_pipeline):
    """The pipeline takes images from MIN_SIDE (8) px on: a face found 6 px across in the photo
    given is sampled at 8 px, rather than the whole photo refused."""
    box = (40.0, 40.0, 64.0, 64.0)  # 24 px across in the 4x larger output photo
    found = Scripted(hog=[Seen(box, 2.0)]).detectors()
    out = tiny_pipeline.restore_photo(
        smooth_photo(30, 30), "super-resolution", progress=False, detectors=found
    )
    assert out.image.size == (120, 120) and out.faces[0].observation.size == (8, 8)


def test_the_faces_to_corrupt_are_found_by_the_detectors_given(two):
    """`corrupt_photo` cuts each face's paper hole where the detectors passed find the faces."""
    photo, _ = two
    box = (100.0, 50.0, 164.0, 114.0)  # a 64 px face the scripted HOG sees
    _, mask = corrupt_photo(
        photo, "inpainting", detectors=Scripted(hog=[Seen(box, 2.0)]).detectors()
    )
    missing = np.asarray(mask) > 127
    assert 900 < missing.sum() < 1150 and missing[82, 132], "the centre 32 x 32 of that face"


def test_denoising_restores_the_whole_photo(tiny_pipeline, two):
    """Even with an untrained model (the tiny pipeline's faces are noise) the classical patch
    filter around the faces and the full-resolution Wiener step take most noise away."""
    photo, _ = two
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


def test_a_task_of_ones_own_restores_a_whole_photo(tiny_pipeline, two):
    photo, _ = two
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


def test_bad_masks_are_refused_before_any_work(tiny_pipeline, two):
    photo, _ = two
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
