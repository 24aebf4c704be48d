"""How fast the solver runs, and how far that is from what this machine's arithmetic can do.

First the defaults as a user meets them: per task, the median wall-clock time of one face alone
(the interactive latency) and the time of batches of 8 and 64 faces in one call (a group photo's
faces are one call). Then the search over z alone:

For 1 to 64 restarts on one face, the time per face and per iteration, the floating-point work
per iteration (counted by torch's FlopCounterMode on one forward and backward pass of G and D),
and the share of the machine's peak, the peak measured in the same process by a large matrix
product in the precision the runs use (`Settings.precision`'s default). All figures are for this
machine and its torch thread count.
"""

from __future__ import annotations

import platform
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from ganmap.core.models import to_unit
from ganmap.core.observations import Observations
from ganmap.core.settings import GENERIC
from ganmap.core.solver import effective_precision, solve
from ganmap.evaluation.protocol import corrupted_inputs
from ganmap.operators import TASKS
from ganmap.photo.pipeline import RestorationPipeline


def matmul_peak(size: int = 2048, repeats: int = 10, dtype: torch.dtype = torch.float32) -> float:
    """FLOP/s of a large matrix product: the practical peak of this CPU (best of runs)."""
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def flops_per_iteration(pipe: RestorationPipeline, restarts: int) -> int:
    """Floating-point operations of one solver step (forward and backward through G and D)."""
    z = torch.zeros(restarts, pipe.generator.latent_dim, requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        generated = pipe.generator(z)
        (pipe.discriminator(generated).sum() + to_unit(generated).sum()).backward()
    return counter.get_total_flops()


def default_latency(
    pipe: RestorationPipeline,
    faces: torch.Tensor,
    batches: tuple[int, ...] = (8, 64),
    singles: int = 8,
) -> str:
    """Per task at the default settings: median seconds for one face alone (over the first
    `singles` faces), and seconds for the first `batch` faces of `faces` (N, 3, 64, 64) corrupted
    and restored in one call, for each of `batches`."""
    batches = tuple(b for b in batches if b <= len(faces))
    lines = [
        f"| task | one face (median of {singles}) | "
        + " | ".join(f"{b} faces in one call" for b in batches)
        + " |",
        "|---|---:|" + "---:|" * len(batches),
    ]
    for name, task in TASKS.items():
        observations = corrupted_inputs(task, faces)
        single = []
        for observation in observations[:singles]:
            start = time.perf_counter()
            pipe(observation, task, progress=False)
            single.append(time.perf_counter() - start)
        cells = [f"{statistics.median(single):.2f} s"]
        for batch in batches:
            start = time.perf_counter()
            pipe(list(observations[:batch]), task, progress=False)
            cells.append(f"{time.perf_counter() - start:.1f} s")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speed_report(
    pipe: RestorationPipeline,
    faces: torch.Tensor,
    restarts_list=(1, 2, 4, 8, 16, 32, 64),
    iterations: int = 20,
) -> str:
    """The two tables of the module docstring, as Markdown; `faces` (N, 3, 64, 64) for the first."""
    latency = default_latency(pipe, faces)
    precision = effective_precision(torch.device("cpu"), GENERIC.precision)  # what runs
    peak = matmul_peak(dtype=getattr(torch, precision))
    observation = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    lines = [
        latency,
        f"\nDefault settings; {torch.get_num_threads()} torch threads.\n",
        "| restarts | s / face | ms / iteration | GFLOP / iteration | GFLOP/s | share of peak |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for restarts in restarts_list:
        start = time.perf_counter()
        solve(
            pipe.generator, pipe.discriminator, Observations(TASKS["denoising"], observation),
            lam=0.003, iterations=iterations, restarts=restarts, step_size=0.05,
            tolerance=-1.0, precision=precision,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        flops = flops_per_iteration(pipe, restarts)
        rate = flops * iterations / seconds
        lines.append(
            f"| {restarts} | {seconds:.3f} | {1000 * seconds / iterations:.1f} | {flops / 1e9:.2f} "
            f"| {rate / 1e9:.1f} | {100 * rate / peak:.0f}% |"
        )
    lines.append(
        f"\n{iterations} iterations per run (no early stop), in {precision}. "
        f"Peak: 2048 x 2048 matrix product in {precision}, {peak / 1e9:.0f} GFLOP/s. "
        f"Machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads.\n"
    )
    return "\n".join(lines)
