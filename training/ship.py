"""Make a training snapshot the package's bundled weights, with its model card.

    python training/ship.py runs/ship --run runs/dcgan --validation results/benchmark.json

Writes ganmap/weights/ (the Hub layout: model_index.json, README.md, samples.png, defaults.json
(the per-task defaults training/tune_defaults.py --write put in the snapshot), generator/,
discriminator/, encoder/, denoiser/) so that `pip install .` carries it and `RestorationPipeline.from_pretrained()`
loads it; publishing is then `RestorationPipeline.from_pretrained().push_to_hub(REPO)`.
The card's figures all come from files that earlier commands wrote: the training log and
arguments (checkpoint.pt), the checkpoint selection (selection.json) and the validation benchmark
(`ganmap benchmark ... --out`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from huggingface_hub import ModelCard

from ganmap import Denoiser, RestorationPipeline
from ganmap.core.hub import BUNDLED, CARD_NAME, DEFAULTS_NAME, card_metadata, save_defaults

TASK_ORDER = ["inpainting", "colorization", "super-resolution", "denoising", "quantization"]


def training_summary(run: Path) -> dict:
    args = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)["args"]
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    seconds = sum(args["log_every"] * args["batch_size"] / r["images_per_s"] for r in rows)
    return dict(args=args, steps=rows[-1]["step"], hours=seconds / 3600)


def validation_table(report: dict) -> str:
    lines = [
        "| task | input PSNR | input SSIM | restored PSNR | restored SSIM | s / face (median) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for task in TASK_ORDER:
        results = report["tasks"].get(task)
        if not results:
            continue
        given, ours = results["input"], results["ours"]
        lines.append(
            f"| {task} | {given['psnr']:.2f} | {given['ssim']:.4f} | {ours['psnr']:.2f} "
            f"| {ours['ssim']:.4f} | {ours['seconds_median']:.2f} |"
        )
    return "\n".join(lines)


def training_section(summary: dict) -> str:
    """The card's "Training" section for a run trained from scratch, from its checkpoint and log."""
    args = summary["args"]
    return f"""## Training
- Data: {args["limit"] or 7500} aligned CelebA faces (the project's training split of 7,500 faces,
  half-size JPEGs), DCGAN crop (centre square of 108/178 of the width) resized to 64 x 64, random
  horizontal flips.
- Model: DCGAN (Radford et al.), latent dimension {args["latent_dim"]}, width {args["width"]}, z ~ U[-1, 1].
- Optimiser: Adam, step size {args["lr"]}, beta1 {args["beta1"]}, batch {args["batch_size"]}, non-saturating GAN loss.
- Run: stopped after {summary["steps"]} steps ({summary["steps"] * args["batch_size"] / 7500:.1f} epochs), {summary["hours"]:.1f} hours of steps on a 2-core CPU (sum of
  the logged step times), seed {args["seed"]}; the shipped weights are the snapshot chosen below,
  with the generator's batch-norm statistics recalibrated on 8,192 samples.
- Command: `python training/train.py --data ../shared/data/celeba/train --out runs/dcgan --epochs {args["epochs"]}`"""


