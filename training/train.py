"""Train the DCGAN image prior on a folder of aligned CelebA faces.

One CPU, one GPU, or many processes with torchrun (DistributedDataParallel; gloo on CPU, nccl on
GPU):

    python training/train.py --data ../shared/data/celeba/train --out runs/dcgan --epochs 60
    torchrun --nproc-per-node 4 training/train.py --data DIR --out runs/dcgan

A run writes into --out: `checkpoint.pt` (everything needed to resume), `log.jsonl` and `loss.png`
(the losses), `samples/` (a grid from 64 fixed latents at intervals) and `epoch-NNN/` (the models
after each epoch, in the `save_pretrained` layout that `RestorationPipeline.from_pretrained` reads).
With `--ema 0.999` the samples and snapshots show a moving average of G's weights (the standard
for sampling and inversion), kept in the checkpoint; `--init ganmap/weights` starts from the
shipped G and D rather than from scratch.
Running the same command again resumes exactly where the run stopped: every random draw (the data
order, the flips, the latents) is a pure function of (seed, step, rank), so a resumed run takes the
same steps as one that never stopped.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torchvision.utils import make_grid, save_image
from tqdm import tqdm

from ganmap.base.images import to_pil
from ganmap.core.hub import default_card, load_components, save_components
from ganmap.core.models import Discriminator, Generator, from_unit, to_unit
from ganmap.evaluation.data import FaceFolder


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder of aligned CelebA JPEGs (any size)")
    parser.add_argument("--out", default="runs/dcgan", help="run folder (resumed if it exists)")
    parser.add_argument("--epochs", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam step size for G and D")
    parser.add_argument("--beta1", type=float, default=0.5, help="Adam beta1 (DCGAN: 0.5)")
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument(
        "--width", type=int, default=64, help="channels of the widest-but-one layer"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images")
    parser.add_argument("--workers", type=int, default=0, help="processes decoding the images")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--checkpoint-every", type=int, default=100, help="steps")
    parser.add_argument("--sample-every", type=int, default=500, help="steps")
    parser.add_argument("--log-every", type=int, default=10, help="steps")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this global step")
    parser.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                        help="keep a moving average of G's weights with this decay (e.g. 0.999; "
                        "0: none) and use it for the samples and snapshots")  # fmt: skip
    parser.add_argument("--init", metavar="FOLDER",
                        help="start from this pipeline folder's G and D (e.g. ganmap/weights) "
                        "instead of a fresh DCGAN initialisation; a checkpoint in --out wins")  # fmt: skip
    parser.add_argument("--push-to-hub", metavar="REPO", default=None, help="publish the result")
    return parser.parse_args(argv)


STEP, ORDER, SAMPLES = 0, 1, 2  # the purposes of random draws, part of their key


def draws(*key: int) -> torch.Generator:
    """A random generator that is a pure function of `key` (seed, purpose, step, ...): no state to
    save, so a resumed run draws exactly what an uninterrupted one would."""
    state = np.random.SeedSequence(list(key)).generate_state(1)[0]
    return torch.Generator().manual_seed(int(state))


def epoch_batches(n: int, batch_size: int, epoch: int, seed: int, rank: int, world: int):
    """This process's batches (lists of indices) for one epoch; every process sees a distinct shard."""
    order = torch.randperm(n, generator=draws(seed, ORDER, epoch)).tolist()[rank::world]
    return [order[i : i + batch_size] for i in range(0, len(order) - batch_size + 1, batch_size)]


def decoded(faces: FaceFolder, workers: int) -> torch.Tensor:
    """Every face as one uint8 tensor (N, 3, 64, 64), decoded once rather than once an epoch: on a
    GPU, decoding the JPEGs every epoch held training back (docs/experiments/speed.md). The
    training split fits in memory; the training crop is already 8-bit, so nothing is lost."""
    loader = DataLoader(faces, batch_size=256, num_workers=workers)
    return torch.cat([(batch * 255).round().to(torch.uint8) for batch in loader])


def plot_losses(log_file: Path, out_file: Path) -> None:
    """loss.png from log.jsonl; skipped quietly when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    rows = [json.loads(line) for line in log_file.read_text().splitlines()]
    fig, ax = plt.subplots(figsize=(8, 4))
    for key in ("loss_d", "loss_g"):
        ax.plot([r["epoch"] for r in rows], [r[key] for r in rows], label=key, linewidth=0.8)
    ax.set(xlabel="epoch", ylabel="loss", title="DCGAN losses")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


def start_processes() -> tuple[int, int, torch.device]:
    """(rank, world size, device): one process, or one of torchrun's (gloo on CPU, nccl on GPU)."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if "WORLD_SIZE" not in os.environ:
        return 0, 1, device
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
    return dist.get_rank(), dist.get_world_size(), device


