"""Each corruption and operator of the paper (section 3.2 and 4.1) against hand-computed cases,
with their classical partners and whole-photo behaviour, over the registry and other instances."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from ganmap import TASKS, Colorization, Inpainting, Quantization, SuperResolution
from ganmap.base.colour import luma
from ganmap.classical.wiener import hard_threshold, pilot_wiener
from ganmap.evaluation.metrics import psnr
from ganmap.operators import Denoising, get_task, partners
from ganmap.photo import behaviour
from ganmap.photo.alignment import FaceFrame


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", TASKS)
def test_observation_has_the_documented_shape(name):
    task = TASKS[name]
    clean = torch.rand(2, 3, 64, 64, generator=seeded())
    observation = task.corrupt(clean, seeded())
    assert observation.shape == (2, *task.observation_shape)
    assert task.forward(clean).shape == observation.shape, (
        "A maps images into the observation space"
    )
    assert observation.min() >= 0 and observation.max() <= 1


@pytest.mark.parametrize("name", TASKS)
def test_operator_is_differentiable(name):
    image = torch.rand(1, 3, 64, 64, generator=seeded(), requires_grad=True)
    TASKS[name].forward(image).sum().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0, f"{name}: A passes no gradient"


def test_default_inpainting_mask_is_the_centre_32_square():
    missing = TASKS["inpainting"].missing
    assert missing.sum() == 32 * 32
    assert missing[16:48, 16:48].all() and not missing[15, :].any() and not missing[:, 48].any()


def test_mask_operator_zeroes_exactly_the_missing_pixels():
    missing = torch.zeros(64, 64, dtype=torch.bool)
    missing[3, 5] = missing[60, 1] = True
    out = Inpainting(missing=missing).forward(torch.ones(1, 3, 64, 64))
    assert out.sum() == 3 * (64 * 64 - 2) and out[0, :, 3, 5].eq(0).all()


@pytest.mark.parametrize("bad", [torch.zeros(32, 32, dtype=torch.bool), torch.zeros(64, 64)])
def test_inpainting_rejects_masks_of_wrong_shape_or_with_no_hole(bad):
    with pytest.raises(ValueError, match="mask"):
        Inpainting(missing=bad)


def test_inpainting_rejects_a_mask_with_nothing_observed():
    with pytest.raises(ValueError, match="every pixel"):
        Inpainting(missing=torch.ones(64, 64, dtype=torch.bool))


def test_luma_uses_the_itu_r_601_weights():
    pixels = torch.eye(3).view(3, 3, 1, 1).expand(3, 3, 64, 64)  # pure red, green, blue
    assert torch.allclose(luma(pixels)[:, 0, 0, 0], torch.tensor([0.299, 0.587, 0.114]))


def test_colorization_value_operator_is_the_hsv_v_channel():
    image = torch.tensor([0.2, 0.9, 0.4]).view(1, 3, 1, 1).expand(1, 3, 64, 64)
    assert torch.allclose(Colorization(operator="value").forward(image), torch.tensor(0.9))
    assert torch.allclose(Colorization(operator="luma").forward(image), torch.tensor(0.6337))


def test_decimation_averages_each_factor_by_factor_block():
    image = torch.zeros(1, 3, 64, 64)
    image[..., ::2, :] = 1  # stripes: every 4 x 4 block averages to 1/2
    image[..., :4, :4] = 0.25  # one block of constant 0.25
    low = SuperResolution(factor=4, kernel="box").forward(image)
    assert low.shape == (1, 3, 16, 16)
    assert torch.allclose(low[..., 0, 0], torch.tensor(0.25))
    assert torch.allclose(low[..., 1:, 1:], torch.tensor(0.5))


def test_quantization_maps_to_the_nearest_of_five_levels():
    values = torch.tensor([0.0, 0.1, 0.13, 0.3, 0.38, 0.6, 0.874, 0.876, 1.0])
    out = Quantization(levels=5).corrupt(values.view(1, 1, 1, -1))
    expected = torch.tensor([0.0, 0.0, 0.25, 0.25, 0.5, 0.5, 0.75, 1.0, 1.0])
    assert torch.allclose(out.flatten(), expected), out.flatten()


def test_noise_has_the_requested_sigma_and_repeats_with_the_seed():
    clean = torch.full((4, 3, 64, 64), 0.5)  # far from the clipping bounds
    noisy = Denoising(sigma=0.1).corrupt(clean, seeded(3))
    residual = noisy - clean
    assert abs(residual.mean()) < 0.005 and abs(residual.std() - 0.1) < 0.005
    assert torch.equal(noisy, Denoising(sigma=0.1).corrupt(clean, seeded(3)))
    assert not torch.equal(noisy, Denoising(sigma=0.1).corrupt(clean, seeded(4)))


@pytest.mark.parametrize("levels", [3, 5, 17])
def test_quantization_noise_sigma_is_its_errors_standard_deviation(levels):
    clean = torch.linspace(0, 1, 100_001).view(1, 1, 1, -1).expand(1, 3, 1, -1)
    error = Quantization(levels=levels).corrupt(clean) - clean  # uniform over one step
    sigma = Quantization(levels=levels).noise_sigma
    assert abs(error.std() - sigma) < 0.01 * sigma, f"{error.std():.5f} != {sigma:.5f}"


def test_only_the_noisy_tasks_have_a_noise_sigma():
    assert Denoising(sigma=0.2).noise_sigma == 0.2
    noiseless = [name for name in TASKS if name not in ("denoising", "quantization")]
    assert all(TASKS[name].noise_sigma is None for name in noiseless)


@pytest.mark.parametrize("name", ["inpainting", "super-resolution", "colorization"])
def test_consistent_images_reproduce_the_observation(name):
    task = TASKS[name]
    clean = torch.rand(2, 3, 64, 64, generator=seeded(1)) * 0.5 + 0.25
    guess = clean + 0.1 * torch.rand(2, 3, 64, 64, generator=seeded(2)) - 0.05  # no clipping
    observation = task.corrupt(clean, seeded())
    assert torch.allclose(task.forward(task.project(guess, observation)), observation, atol=1e-6)


def test_consistent_quantization_stays_in_the_observed_cells():
    task = Quantization()
    clean, guess = torch.rand(2, 2, 3, 64, 64, generator=seeded(5))
    observation = task.corrupt(clean)
    assert torch.equal(task.corrupt(task.project(guess, observation)), observation)


def test_a_quantized_photos_result_stays_in_the_central_three_quarters_of_each_cell():
    """A restoration anywhere (here at random) ends within 3/4 of half a step of y in the whole
    photo's final step; an aligned face's `consistent` reaches the cell's edges."""
    task = Quantization(levels=5)  # cells 0.25 wide around y
    clean, guess = torch.rand(2, 3, 40, 48, generator=seeded(6))
    observation = task.corrupt(clean)
    photo = behaviour.consistent_photo(task, guess, observation, None, [])
    assert (photo - observation).abs().max() <= 0.75 * 0.125
    assert (task.project(guess, observation) - observation).abs().max() > 0.12


