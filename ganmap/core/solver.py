"""MAP estimation in latent space: minimise Eq. 3 over z by gradient descent (paper, section 3).

Only z moves: G and D are frozen (eval mode, parameters without gradients; the pipeline sees to
that). Several random restarts per image run through G and D as one batch of their own, each
keeps the best z it visited, and z stays in the support [-1, 1]^nz of the uniform p_Z by
projection after every step.

Every image is solved as if it were alone: its initial latents are drawn from a generator seeded
by the seed only (not by its place in the batch), its restarts meet G, D and its operator on
their own (`ganmap.core.observations`), Adam's update is element-wise, and each image stops on its
own, once none of its restarts improves by more than `tolerance` (relative to its data term)
over `patience` iterations; stopped images leave the batch. So a face restores to the same
result, bit for bit, alone or among others, whatever kernels the CPU or GPU picks per shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from ganmap.core.models import Discriminator, Generator, to_unit
from ganmap.core.objective import data_term, objective
from ganmap.core.observations import Observations

ProgressCallback = Callable[[int, int, float], None]
BETAS, EPSILON = (0.9, 0.999), 1e-8  # Adam's defaults (Kingma & Ba; torch.optim.Adam)


@dataclass
class Solution:
    """The outcome for N images and R restarts, restarts sorted best first."""

    latents: torch.Tensor  # (N, R, nz)
    images: torch.Tensor  # (N, R, 3, 64, 64) in [0, 1]: G(z) of each restart
    losses: torch.Tensor  # (N, R): the objective of Eq. 3 at each restart's z
    history: torch.Tensor  # (T, N): the best objective of each image after each iteration


def initial_latents(
    count: int, latent_dim: int, seed: int, start: torch.Tensor | None = None
) -> torch.Tensor:
    """`count` draws from p_Z = U[-1, 1]^nz, the same for a seed whatever the image; rows of
    `start` (if given) replace the first ones."""
    z = torch.rand(count, latent_dim, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    if start is not None:
        z[: len(start)] = start.clamp(-1, 1)
    return z


def runs_bfloat16(device: torch.device) -> bool:
    """Whether `device` has bfloat16 arithmetic of its own: a CUDA GPU that supports it, or a CPU
    with bfloat16 dot products (AVX-512 BF16 or AMX). Elsewhere bfloat16 is emulated and slower
    than float32: with AVX-512 alone, 1.6x slower on 8 faces; with AVX2 alone, 28x on one."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, check, lambda: False)() for check in checks)
    return True


