"""Train the learned denoiser (`ganmap.classical.denoiser`) on the training frames.

    python training/train_denoiser.py --data ../shared/data/celeba/train --out runs/denoiser

Each step takes a batch of whole training frames at one random scale, log-uniform in
--min-scale to --max-scale (a frame's face is 54 px wide at 1x, 16 px at 0.3x: the sizes photos
hold faces and backgrounds at), shrunk smoothly or sharply at random (`resized`), random crops of
them of up to 48 x 48, flipped at random, and adds white noise clipped to [0, 1] as the tasks do,
at one level per batch drawn log-uniformly from --min-sigma to --max-sigma: the photo's own 0.1,
and the levels that a face's frame sees once it is enlarged or averaged down
(`ganmap.photo.behaviour.at_size`). The loss is the mean squared error, the PSNR's. Every --eval-every steps
it prints the PSNR at sigma 0.1 on the first 64 validation frames (`EVALUATED`) beside BM3D's two
stages (`ganmap.classical.wiener.denoise`), and saves a checkpoint that `--resume` continues from; the
final weights go to OUT/denoiser (config.json + model.safetensors), which ships as
`ganmap/weights/denoiser` (the pipeline's denoiser component). `--init` starts from saved weights instead of from the shrinkage.

The shipped network's runs (their commands in docs/training.md) and each one's figures are in
docs/experiments/denoising.md.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms.functional import pil_to_tensor
from tqdm import tqdm

from ganmap.classical.denoiser import Denoiser
from ganmap.classical.wiener import denoise
from ganmap.evaluation.data import list_images
from ganmap.evaluation.metrics import psnr
from ganmap.operators import Denoising

CROP = 48
#: Validation frames at sigma 0.1 (scale, shrunk smoothly): as they are, and with their faces 22 px
#: wide, shrunk smoothly and sharply.
EVALUATED = ((1.0, True), (0.4, True), (0.4, False))


def load_frames(folder: Path, limit: int | None = None) -> torch.Tensor:
    """Every frame of a folder as one uint8 tensor (N, 3, H, W), cut to even sides."""
    frames = []
    for path in list_images(folder)[:limit]:
        with Image.open(path) as image:
            frames.append(pil_to_tensor(image.convert("RGB")))
    height, width = (min(f.shape[i] for f in frames) // 2 * 2 for i in (1, 2))
    return torch.stack([f[:, :height, :width] for f in frames])


def resized(images: torch.Tensor, scale: float, smooth: bool) -> torch.Tensor:
    """`images` scaled bicubically, shrunk `smooth`ly (antialiased, as a camera's optics blur) or
    by plain sampling (sharp and aliased, as the photo sets' small faces and many resized photos
    are: a network trained on smooth shrinking alone does worse on those)."""
    return F.interpolate(images, scale_factor=scale, mode="bicubic", antialias=smooth).clamp(0, 1)


def batch(frames: torch.Tensor, size: int, scales: tuple[float, float]) -> torch.Tensor:
    """`size` random crops of random frames at one random scale, log-uniform in `scales`, and
    shrunk smoothly or sharply at random, flipped at random, in [0, 1]. The crops are CROP px
    square, or the scaled frame's shorter side rounded down to even where that is less."""
    picked = frames[torch.randint(len(frames), (size,))].float() / 255
    scale = math.exp(torch.empty(1).uniform_(*(math.log(s) for s in scales)).item())
    picked = resized(picked, scale, smooth=bool(torch.rand(()) < 0.5))
    height, width = picked.shape[-2:]
    crop = min(CROP, height, width) // 2 * 2
    top = torch.randint(height - crop + 1, (size,))
    left = torch.randint(width - crop + 1, (size,))
    crops = torch.stack(
        [p[:, t : t + crop, l : l + crop] for p, t, l in zip(picked, top, left, strict=True)]
    )
    flip = torch.rand(size) < 0.5
    crops[flip] = crops[flip].flip(-1)
    return crops.clamp(0, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="training frames")
    parser.add_argument("--val", type=Path, help="validation frames (default: DATA/../val)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--min-sigma", type=float, default=0.025)
    parser.add_argument("--max-sigma", type=float, default=0.25)
    parser.add_argument("--min-scale", type=float, default=0.3)
    parser.add_argument("--max-scale", type=float, default=1.6)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--depth", type=int, default=12)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument(
        "--init",
        type=Path,
        help="start from these saved weights (a denoiser folder; its sizes and noise levels)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.min_scale <= args.max_scale:
        parser.error(f"need 0 < --min-scale <= --max-scale, got {args.min_scale}, {args.max_scale}")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = args.out / "checkpoint.pt"

    frames = load_frames(args.data)
    val_frames = load_frames(args.val or args.data.parent / "val", limit=64).float() / 255
    noise = torch.Generator().manual_seed(0)
    validation = []  # (clean, noisy) per EVALUATED
    for scale, smooth in EVALUATED:
        clean = resized(val_frames, scale, smooth)
        validation.append((clean, Denoising(0.1).corrupt(clean, noise)))

    def evaluate(denoiser) -> str:
        scores = [psnr(denoiser(noisy, 0.1), clean).mean().item() for clean, noisy in validation]
        return " / ".join(f"{score:.2f}" for score in scores)

    bm3d_stages = evaluate(denoise)

    if args.init:
        model = Denoiser.from_pretrained(args.init)
    else:
        model = Denoiser(args.width, args.depth, min_sigma=args.min_sigma, max_sigma=args.max_sigma)
    optimizer = torch.optim.Adam(model.parameters(), args.lr)
    step = 0
    if args.resume:
        state = torch.load(checkpoint_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step = state["step"]
        torch.set_rng_state(state["rng"])  # the batches and noise an unbroken run would draw

    def learning_rate(step: int) -> float:  # warm-up, then a cosine down to lr / 20
        if step < 100:
            return args.lr * (step + 1) / 100
        progress = (step - 100) / max(args.steps - 100, 1)
        return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))

    bar = tqdm(total=args.steps, initial=step, unit="step")
    low, high = math.log(model.min_sigma), math.log(model.max_sigma)  # the ones it serves
    while step < args.steps:
        model.train()
        clean = batch(frames, args.batch_size, (args.min_scale, args.max_scale))
        sigma = math.exp(torch.empty(1).uniform_(low, high).item())
        loss = F.mse_loss(model(Denoising(sigma).corrupt(clean), sigma), clean)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        bar.update()
        bar.set_postfix(loss=f"{loss.item():.5f}")
        if step % args.eval_every == 0 or step == args.steps:
            model.eval()
            with torch.no_grad():
                scores = evaluate(model)
            bar.write(f"step {step}: {scores} dB (BM3D's stages {bm3d_stages})")
            state = dict(
                model=model.state_dict(),
                optimizer=optimizer.state_dict(),
                step=step,
                rng=torch.get_rng_state(),
            )
            torch.save(state, checkpoint_path)
    bar.close()
    model.eval().save_pretrained(args.out / "denoiser")
    print(f"denoiser saved in {args.out / 'denoiser'}")


if __name__ == "__main__":
    main()