@pytest.mark.parametrize(
    "make",
    [
        lambda: SuperResolution(factor=0.5),
        lambda: SuperResolution(factor=17),
        lambda: SuperResolution(kernel="lanczos"),
        lambda: Denoising(sigma=0),
        lambda: Quantization(1),
    ],
)
def test_invalid_parameters_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_unknown_task_names_the_choices():
    with pytest.raises(ValueError, match="inpainting, colorization"):
        get_task("deblurring")


# --- the operators, deepinv-style: over the registry and over other instances -------------------

ODD_HOLE = torch.zeros(64, 64, dtype=torch.bool)
ODD_HOLE[3:40, 10:20] = ODD_HOLE[50:, 50:] = True
LINEAR = list(TASKS.values()) + [
    Inpainting(missing=ODD_HOLE),
    *(SuperResolution(factor=f, kernel=k) for k in ("box", "area", "bicubic") for f in (2, 3, 5.5)),
    SuperResolution(factor=16, kernel="bicubic"),
    Denoising(sigma=0.3),
    Quantization(levels=8),
]
NAMES = [repr(task)[:60] for task in LINEAR]


@pytest.mark.parametrize("task", LINEAR, ids=NAMES)
def test_shapes_of_the_observation_the_operator_and_its_adjoint(task):
    clean = torch.rand(2, 3, 64, 64, generator=seeded())
    observation = task.corrupt(clean, seeded())
    assert observation.shape == task.forward(clean).shape == (2, *task.observation_shape)
    assert task.adjoint(observation).shape == clean.shape
    assert task.estimate(observation).shape[-2:] == (64, 64)


@pytest.mark.parametrize("task", LINEAR, ids=NAMES)
def test_the_adjoint_satisfies_the_dot_product_identity(task):
    x = torch.rand(2, 3, 64, 64, generator=seeded(1), dtype=torch.float64)
    y = torch.rand(2, *task.observation_shape, generator=seeded(2), dtype=torch.float64)
    left, right = (task.forward(x) * y).sum(), (x * task.adjoint(y)).sum()
    assert left.item() == pytest.approx(right.item(), rel=1e-10), "<A x, y> == <x, A^T y>"