def effective_precision(device: torch.device, precision: str) -> str:
    """The precision that runs on `device`: "bfloat16" only where `runs_bfloat16`, else float32
    (see `Settings.precision`)."""
    return precision if precision != "bfloat16" or runs_bfloat16(device) else "float32"


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The forward passes' precision: "float32", or "bfloat16" autocast (`effective_precision`)."""
    if effective_precision(device, precision) == "bfloat16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def solve(
    generator: Generator,
    discriminator: Discriminator,
    observed: Observations,
    *,
    lam: float,
    iterations: int,
    restarts: int,
    step_size: float,
    seed: int = 0,
    tolerance: float = 1e-4,
    patience: int = 20,
    start: torch.Tensor | None = None,
    precision: str = "float32",
    callback: ProgressCallback | None = None,
    progress: bool = False,
) -> Solution:
    """Minimise Eq. 3 for each observation, each with its own task's operator A.

    Args:
        lam: the weight of the discriminator prior (per image, see `ganmap.core.objective`).
        iterations: the most Adam steps; fewer for an image that stops early.
        restarts: random initial latents per image, optimised together as one batch.
        step_size: Adam's learning rate on z.
        seed: seeds the initial latents; the same seed gives the same result.
        start: (N, R0, nz) initial latents (e.g. from an encoder) used for the first R0 restarts.
        precision: "float32" or "bfloat16" (autocast of G and D); see `Settings.precision`.
        callback: called as callback(iteration, iterations, best mean objective) after each step.
    """
    n, device = len(observed), observed[0].device
    nz = generator.latent_dim
    z = torch.cat(
        [initial_latents(restarts, nz, seed, None if start is None else start[i]) for i in range(n)]
    ).to(device)
    moment, second_moment = torch.zeros_like(z), torch.zeros_like(z)
    best_loss = torch.full((n * restarts,), float("inf"), device=device)
    best_z = z.clone()
    checkpoint = best_loss.clone()
    active = torch.ones(n, dtype=torch.bool, device=device)  # images still being solved
    history = []

    shown = {} if progress else {"disable": True}  # so that tqdm's TQDM_DISABLE=1 can hide it
    bar = tqdm(range(iterations), desc=observed.name, unit="it", leave=False, **shown)
    for step in bar:
        rows = active.repeat_interleave(restarts).nonzero().squeeze(1)
        latents = z[rows].requires_grad_(True)
        with torch.enable_grad():  # callers may hold no_grad: z still needs its gradient
            terms = [
                judge(generator, discriminator, observed, image, chunk, lam, precision)
                for image, chunk in zip(
                    active.nonzero().squeeze(1).tolist(), latents.split(restarts), strict=True
                )
            ]
            data, loss = (torch.cat(term) for term in zip(*terms, strict=True))
            # images are independent: each z gets its own loss's gradient
            (gradient,) = torch.autograd.grad(loss.sum(), latents)

        with torch.no_grad():
            loss, data = loss.detach(), data.detach()
            improved = loss < best_loss[rows]
            best_loss[rows] = torch.where(improved, loss, best_loss[rows])
            best_z[rows[improved]] = latents[improved].detach()
            moved = adam_step(
                latents.detach(), gradient, moment, second_moment, rows, step + 1, step_size
            )
            z[rows] = moved.clamp(-1, 1)  # stay in the support of p_Z
        best = best_loss.view(n, restarts).amin(1)
        history.append(best)
        mean = best.mean().item()
        bar.set_postfix(objective=f"{mean:.4g}")
        if callback is not None:
            callback(step + 1, iterations, mean)
        if (step + 1) % patience == 0:
            gain = (checkpoint - best_loss)[rows]
            stalled = (gain <= tolerance * data.abs().clamp_min(1e-8)).view(-1, restarts).all(1)
            active[active.nonzero().squeeze(1)[stalled]] = False
            if not active.any():
                break
            checkpoint = best_loss.clone()
    bar.close()

    with torch.no_grad():
        images = per_image(lambda z: to_unit(generator(z)).clamp(0, 1), best_z, restarts)
    losses = best_loss.view(n, restarts)
    each, order = torch.arange(n)[:, None], losses.argsort(dim=1)
    return Solution(
        latents=best_z.view(n, restarts, -1)[each, order],
        images=images.view(n, restarts, *images.shape[1:])[each, order],
        losses=losses[each, order],
        history=torch.stack(history),
    )


def per_image(
    fn: Callable[[torch.Tensor], torch.Tensor], rows: torch.Tensor, rows_per_image: int
) -> torch.Tensor:
    """fn on each image's `rows_per_image` consecutive rows on their own, concatenated: every
    kernel then sees one image's shapes and values whatever else is in the batch (see
    `ganmap.core.observations`)."""
    return torch.cat([fn(chunk) for chunk in rows.split(rows_per_image)])


def judge(
    generator: Generator,
    discriminator: Discriminator,
    observed: Observations,
    image: int,
    latents: torch.Tensor,
    lam: float,
    precision: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. 3's data term and objective for one image's restarts `latents` (R, nz), computed on
    their own (see `ganmap.core.observations`); the data term decides when an image stops."""
    with autocast(latents.device, precision):
        generated = generator(latents)
        # lambda = 0 makes the prior term vanish exactly: skip D, half the work.
        logit = discriminator(generated) if lam else generated.new_zeros(len(latents))
    owners = torch.full((len(latents),), image)
    drawn, logit = to_unit(generated.float()), logit.float()
    data = observed.map(lambda task, y, x: data_term(y, task, x), drawn, owners=owners)
    loss = observed.map(
        lambda task, y, x, d: objective(y, task, x, d, lam, generator.latent_dim),
        drawn,
        logit,
        owners=owners,
    )
    return data, loss


def adam_step(
    z: torch.Tensor,
    gradient: torch.Tensor,
    moment: torch.Tensor,
    second_moment: torch.Tensor,
    rows: torch.Tensor,
    step: int,
    step_size: float,
) -> torch.Tensor:
    """One Adam step (torch.optim.Adam's arithmetic) on the given rows of z, whose moment
    estimates are kept in `moment` and `second_moment` (updated in place): written out so that
    rows can leave the batch when their image stops."""
    beta1, beta2 = BETAS
    moment[rows] = beta1 * moment[rows] + (1 - beta1) * gradient
    second_moment[rows] = beta2 * second_moment[rows] + (1 - beta2) * gradient.square()
    denominator = (second_moment[rows] / (1 - beta2**step)).sqrt() + EPSILON
    return z - step_size / (1 - beta1**step) * moment[rows] / denominator