def initial_models(args: argparse.Namespace) -> tuple[Generator, Discriminator]:
    """DCGAN-initialised G and D, or (--init) those of a pipeline folder, e.g. the shipped weights;
    the folder's sizes then replace --latent-dim and --width (and are saved in the checkpoint)."""
    torch.manual_seed(args.seed)  # the same initial weights on every process
    if args.init is None:
        return Generator(args.latent_dim, args.width), Discriminator(args.width)
    models = load_components(Path(args.init))
    args.latent_dim, args.width = models["generator"].latent_dim, models["generator"].width
    return models["generator"], models["discriminator"]


@torch.no_grad()
def update_average(average: Generator, generator: Generator, decay: float) -> None:
    """average <- decay * average + (1 - decay) * generator; batch-norm statistics copied."""
    for mean, weight in zip(average.parameters(), generator.parameters(), strict=True):
        mean.lerp_(weight, 1 - decay)
    for mean, buffer in zip(average.buffers(), generator.buffers(), strict=True):
        mean.copy_(buffer)


@torch.no_grad()
def samples(generator: Generator, latents: torch.Tensor) -> torch.Tensor:
    """G in eval mode (as restoration uses it) on fixed latents, in [0, 1]; G's mode is kept."""
    training = generator.training
    images = to_unit(generator.eval()(latents)).clamp(0, 1).cpu()
    generator.train(training)
    return images


def save_models(folder: Path, generator: Generator, discriminator: Discriminator, latents) -> None:
    """The pipeline layout, readable by RestorationPipeline.from_pretrained(folder)."""
    grid = to_pil(make_grid(samples(generator, latents), nrow=8, padding=2, pad_value=1))
    models = dict(generator=generator, discriminator=discriminator)
    save_components(folder, models, default_card(), grid)


def gan_step(g_model, d_model, opt_g, opt_d, real: torch.Tensor, z: torch.Tensor) -> dict:
    """One step of D, then one of G, on a batch of real images and latents; returns the losses
    and D's mean probabilities on real and generated images (tensors, for the log)."""
    # Discriminator: real -> 1, generated -> 0 (logits, so the losses stay finite).
    fake = g_model(z)
    logit_real, logit_fake = d_model(real), d_model(fake.detach())
    loss_d = F.binary_cross_entropy_with_logits(
        logit_real, torch.ones_like(logit_real)
    ) + F.binary_cross_entropy_with_logits(logit_fake, torch.zeros_like(logit_fake))
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()

    # Generator: the non-saturating loss, -log D(G(z)).
    logit_gen = d_model(fake)
    loss_g = F.binary_cross_entropy_with_logits(logit_gen, torch.ones_like(logit_gen))
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    return dict(
        loss_d=loss_d.detach(),
        loss_g=loss_g.detach(),
        d_real=torch.sigmoid(logit_real).mean().detach(),
        d_fake=torch.sigmoid(logit_fake).mean().detach(),
    )


def training_state(generator, discriminator, opt_g, opt_d, average) -> dict:
    """What a checkpoint holds besides the step and arguments: every weight and moment."""
    state = dict(
        generator=generator.state_dict(),
        discriminator=discriminator.state_dict(),
        opt_g=opt_g.state_dict(),
        opt_d=opt_d.state_dict(),
    )
    return state | ({} if average is None else dict(average=average.state_dict()))


def save_checkpoint(path: Path, state: dict) -> None:
    torch.save(state, path.with_suffix(".tmp"))
    os.replace(path.with_suffix(".tmp"), path)  # never a half-written checkpoint


