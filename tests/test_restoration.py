"""End to end on a tiny model: an image that G can produce exactly is restored for every task."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_tiny_pipeline

import ganmap
from ganmap import TASKS
from ganmap.core import solver
from ganmap.operators import partners


def as_tensor(image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).permute(2, 0, 1)


def psnr(image, clean: torch.Tensor) -> float:
    return float(-10 * torch.log10(((as_tensor(image) - clean) ** 2).mean()))


@pytest.mark.parametrize("name", TASKS)
def test_an_image_in_the_range_of_g_is_recovered(tiny_pipeline, reachable_face, name):
    """The search over z alone (no feature refinement, which would also fit some noise), and its
    best restart alone (not averaged with restarts that found other faces)."""
    observation = ganmap.corrupt(reachable_face, name, seed=1)
    out = tiny_pipeline(
        observation, name, lam=0.0, iterations=200, restarts=4, step_size=0.05, progress=False,
        refine_steps=0, average=1,
    )  # fmt: skip
    random_sample = tiny_pipeline.generate(1, seed=5)[0]
    assert psnr(random_sample, reachable_face) < 15, "the tiny G must depend on z for this test"
    assert psnr(out.image, reachable_face) > 30, f"{name}: G(z0) was not recovered"


def test_result_fields_and_ordering(tiny_pipeline, reachable_face):
    steps = []
    out = tiny_pipeline(
        ganmap.corrupt(reachable_face, "denoising"),
        "denoising",
        iterations=5,
        restarts=3,
        progress=False,
        callback=lambda step, total, loss: steps.append((step, total)),
    )
    assert out.image.size == (64, 64) and out.image.mode == "RGB"
    assert len(out.candidates) == 3 and out.losses == sorted(out.losses)
    assert len(out.history) == 5 and all(
        a >= b for a, b in zip(out.history, out.history[1:], strict=False)
    )
    assert steps == [(i, 5) for i in range(1, 6)]


@pytest.mark.parametrize("average", [1, 2, 3])
def test_the_result_is_the_mean_of_the_best_restarts(tiny_pipeline, reachable_face, average):
    """Without refinement or post-processing, the image is the mean of the `average` best
    candidates (to 8-bit rounding); asking for more than there are restarts takes them all."""
    out = tiny_pipeline(
        ganmap.corrupt(reachable_face, "denoising"), "denoising", iterations=5, restarts=2,
        refine_steps=0, data_consistency=False, average=average, progress=False,
    )  # fmt: skip
    best = torch.stack([as_tensor(c) for c in out.candidates[: min(average, 2)]]).mean(0)
    assert (as_tensor(out.image) - best).abs().max() <= 1 / 255 + 1e-6


def test_a_generator_share_of_zero_gives_the_classical_restoration(tiny_pipeline, reachable_face):
    observation = ganmap.corrupt(reachable_face, "super-resolution")
    task = ganmap.TASKS["super-resolution"]
    out = tiny_pipeline(observation, task, iterations=2, generator_share=0.0, progress=False)
    classical = partners.classical(task, task.observe(as_tensor(observation))[None])[0]
    assert (as_tensor(out.image) - classical).abs().max() <= 1 / 255 + 1e-6


def test_same_seed_same_result_other_seed_other_start(tiny_pipeline, reachable_face):
    observation = ganmap.corrupt(reachable_face, "colorization")

    def run(seed: int):
        return tiny_pipeline(
            observation, "colorization", iterations=3, restarts=2, seed=seed, progress=False
        )

    assert run(4).losses == run(4).losses
    assert run(4).losses != run(5).losses


def test_a_list_restores_a_batch(tiny_pipeline, reachable_face):
    observation = ganmap.corrupt(reachable_face, "super-resolution")
    out = tiny_pipeline(
        [observation, observation], "super-resolution", iterations=3, restarts=2, progress=False
    )
    assert len(out.image) == 2 and out.image[0].size == (64, 64) and len(out.candidates[1]) == 2


def test_other_sizes_are_centre_cropped_and_given_back_at_their_framing(tiny_pipeline):
    wide = np.full((80, 120, 3), 128, dtype=np.uint8)
    out = tiny_pipeline(wide, "denoising", iterations=2, restarts=1, progress=False)
    assert out.image.size == (64, 64) and out.framed.size == (120, 80)
    low = tiny_pipeline(
        np.zeros((20, 20, 3), np.uint8),
        "super-resolution",
        iterations=2,
        restarts=1,
        progress=False,
    )
    assert low.observation.size == (16, 16) and low.framed.size == (80, 80)


def test_inpainting_keeps_observed_pixels_and_takes_a_drawn_mask(tiny_pipeline, reachable_face):
    mask = np.zeros((64, 64), dtype=bool)
    mask[5:20, 30:60] = True
    observation = ganmap.corrupt(reachable_face, "inpainting")
    out = tiny_pipeline(
        observation, "inpainting", mask=mask, iterations=3, restarts=2, progress=False
    )
    restored, given = np.asarray(out.image), np.asarray(observation)
    assert np.array_equal(restored[~mask], given[~mask]), "blending must keep the observed pixels"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(task="deblurring"), "unknown task"),
        (dict(lam=float("nan")), "lam"),
        (dict(lam=-1.0), "lam"),
        (dict(iterations=0), "iterations"),
        (dict(restarts=0), "restarts"),
        (dict(restarts=10**6), "restarts"),
        (dict(seed=-1), "seed"),
        (dict(mask=np.zeros((10, 10), bool)), "mask"),
        (dict(mask=np.zeros((64, 64), bool)), "no pixel"),
        (dict(task="denoising", mask=np.ones((64, 64), bool)), "only used for inpainting"),
        (dict(preset="fastest"), "preset"),
        (dict(step_sise=0.1), "unknown setting"),
        (dict(refine_steps=-1), "refine_steps"),
        (dict(refine_steps=2.5), "refine_steps"),
        (dict(refine_weight=float("inf")), "refine_weight"),
        (dict(refine_weight=-0.1), "refine_weight"),
        (dict(refine_step_size=0), "refine_step_size"),
        (dict(refine_step_size=float("nan")), "refine_step_size"),
        (dict(average=0), "average"),
        (dict(generator_share=1.5), "generator_share"),
    ],
)
def test_bad_parameters_get_a_clear_error(tiny_pipeline, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_pipeline(np.zeros((64, 64, 3), np.uint8), **kwargs, progress=False)


@pytest.mark.parametrize("seed", [-5, 2**63, 2**70, 1.5, True])
def test_corrupt_refuses_seeds_torch_cannot_take(reachable_face, seed):
    with pytest.raises(ValueError, match="seed must be an integer"):
        ganmap.corrupt(reachable_face, "denoising", seed=seed)


@pytest.mark.parametrize("name", ["colorization", "super-resolution", "denoising", "quantization"])
def test_the_papers_method_returns_g_of_its_best_z_untouched(reachable_face, name):
    """preset="paper" is Eq. 3 as published: no refinement past G's range and no data consistency
    (Poisson blending is inpainting's only post-processing), so the result is G(z*) itself."""
    from conftest import make_tiny_pipeline

    pipe = make_tiny_pipeline()
    observation = ganmap.corrupt(reachable_face, name, seed=1)
    out = pipe(observation, name, preset="paper", iterations=3, restarts=2, progress=False)
    assert out.settings.refine_steps == 0 and not out.settings.data_consistency
    assert np.array_equal(np.asarray(out.image), np.asarray(out.candidates[0]))
    default = pipe(observation, name, iterations=3, restarts=2, progress=False)
    assert not np.array_equal(np.asarray(default.image), np.asarray(default.candidates[0]))


class TanhByBatchShape(torch.nn.Module):
    """G's last layer with arithmetic that depends on the batch's shape, as oneDNN's kernels on
    CPUs with AMX do: batches of more than `rows` rows come out rounded to bfloat16. It stands in
    for such a CPU on any host."""

    def __init__(self, rows: int):
        super().__init__()
        self.rows = rows

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.tanh(x)
        return y.bfloat16().float() if len(x) > self.rows else y


def shape_sensitive_pipeline(restarts: int) -> ganmap.RestorationPipeline:
    pipe = make_tiny_pipeline()
    assert isinstance(pipe.generator.net[-1], torch.nn.Tanh)
    pipe.generator.net[-1] = TanhByBatchShape(rows=restarts)
    return pipe


@pytest.mark.parametrize("kernels", ["this host's", "changing with the batch's shape"])
@pytest.mark.parametrize(
    "name, precision", [(name, "bfloat16") for name in TASKS] + [("super-resolution", "float32")]
)
def test_a_face_restores_the_same_alone_and_in_any_batch(
    tiny_pipeline, name, precision, kernels, monkeypatch
):
    """Same face, seed and settings: bit for bit the same result whatever shares the batch, in
    either precision (bfloat16 autocast even where the CPU would run float32), with the feature
    refinement on, with faces that stop early at different steps (a black and a white image
    among them stall soon), and on kernels whose arithmetic changes with the batch's shape (as
    bfloat16's do on CPUs with AMX)."""
    monkeypatch.setattr(solver, "runs_bfloat16", lambda device: True)
    restarts = 2
    pipe = tiny_pipeline if kernels == "this host's" else shape_sensitive_pipeline(restarts)
    faces = [*pipe.generate(2, seed=11), np.zeros((64, 64, 3), np.uint8)]
    faces.append(np.full((64, 64, 3), 255, np.uint8))
    observations = [ganmap.corrupt(face, name, seed=i) for i, face in enumerate(faces)]
    settings = dict(iterations=200, restarts=restarts, step_size=0.3, refine_steps=5, seed=9)
    batch = pipe(observations, name, precision=precision, progress=False, **settings)
    stops = set()
    for i, observation in enumerate(observations):
        alone = pipe(observation, name, precision=precision, progress=False, **settings)
        difference = psnr(batch.image[i], as_tensor(alone.image))
        assert np.array_equal(np.asarray(batch.image[i]), np.asarray(alone.image)), (
            f"face {i}: alone and in a batch of {len(faces)} differ ({difference:.1f} dB apart)"
        )
        assert batch.losses[i] == alone.losses, f"face {i}: the restarts' objectives differ"
        # it stops on its own: the batch's curve for it is its own, then flat
        steps = len(alone.history)
        assert batch.history[i][:steps] == alone.history, f"face {i}: its curve differs"
        assert set(batch.history[i][steps:]) <= {batch.history[i][steps - 1]}
        stops.add(steps)
    assert len(stops) > 1, "the faces must stop at different steps for this test"


def left_half_missing() -> torch.Tensor:
    missing = torch.zeros(64, 64, dtype=torch.bool)
    missing[:, :32] = True
    return missing


LIGHT_NOISE = ganmap.Denoising(sigma=0.05)


@pytest.mark.parametrize(
    "tasks",
    [
        [TASKS["super-resolution"], ganmap.SuperResolution(factor=2), TASKS["super-resolution"]],
        [LIGHT_NOISE, ganmap.Denoising(sigma=0.2), LIGHT_NOISE],
        [ganmap.Inpainting(missing=left_half_missing()), TASKS["inpainting"]],
    ],
    ids=["super-resolution factors", "noise levels", "holes"],
)
def test_images_with_tasks_of_their_own_restore_as_each_would_alone(tiny_pipeline, tasks):
    """The faces of a photo meet tasks of one kind with their own parameters (a factor, a noise
    level, a hole): solved together, each gets what it gets alone, at its observation's size."""
    faces = tiny_pipeline.generate(len(tasks), seed=4)
    observations = [
        ganmap.corrupt(face, task, seed=i)
        for i, (face, task) in enumerate(zip(faces, tasks, strict=True))
    ]
    settings = dict(iterations=20, restarts=2, refine_steps=5, seed=3, progress=False)
    batch = tiny_pipeline(observations, tasks, **settings)
    for i, (observation, task) in enumerate(zip(observations, tasks, strict=True)):
        alone = tiny_pipeline(observation, task, **settings)
        assert batch.observation[i].size == alone.observation.size == observation.size, i
        assert batch.framed[i].size == alone.framed.size, i
        assert psnr(batch.image[i], as_tensor(alone.image)) >= 45, f"image {i} ({task})"
        assert batch.losses[i] == pytest.approx(alone.losses, rel=1e-3), i


@pytest.mark.parametrize(
    "image, task, kwargs, message",
    [
        ([np.zeros((64, 64, 3), np.uint8)] * 2, ["denoising"], {}, "got 1 tasks for 2 images"),
        (np.zeros((64, 64, 3), np.uint8), ["denoising"], {}, "a list of tasks goes with a list"),
        ([np.zeros((64, 64, 3), np.uint8)] * 2, ["denoising", "quantization"], {}, "one kind"),
        (
            [np.zeros((64, 64, 3), np.uint8)] * 2,
            [ganmap.Inpainting(), ganmap.Inpainting(missing=left_half_missing())],
            dict(mask=np.ones((64, 64), bool)),
            "its own hole",
        ),
    ],
)
def test_bad_task_lists_get_a_clear_error(tiny_pipeline, image, task, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_pipeline(image, task, **kwargs, progress=False)


def test_a_users_own_task_gets_the_generic_defaults_and_restores(tiny_pipeline, reachable_face):
    """A Task subclass only needs a name, a corruption and a forward operator (a 3 x 3 box blur)."""

    class BoxBlur(ganmap.Task):
        name = "box-blur"

        def corrupt(self, clean, generator=None):
            return self.forward(clean)

        def forward(self, image):
            return torch.nn.functional.avg_pool2d(image, 3, stride=1, padding=1)

    task = BoxBlur()
    assert tiny_pipeline.defaults(task) == ganmap.GENERIC
    observation = ganmap.corrupt(reachable_face, task)
    out = tiny_pipeline(observation, task, iterations=100, restarts=2, progress=False)
    assert out.settings == ganmap.GENERIC.update(iterations=100, restarts=2)
    assert psnr(out.image, reachable_face) > psnr(observation, reachable_face) + 3


def test_bfloat16_runs_in_float32_where_the_device_has_no_bfloat16(monkeypatch):
    """Emulated bfloat16 is far slower than float32 (28x on an AVX2-only CPU), so the setting
    asks for bfloat16 only where the device has it."""
    cpu = torch.device("cpu")
    monkeypatch.setattr(solver, "runs_bfloat16", lambda device: False)
    assert not isinstance(solver.autocast(cpu, "bfloat16"), torch.autocast)
    monkeypatch.setattr(solver, "runs_bfloat16", lambda device: True)
    assert isinstance(solver.autocast(cpu, "bfloat16"), torch.autocast)
    assert not isinstance(solver.autocast(cpu, "float32"), torch.autocast)


@pytest.mark.parametrize("disabled", [False, True])
def test_the_progress_bar_honours_tqdm_disable(disabled):
    """tqdm's own switch, TQDM_DISABLE=1 (read when tqdm is imported), hides the bar that
    progress=True shows."""
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    if disabled:
        env["TQDM_DISABLE"] = "1"
    code = (
        "import torch; from conftest import make_tiny_pipeline; "
        "make_tiny_pipeline()(torch.rand(3, 64, 64), 'denoising', iterations=3, restarts=2)"
    )
    tests = Path(__file__).parent
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tests, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    shown = "denoising:" in run.stderr  # the bar's description
    assert shown != disabled, f"TQDM_DISABLE {'set' if disabled else 'unset'}: shown={shown}"
