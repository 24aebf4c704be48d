"""Poisson blending reproduces the known solutions of constructed cases."""

from __future__ import annotations

import torch

from ganmap.classical.blending import poisson_blend
from ganmap.operators import centre_hole


def ramp() -> torch.Tensor:
    x = torch.linspace(0.1, 0.9, 64)
    return (x[None, :] * 0.6 + x[:, None] * 0.3).expand(1, 3, 64, 64).clone()


def test_an_offset_source_blends_into_the_target_exactly():
    """Same gradients, other brightness: the seam vanishes and the target comes back."""
    target = ramp()
    missing = centre_hole()
    out = poisson_blend(target - 0.2, target, missing)
    assert torch.allclose(out, target, atol=1e-5)


def test_a_flat_source_fills_the_hole_harmonically():
    """With no source gradients the solution is harmonic: a linear ramp is reproduced."""
    target = ramp()
    hole = target.clone()
    missing = centre_hole()
    hole[..., missing] = 0
    out = poisson_blend(torch.full_like(target, 0.7), hole, missing)
    assert torch.allclose(out, target, atol=1e-5)


def test_pixels_outside_the_hole_are_kept_and_the_laplacian_matches_inside():
    gen = torch.Generator().manual_seed(0)
    source, target = torch.rand(2, 2, 3, 64, 64, generator=gen) * 0.2 + 0.4
    missing = torch.zeros(64, 64, dtype=torch.bool)
    missing[10:30, 5:25] = True
    missing[40:60, 44:50] = True
    out = poisson_blend(source, target, missing)
    assert torch.equal(out[..., ~missing], target[..., ~missing])

    def laplacian(x: torch.Tensor) -> torch.Tensor:
        return (
            4 * x[..., 1:-1, 1:-1]
            - x[..., :-2, 1:-1]
            - x[..., 2:, 1:-1]
            - x[..., 1:-1, :-2]
            - x[..., 1:-1, 2:]
        )

    inner = missing[1:-1, 1:-1]
    assert torch.allclose(laplacian(out)[..., inner], laplacian(source)[..., inner], atol=1e-5)