@pytest.mark.parametrize("task", LINEAR, ids=NAMES)
def test_the_operator_norm_is_at_most_one(task):
    """||A|| <= 1, by power iteration on A^T A (the baselines' step sizes rely on it)."""
    x = torch.rand(1, 3, 64, 64, generator=seeded(3), dtype=torch.float64)
    for _ in range(50):
        x = task.adjoint(task.forward(x))
        norm_squared = x.norm()
        x = x / norm_squared
    assert norm_squared.item() <= 1 + 1e-6


def test_the_nonlinear_value_operator_has_no_adjoint():
    with pytest.raises(ValueError, match="linear"):
        Colorization(operator="value").adjoint(torch.zeros(1, 1, 64, 64))


@pytest.mark.parametrize("kernel", ["box", "area", "bicubic"])
@pytest.mark.parametrize("factor", [1.5, 2, 3, 4, 7.3, 16])
def test_consistent_super_resolution_reproduces_the_observation(kernel, factor):
    task = SuperResolution(factor=factor, kernel=kernel)
    clean = torch.rand(2, 3, 64, 64, generator=seeded(1)) * 0.5 + 0.25
    guess = (clean + 0.2 * torch.rand(2, 3, 64, 64, generator=seeded(2)) - 0.1).clamp(0, 1)
    observation = task.corrupt(clean)
    for start in (guess, task.estimate(observation)):
        fitted = task.forward(task.project(start, observation))
        assert torch.allclose(fitted, observation, atol=1e-4), (fitted - observation).abs().max()


@pytest.mark.parametrize("factor", [2, 3, 4, 5.3])
def test_bicubic_super_resolution_is_pils_bicubic_resize(factor):
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    task = SuperResolution(factor=factor, kernel="bicubic")
    side = task.observation_side
    expected = np.asarray(Image.fromarray(pixels).resize((side, side), Image.Resampling.BICUBIC))
    ours = task.corrupt(torch.from_numpy(pixels).permute(2, 0, 1)[None].double() / 255)
    ours = (ours[0].permute(1, 2, 0).numpy() * 255).round()
    assert np.abs(ours - expected).max() <= 1, "PIL rounds in fixed point: one level at most"


def test_area_super_resolution_averages_the_covered_area():
    """At factor 1.5 a low-resolution pixel covers 1.5 x 1.5 pixels: row 0 is (a + b/2) / 1.5."""
    image = torch.zeros(1, 1, 64, 64)
    image[..., 0, :], image[..., 1, :] = 0.9, 0.3
    low = SuperResolution(factor=64 / 42, kernel="area").forward(image.expand(1, 3, 64, 64))
    width = 64 / 42
    assert torch.allclose(low[0, 0, 0], torch.tensor((0.9 + 0.3 * (width - 1)) / width))


@pytest.mark.parametrize("factor, side", [(4, 16), (3, 21), (2.5, 26), (16, 4), (1, 64)])
def test_the_observation_side_is_64_over_the_factor_rounded(factor, side):
    assert SuperResolution(factor=factor).observation_shape == (3, side, side)


@pytest.mark.parametrize("task", LINEAR, ids=NAMES)
def test_the_classical_restoration_agrees_with_the_observation(task):
    """What G's image is averaged with (`Settings.generator_share`) is itself consistent, so the
    average stays consistent: observed pixels, block means, luma and cells reproduced; for noise
    (nothing pinned down) closer to the clean image than the observation is."""
    clean = torch.rand(2, 3, 64, 64, generator=seeded(3)) * 0.5 + 0.25
    clean = torch.nn.functional.avg_pool2d(clean, 5, 1, 2, count_include_pad=False)  # smooth
    observation = task.corrupt(clean, seeded())
    restored = partners.classical(task, observation)
    assert restored.shape == (2, 3, 64, 64) and restored.min() >= 0 and restored.max() <= 1
    if isinstance(task, Denoising):
        assert (restored - clean).square().mean() < (observation - clean).square().mean() / 4
    elif isinstance(task, Quantization):
        assert torch.equal(task.corrupt(restored), observation)
    else:
        assert torch.allclose(task.forward(restored), observation, atol=1e-4)


