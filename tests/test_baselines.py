"""The classical baselines of the benchmark: what each method must do, on images whose answer is
known, and the contract every registered baseline keeps (shape, range, supported tasks)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from ganmap.base.colour import luma
from ganmap.evaluation.baselines import BASELINES
from ganmap.evaluation.baselines import sparse as sparse_module
from ganmap.evaluation.baselines.lowrank import shrink_tail, truncated_nuclear_norm
from ganmap.evaluation.baselines.references import bicubic, biharmonic, blur, gray, nl_means
from ganmap.evaluation.baselines.sparse import (
    load_dictionary,
    orthogonal_matching_pursuit,
    sparse_approximation,
    sparse_coding,
)
from ganmap.evaluation.baselines.tune import GRIDS
from ganmap.evaluation.baselines.tv import divergence, gradient, total_variation
from ganmap.evaluation.metrics import psnr
from ganmap.operators import TASKS, Denoising, Inpainting, SuperResolution

pytest.importorskip("skimage")
pytest.importorskip("sklearn")

SUPPORTED = [(key, task) for key, baseline in BASELINES.items() for task in baseline.tasks]


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def smooth_image(batch: int = 1) -> torch.Tensor:
    """Face-like content: smooth colour variations with some structure, inside (0, 1)."""
    y, x = torch.meshgrid(torch.linspace(0, 1, 64), torch.linspace(0, 1, 64), indexing="ij")
    image = torch.stack(
        [
            0.5 + 0.3 * torch.sin(3 * x + 2 * y),
            0.4 + 0.3 * x * y,
            0.6 - 0.3 * torch.cos(4 * y),
        ]
    )
    return torch.stack([image.roll(8 * i, dims=-1) for i in range(batch)])


def piecewise_constant() -> torch.Tensor:
    image = torch.full((1, 3, 64, 64), 0.3)
    image[..., 16:48, 20:44] = 0.7
    image[:, 1, 8:24, 4:12] = 0.1
    return image


# --- the contract of every registered baseline -----------------------------------------------


@pytest.mark.parametrize(("key", "task_name"), SUPPORTED)
def test_every_baseline_restores_a_batch_to_valid_images(key, task_name, monkeypatch):
    monkeypatch.setattr(sparse_module, "PASSES", 2)  # the contract, not the quality, is tested
    task = TASKS[task_name]
    clean = smooth_image(batch=2)
    restored = BASELINES[key](task.corrupt(clean, seeded()), task)
    assert restored.shape == (2, 3, 64, 64), f"{key} on {task_name}: wrong shape"
    assert torch.isfinite(restored).all(), f"{key} on {task_name}: non-finite pixels"
    assert restored.min() >= 0 and restored.max() <= 1, f"{key} on {task_name}: outside [0, 1]"
    assert psnr(restored, clean).min() > 12, f"{key} on {task_name}: far from the clean image"


def test_a_baseline_refuses_tasks_it_was_not_made_for():
    with pytest.raises(ValueError, match="Bicubic does not do denoising"):
        BASELINES["bicubic"](torch.zeros(1, 3, 64, 64), "denoising")


@pytest.mark.parametrize("key", ["tv", "lowrank", "sparse"])
def test_the_paper_baselines_cover_all_five_tasks(key):
    assert set(BASELINES[key].tasks) == set(TASKS)


@pytest.mark.parametrize(("key", "task_name"), SUPPORTED)
def test_each_frozen_parameter_is_a_value_its_tuning_tried(key, task_name):
    baseline = BASELINES[key]
    if baseline.parameter is None:
        assert baseline.values[task_name] is None and baseline.parameter_text(task_name) is None
        return
    grid = GRIDS[key][task_name]
    assert baseline.values[task_name] in grid, (
        f"{key} on {task_name}: frozen {baseline.parameter}={baseline.values[task_name]} is not in "
        f"the tuning grid {grid}; rerun ganmap.evaluation.baselines.tune and freeze its winner"
    )


def test_divergence_is_minus_the_adjoint_of_the_gradient():
    image = torch.rand(2, 3, 64, 64, generator=seeded(1), dtype=torch.float64)
    field = torch.rand(2, 3, 2, 64, 64, generator=seeded(2), dtype=torch.float64)
    assert (gradient(image) * field).sum() == pytest.approx(-(image * divergence(field)).sum())


# --- total variation --------------------------------------------------------------------------


@pytest.mark.parametrize("task_name", TASKS)
def test_tv_leaves_a_constant_image_unchanged(task_name):
    """A constant image has no variation and fits its own observation: it is the solution."""
    task = TASKS[task_name]
    colour = (
        (0.5, 0.5, 0.5) if task_name == "colorization" else (0.25, 0.5, 0.75)
    )  # gray has no hue
    constant = torch.tensor(colour).view(1, 3, 1, 1).expand(2, 3, 64, 64).contiguous()
    observation = task.forward(constant)  # noise-free and on the quantization levels: consistent
    restored = total_variation(observation, task, weight=BASELINES["tv"].values[task_name])
    assert torch.allclose(restored, constant, atol=1e-5), f"TV changed a constant on {task_name}"


def test_tv_denoising_recovers_a_piecewise_constant_image():
    clean = piecewise_constant()
    noisy = Denoising(sigma=0.1).corrupt(clean, seeded())
    restored = BASELINES["tv"](noisy, "denoising")
    gain = psnr(restored, clean)[0] - psnr(noisy, clean)[0]
    assert gain > 10, f"TV should remove most noise from flat regions, gained only {gain:.1f} dB"


def test_tv_inpainting_fills_a_hole_in_a_flat_region_with_the_surrounding_value():
    task = TASKS["inpainting"]
    clean = torch.full((1, 3, 64, 64), 0.3)
    clean[..., task.missing] = 0.9  # a bright square that the observation does not show
    restored = BASELINES["tv"](task.corrupt(clean), task)
    error = (restored[..., task.missing] - 0.3).abs().max()
    assert error < 1e-3, f"TV filled a hole in a flat region with values off by {error:.2g}"


# --- low rank ---------------------------------------------------------------------------------


def test_shrink_tail_spares_the_largest_singular_values():
    matrix = torch.diag(torch.tensor([5.0, 3.0, 1.0, 0.5]))
    shrunk = shrink_tail(matrix, 0.8, rank=2)
    assert torch.allclose(torch.linalg.svdvals(shrunk), torch.tensor([5.0, 3.0, 0.2, 0.0]))


@pytest.mark.parametrize(
    "missing",
    [torch.rand(64, 64, generator=seeded(3)) < 0.4, TASKS["inpainting"].missing],
    ids=["40% random entries", "the paper's centre square"],
)
def test_low_rank_completion_recovers_a_rank_one_image(missing):
    u = 0.2 + 0.6 * torch.rand(1, 3, 64, 1, generator=seeded(1))
    v = 0.3 + 0.7 * torch.rand(1, 3, 1, 64, generator=seeded(2))
    clean = u * v  # every channel is a rank-1 matrix
    task = Inpainting(missing=missing)
    restored = truncated_nuclear_norm(task.corrupt(clean), task, weight=0.5, rank=1)
    error = (restored - clean).abs().max()
    assert error < 1e-3, f"rank-1 completion is off by {error:.2g}"


# --- sparse coding ----------------------------------------------------------------------------


def test_the_dictionary_has_unit_atoms_free_of_each_channels_mean():
    dictionary = load_dictionary()
    assert dictionary.shape == (3 * 8 * 8, 256)
    assert np.allclose(np.linalg.norm(dictionary, axis=0), 1, atol=1e-6)
    assert np.abs(dictionary.reshape(3, 64, -1).mean(axis=1)).max() < 1e-6


@pytest.mark.parametrize("sparsity", [1, 4, 12])
def test_batched_omp_takes_scikit_learns_path(sparsity):
    """The same codes as scikit-learn's OMP, on random signals, on exact combinations of atoms and
    on empty signals (which must stay at a zero code)."""
    from sklearn.linear_model import orthogonal_mp_gram

    dictionary = torch.from_numpy(load_dictionary())
    signals = torch.randn(300, 3 * 8 * 8, generator=seeded(), dtype=torch.float64)
    signals[:10] = 0
    signals[10:20] = dictionary[:, :10].T * 3
    gram, correlations = dictionary.T @ dictionary, signals @ dictionary
    ours = orthogonal_matching_pursuit(gram, correlations, sparsity).numpy()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Orthogonal matching pursuit ended prematurely")
        reference = orthogonal_mp_gram(
            gram.numpy(), correlations.T.numpy(), n_nonzero_coefs=sparsity
        ).T
    assert (np.count_nonzero(ours, axis=1) <= sparsity).all(), "more atoms than allowed"
    assert np.abs(ours[:10]).max() == 0, "an empty signal got a non-zero code"
    assert np.allclose(ours, reference, atol=1e-9), "codes differ from scikit-learn's OMP"


@pytest.mark.parametrize("atom", [0, 17, 255])
def test_sparse_coding_reproduces_a_patch_made_of_one_atom(atom):
    colour = torch.tensor([0.4, 0.5, 0.6]).view(1, 3, 1, 1)
    column = torch.from_numpy(load_dictionary()[:, atom]).float()
    patch = colour + 0.2 * column.view(1, 3, 8, 8)
    assert torch.allclose(sparse_approximation(patch, sparsity=1, stride=1), patch, atol=1e-6)


def test_sparse_coding_denoises_a_smooth_image():
    clean = smooth_image()
    noisy = Denoising(sigma=0.1).corrupt(clean, seeded())
    gain = psnr(sparse_coding(noisy, Denoising(), sparsity=4), clean)[0] - psnr(noisy, clean)[0]
    assert gain > 6, f"sparse coding should remove most of the noise, gained only {gain:.1f} dB"


# --- references -------------------------------------------------------------------------------


def test_bicubic_of_a_constant_is_the_constant():
    constant = torch.full((1, 3, 16, 16), 0.3)
    assert torch.allclose(bicubic(constant, SuperResolution()), torch.full((1, 3, 64, 64), 0.3))


def test_biharmonic_fills_a_hole_in_a_linear_ramp_exactly():
    ramp = torch.linspace(0.1, 0.9, 64).view(1, 1, 1, 64).expand(1, 3, 64, 64)
    ramp = ramp + torch.tensor([0.0, 0.05, -0.05]).view(1, 3, 1, 1)
    task = TASKS["inpainting"]
    assert torch.allclose(biharmonic(task.corrupt(ramp), task), ramp, atol=1e-4)


def test_gray_reference_is_the_luma_in_three_channels():
    clean = smooth_image()
    restored = gray(luma(clean), TASKS["colorization"])
    assert restored.shape == (1, 3, 64, 64)
    assert torch.equal(restored[:, 0], restored[:, 2]) and torch.allclose(
        luma(restored), luma(clean)
    )


def test_nl_means_denoises():
    clean = piecewise_constant()
    noisy = Denoising().corrupt(clean, seeded())
    restored = nl_means(noisy, Denoising(), h=BASELINES["nl-means"].values["denoising"])
    assert psnr(restored, clean)[0] > psnr(noisy, clean)[0] + 6


def test_blur_keeps_constants_and_width_zero_changes_nothing():
    image = torch.rand(1, 3, 64, 64, generator=seeded())
    constant = torch.full((1, 3, 64, 64), 0.25)
    task = TASKS["quantization"]
    assert torch.equal(blur(image, task, width=0), image)
    assert torch.allclose(blur(constant, task, width=0.8), constant)