def trim_log(log_file: Path, step: int) -> None:
    """Drop what was logged after the checkpoint of a resumed run: it will be redone."""
    if log_file.exists():
        lines = log_file.read_text().splitlines()
        kept = [line for line in lines if json.loads(line)["step"] <= step]
        log_file.write_text("".join(line + "\n" for line in kept))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world, device = start_processes()
    main_process = rank == 0
    out = Path(args.out)
    checkpoint_file, log_file = out / "checkpoint.pt", out / "log.jsonl"
    if main_process:
        (out / "samples").mkdir(parents=True, exist_ok=True)

    # data, decoded once and kept where the models are
    faces = decoded(FaceFolder(args.data, limit=args.limit), args.workers).to(device)
    steps_per_epoch = len(faces) // (args.batch_size * world)
    if steps_per_epoch == 0:
        sys.exit(f"{len(faces)} images are fewer than one batch of {args.batch_size} x {world}")
    total_steps = args.epochs * steps_per_epoch
    if args.max_steps is not None:
        total_steps = min(total_steps, args.max_steps)

    # models, optimisers, the moving average of G, and the state of a stopped run
    generator, discriminator = initial_models(args)
    generator, discriminator = generator.to(device).train(), discriminator.to(device).train()
    average = copy.deepcopy(generator).eval().requires_grad_(False) if args.ema else None
    opt_g = torch.optim.Adam(generator.parameters(), args.lr, betas=(args.beta1, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), args.lr, betas=(args.beta1, 0.999))
    step = 0
    if checkpoint_file.exists():
        state = torch.load(checkpoint_file, map_location=device, weights_only=True)
        generator.load_state_dict(state["generator"])
        discriminator.load_state_dict(state["discriminator"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        if average is not None:  # a run without one starts it from G
            average.load_state_dict(state.get("average", state["generator"]))
        step = state["step"]
        if main_process:
            print(f"resuming {out} at step {step} (epoch {step / steps_per_epoch:.2f})")
            trim_log(log_file, step)
    shown = average if average is not None else generator  # what samples and snapshots show
    g_model, d_model = generator, discriminator
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        g_model = DistributedDataParallel(generator, device_ids=ids)
        d_model = DistributedDataParallel(discriminator, device_ids=ids)
    fixed_latents = torch.rand(64, args.latent_dim, generator=draws(args.seed, SAMPLES)) * 2 - 1
    fixed_latents = fixed_latents.to(device)

    # the loop
    bar = tqdm(total=total_steps, initial=step, disable=not main_process, unit="step")
    log = open(log_file, "a") if main_process else None  # noqa: SIM115 (closed after the loop)
    tick = time.perf_counter()
    while step < total_steps:
        epoch, first = divmod(step, steps_per_epoch)
        batches = epoch_batches(len(faces), args.batch_size, epoch, args.seed, rank, world)
        for indices in batches[first:]:
            real = from_unit(faces[torch.tensor(indices, device=device)].float() / 255)
            rng = draws(args.seed, STEP, step, rank)
            flip = (torch.rand(len(real), generator=rng) < 0.5).to(device)
            real = torch.where(flip[:, None, None, None], real.flip(-1), real)
            z = (torch.rand(len(real), args.latent_dim, generator=rng) * 2 - 1).to(device)

            losses = gan_step(g_model, d_model, opt_g, opt_d, real, z)
            if average is not None:
                update_average(average, generator, args.ema)
            step += 1

            if main_process:
                bar.update()
                if step % args.log_every == 0:
                    now = time.perf_counter()
                    rate = args.log_every * len(real) * world / (now - tick)
                    tick = now
                    row = dict(
                        step=step,
                        epoch=round(step / steps_per_epoch, 4),
                        **{name: value.item() for name, value in losses.items()},
                        images_per_s=round(rate, 1),
                    )
                    log.write(json.dumps(row) + "\n")
                    log.flush()
                    bar.set_postfix(
                        epoch=f"{row['epoch']:.2f}", D=f"{row['loss_d']:.3f}",
                        G=f"{row['loss_g']:.3f}", img_s=f"{rate:.0f}",
                    )  # fmt: skip
                if step % args.sample_every == 0:
                    image_file = out / "samples" / f"step-{step:06d}.png"
                    save_image(samples(shown, fixed_latents), image_file, nrow=8)
                if step % steps_per_epoch == 0:
                    snapshot = out / f"epoch-{step // steps_per_epoch:03d}"
                    save_models(snapshot, shown, discriminator, fixed_latents)
                if (
                    step % args.checkpoint_every == 0
                    or step % steps_per_epoch == 0
                    or (step == total_steps)
                ):
                    state = training_state(generator, discriminator, opt_g, opt_d, average)
                    state |= dict(step=step, args=vars(args))
                    save_checkpoint(checkpoint_file, state)
                    plot_losses(log_file, out / "loss.png")
            if step >= total_steps:
                break

    # the end
    if main_process:
        bar.close()
        log.close()
        save_image(samples(shown, fixed_latents), out / "samples" / f"step-{step:06d}.png", nrow=8)
        save_models(out / "final", shown, discriminator, fixed_latents)
        print(f"finished at step {step}; models in {out / 'final'}")
        if args.push_to_hub:
            from ganmap import RestorationPipeline

            RestorationPipeline.from_pretrained(out / "final").push_to_hub(args.push_to_hub)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