@pytest.mark.parametrize("kernel", ["bicubic", "box"])
def test_back_projection_makes_a_restored_photo_agree_with_the_small_one(kernel):
    """Shrunk as the small photo was made, the back-projected photo is much nearer to it than the
    bicubic upsampling it started from, and nearer to the clean photo too."""
    task = SuperResolution(factor=4, kernel=kernel)
    clean = torch.rand(1, 3, 20, 28, generator=seeded(4))
    clean = torch.nn.functional.interpolate(clean, size=(80, 112), mode="bicubic")[0].clamp(0, 1)
    small = behaviour.corrupt_photo(task, clean)
    upsampled = behaviour.restore_classically(task, small)
    projected = behaviour.consistent_photo(task, upsampled, small, None, [])

    def misfit(image: torch.Tensor) -> float:
        return (behaviour.corrupt_photo(task, image) - small).abs().mean().item()

    assert misfit(projected) < misfit(upsampled) / 2
    assert (projected - clean).square().mean() < (upsampled - clean).square().mean()


def test_a_restored_quantized_photo_quantizes_back_to_the_photo():
    """Whatever the faces made of it, every pixel of the result lies in its observed cell."""
    task = Quantization(levels=5)
    photo = behaviour.corrupt_photo(task, torch.rand(3, 40, 56, generator=seeded(5)))
    restored = behaviour.consistent_photo(
        task, torch.rand(3, 40, 56, generator=seeded(6)), photo, None, []
    )
    assert torch.equal(behaviour.corrupt_photo(task, restored), photo), "a pixel left its cell"


def test_large_photos_get_the_wiener_step_without_grouping():
    """Grouping costs seconds per megapixel: above the pixel budget each window is filtered
    alone, 2 px apart, exactly as `pilot_wiener` does it."""
    noisy = torch.rand(3, 24, 20, generator=torch.Generator().manual_seed(0))
    pilot = torch.full_like(noisy, 0.5)
    grouped = behaviour.photo_wiener(noisy, pilot, 0.1, max_grouped=24 * 20)
    alone = pilot_wiener(noisy[None], pilot[None], 0.1, stride=2)[0]
    torch.testing.assert_close(
        behaviour.photo_wiener(noisy, pilot, 0.1, max_grouped=24 * 20 - 1), alone
    )
    assert not torch.allclose(grouped, alone), "a photo within the budget is filtered grouped"


def test_the_final_wiener_steps_pilot_is_bm3ds_first_stage_around_the_faces_and_half_over_them(
    monkeypatch,
):
    """The pilot is the grouped first stage where no face was restored, and half the restored
    photo over a face's frame. Given a flat restoration, the stripes of a striped photo come back
    from the first stage; over the grouping budget the pilot is the restoration alone, and much
    of the detail goes with it."""
    y, x = torch.meshgrid(torch.arange(48.0), torch.arange(48.0), indexing="ij")
    clean = (0.5 + 0.3 * torch.sin(2 * torch.pi * (x + y) / 8)).expand(3, -1, -1)
    task = Denoising(sigma=0.1)
    noisy = behaviour.corrupt_photo(task, clean, seeded(0))
    flat = torch.full_like(clean, 0.5)
    first_stage = hard_threshold(noisy[None], 0.1, **behaviour.PHOTO_DENOISING.first_stage)[0]
    pilots = []
    wiener = behaviour.photo_wiener
    monkeypatch.setattr(
        behaviour,
        "photo_wiener",
        lambda photo, pilot, *a, **k: pilots.append(pilot) or wiener(photo, pilot, *a, **k),
    )
    left_face = FaceFrame(np.array([[0.25, 0, -0.375], [0, 0.75, -0.125]]))  # x < 16: a face
    within = psnr(behaviour.consistent_photo(task, flat, noisy, None, [left_face]), clean)
    torch.testing.assert_close(pilots[0][:, :, 20:], first_stage[:, :, 20:], msg="around the face")
    torch.testing.assert_close(
        pilots[0][:, :, :16], (flat + first_stage)[:, :, :16] / 2, msg="over it"
    )
    budget = replace(behaviour.PHOTO_DENOISING, max_grouped_pixels=48 * 48 - 1)
    monkeypatch.setattr(behaviour, "PHOTO_DENOISING", budget)
    over = psnr(behaviour.consistent_photo(task, flat, noisy, None, [left_face]), clean)
    assert within > over + 10, f"{within:.2f} dB within the budget, {over:.2f} dB over it"


@pytest.mark.parametrize(("size", "sigma"), [(128, 0.05), (64, 0.1), (32, 0.2), (4, 1.0)])
def test_a_faces_noise_in_its_frame_scales_with_64_over_its_size(size, sigma):
    """Averaged down (128 px) the noise halves; enlarged (32 px), the photo's noise is as strong
    as white noise of twice its sigma at the frequencies the frame holds; never above 1."""
    assert behaviour.at_size(Denoising(sigma=0.1), size).sigma == pytest.approx(sigma)