def card(training: str, selection: dict, report: dict, encoder_note: str) -> str:
    data = card_metadata()
    chosen = max(selection, key=selection.get)
    selection_rows = "\n".join(
        f"| {name} | {value:.2f} |" for name, value in sorted(selection.items())
    )
    worse = [
        t for t in TASK_ORDER
        if t in report["tasks"] and report["tasks"][t]["ours"]["psnr"] < report["tasks"][t]["input"]["psnr"]
    ]  # fmt: skip
    warning = (
        f"\n**Defect, reported rather than hidden:** on {', '.join(worse)} the restoration scores "
        "a lower PSNR than the corrupted input itself.\n"
        if worse
        else ""
    )
    text = f"""
# ganmap DCGAN face prior (64 x 64)

The generator and discriminator that [ganmap](https://github.com/ganmap/ganmap) uses as the learned
image prior of "Image Restoration with Deep Generative Models" (Yeh, Lim et al., ICASSP 2018):
restoring an image finds the latent z whose G(z), seen through the corruption, matches the
observation, with the discriminator as regulariser (Eq. 3 of the paper).

```python
from ganmap import RestorationPipeline

pipe = RestorationPipeline.from_pretrained()          # these weights, bundled with the package
restored = pipe("face_with_hole.png", task="inpainting").image
```

![64 samples of the generator, latents from seed 0](samples.png)

## Licence
Trained on CelebA, which is available for **non-commercial research purposes only**; these
weights inherit that restriction. The ganmap code is MIT-licensed.

{training}

{encoder_note}

## Denoiser
A small learned denoiser (`denoiser/`, 1.5 MB) corrects a BM3D-style shrinkage; a noisy photo's
final step averages it with a Wiener filter. It is trained apart from the GAN, on the same
training faces (`python training/train_denoiser.py --data ../shared/data/celeba/train --out
runs/denoiser`; the runs that made this one are in the ganmap repository's docs/training.md).

## Checkpoint selection
Snapshots after each epoch were scored by how well the generator reproduces validation faces:
the mean PSNR of G(z*) with z* = argmin ||x - G(z)||_1 (100 Adam steps, 2 restarts, first 32
faces of the validation split; `python training/select_checkpoint.py runs/dcgan --data ../shared/data/celeba/val`).
The chosen snapshot is **{chosen}**.

| snapshot | reconstruction PSNR (dB) |
|---|---:|
{selection_rows}

## Validation figures
PSNR (dB) and SSIM on the {report["images"]} faces of the validation split (no identity shared
with training), at the package's default settings, beside the corrupted input's own figures
(super-resolution input upsampled by pixel repetition, colorization input as a gray RGB image).
{warning}
{validation_table(report)}

Command: `{report["command"]}` at commit `{report["commit"]}`; {report["machine"]}.
"""
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n{text}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("snapshot", type=Path, help="model folder: a snapshot, maybe with encoder")
    parser.add_argument(
        "--run", type=Path, required=True, help="its training run (logs, selection)"
    )
    parser.add_argument("--validation", type=Path, required=True, help="benchmark JSON on val/")
    parser.add_argument("--out", type=Path, default=BUNDLED)
    parser.add_argument("--encoder-note", default="", help="how the encoder was trained, if any")
    parser.add_argument(
        "--denoiser",
        type=Path,
        default=BUNDLED / "denoiser",
        help="the learned denoiser to ship where the snapshot has none (training/"
        "train_denoiser.py's output); default: the one bundled now",
    )
    parser.add_argument(
        "--training-note",
        type=Path,
        help="Markdown file: the card's Training section, for a run whose checkpoint.pt is not at "
        "hand (e.g. trained on a lent GPU); default: written from --run's checkpoint and log",
    )
    parser.add_argument(
        "--card-only",
        action="store_true",
        help="rewrite only the model card (new figures) and the per-task defaults, not the "
        "weights: every weights file committed stays in git history, so weights are rewritten "
        "only when they change",
    )
    args = parser.parse_args()

    run = args.run
    pipe = RestorationPipeline.from_pretrained(args.snapshot)
    if pipe.denoiser is None:  # trained apart from the GAN: keep shipping one
        pipe.denoiser = Denoiser.from_pretrained(args.denoiser)
    selection = json.loads((run / "selection.json").read_text())
    report = json.loads(args.validation.read_text())
    if args.training_note is not None:
        training = args.training_note.read_text().strip()
    else:
        training = training_section(training_summary(run))
    pipe.card = card(training, selection, report, args.encoder_note)
    if not pipe.task_defaults:
        print(f"warning: {args.snapshot} has no {DEFAULTS_NAME}: every task will run with the "
              "generic settings; run training/tune_defaults.py --write on it first")  # fmt: skip
    if args.card_only:
        (args.out / CARD_NAME).write_text(pipe.card)
        save_defaults(args.out, pipe.task_defaults)
    else:
        pipe.generator.recalibrate_batchnorm()  # exact statistics for eval mode, as restoration uses
        pipe.save_pretrained(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
