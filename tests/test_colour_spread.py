"""Spreading the faces' colours over a gray photo: constructed photos with one face's frame."""

import numpy as np
import pytest
import torch

from ganmap.base.colour import luma
from ganmap.operators import Colorization
from ganmap.photo.alignment import FaceFrame
from ganmap.photo.behaviour import consistent_photo
from ganmap.photo.colour_spread import spread_chroma, trust

SKIN = torch.tensor([0.6, 0.45, 0.4])[:, None, None]
CHROMA = SKIN - luma(SKIN[None])[0]  # the colour alone, no luma


def frame_at(x: float, y: float, scale: float = 1.0) -> FaceFrame:
    """A frame 64 * scale px across with its top left corner at (x, y), upright."""
    return FaceFrame(np.array([[scale, 0.0, x], [0.0, scale, y]]))


def spread_along_middle_row(gray: torch.Tensor, frame: FaceFrame) -> torch.Tensor:
    """The share of the face's colour that each pixel of the frame's middle row gets."""
    _, height, width = gray.shape
    chroma = CHROMA.expand(3, height, width).clone()
    spread = spread_chroma(chroma, gray, [frame])
    row = int(frame.to_photo(np.array([[31.5, 31.5]]))[0, 1])
    return spread[0, row] / CHROMA[0, 0, 0]


def test_trust_is_full_in_the_middle_of_the_frame_and_none_at_its_edges():
    trusted = trust([frame_at(16, 16)], 96, 96)[0]
    assert trusted[48, 48] == pytest.approx(1.0)
    assert trusted[16, 48] < 0.01 and trusted[48, 79] < 0.01, "the frame's edge is trusted"
    assert trusted[2, 2] == 0 and trusted[90, 90] == 0, "trust beyond the frame"


def test_a_faces_colour_holds_in_its_frame_and_fades_to_gray_beyond_it():
    """On an even gray, the colour is the face's in the frame's middle and falls off smoothly,
    to under a tenth four frame widths away."""
    share = spread_along_middle_row(torch.full((1, 448, 448), 0.5), frame_at(32, 192))
    assert share[64] == pytest.approx(1.0, abs=0.02), "the face lost its colour"
    beyond = share[96:]
    assert (beyond.diff() <= 1e-4).all(), "the colour does not fade steadily beyond the frame"
    assert share[352] < 0.1, f"still {share[352]:.2f} of the colour four frame widths away"


def test_the_colour_leaves_no_square_edge():
    """Where the frame ends on an even gray, neighbouring pixels differ by a few percent of the
    colour at most: no square to see."""
    gray = torch.full((1, 160, 160), 0.5)
    spread = spread_chroma(CHROMA.expand(3, 160, 160).clone(), gray, [frame_at(48, 48)])
    steps = torch.cat([spread.diff(dim=1).flatten(), spread.diff(dim=2).flatten()])
    assert steps.abs().max() < 0.05 * CHROMA.abs().max()


def test_the_colour_stops_at_an_edge_of_the_gray_photo():
    """A wall brighter than the face's side of the photo gets none of the face's colour, while
    the dark side keeps most of it up to the edge."""
    gray = torch.full((1, 160, 160), 0.2)
    gray[:, :, 120:] = 0.8
    share = spread_along_middle_row(gray, frame_at(40, 48))
    assert share[118] > 0.8, "the colour faded before the edge"
    assert share[122] < 0.05, f"{share[122]:.2f} of the colour crossed the edge"


def test_without_a_face_the_photo_stays_gray():
    chroma = torch.rand(3, 32, 32)
    assert torch.equal(spread_chroma(chroma, torch.rand(1, 32, 32), []), torch.zeros(3, 32, 32))


def test_a_colorized_photo_keeps_the_gray_photos_luma_exactly():
    gray = torch.rand(1, 96, 96, generator=torch.Generator().manual_seed(0))
    pasted = torch.rand(3, 96, 96, generator=torch.Generator().manual_seed(1))
    coloured = consistent_photo(Colorization(), pasted, gray, None, [frame_at(16, 16)])
    assert torch.allclose(luma(coloured[None])[0], gray, atol=1e-5)
    assert (coloured - gray).abs().amax() > 0.01, "no colour at all"
