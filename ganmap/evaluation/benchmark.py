"""The paper's Table 1 and Fig. 3 on any folder of faces, following docs/evaluation-protocol.md.

Every method sees the same corrupted inputs (image i corrupted with seed i), is scored by PSNR and
SSIM against the clean face, and is timed on this machine, as seconds per face: our method runs
`--batch` faces per call (1 gives the interactive latency), the classical baselines the whole set
at once, each timed per call and divided by its faces. The paper's own figures are printed beside ours, marked as quoted.

    ganmap benchmark --data ../shared/data/celeba/val --limit 10 --markdown table.md
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from tqdm.auto import tqdm

from ganmap.base.images import to_pil
from ganmap.evaluation.baselines import BASELINES
from ganmap.evaluation.data import FaceFolder
from ganmap.evaluation.metrics import psnr, ssim
from ganmap.evaluation.protocol import BENCHMARK_TASKS, corrupted_inputs, input_as_image, run_gan
from ganmap.evaluation.speed import speed_report
from ganmap.photo.pipeline import RestorationPipeline

# Table 1 of the paper (SSIM, PSNR), quoted; colorization had no baselines there.
PAPER_TABLE = {
    "TV (quoted)": {"inpainting": (0.7647, 23.10), "super-resolution": (0.6648, 21.05), "denoising": (0.7373, 21.97), "quantization": (0.6312, 20.77)},
    "LR (quoted)": {"inpainting": (0.6644, 16.98), "super-resolution": (0.6754, 21.45), "denoising": (0.6178, 18.69), "quantization": (0.6754, 20.65)},
    "Sparse (quoted)": {"inpainting": (0.7528, 20.67), "super-resolution": (0.6075, 20.82), "denoising": (0.8092, 23.63), "quantization": (0.7869, 22.67)},
    "Ours, paper (quoted)": {"inpainting": (0.8121, 23.60), "colorization": (0.8876, 20.85), "super-resolution": (0.5626, 19.58), "denoising": (0.6161, 19.31), "quantization": (0.6061, 19.77)},
}  # fmt: skip
GAN_METHODS = {"ours": "default", "paper": "paper"}
FIGURE_COLUMNS = ["input", "tv", "lowrank", "sparse", "ours", "original"]
SPEED_FACES = 64  # the batch of issue 6's speed target


def add_arguments(parser: argparse.ArgumentParser) -> None:
    methods = ["input", *GAN_METHODS, *BASELINES]
    parser.add_argument("--data", help="folder of aligned CelebA faces (any size)")
    parser.add_argument(
        "--photos", help="instead: a folder of whole photos (ganmap.evaluation.photo_sets)"
    )
    parser.add_argument("--figures", help="--photos: folder for a before/after figure per task")
    parser.add_argument("--detection", action="store_true",
                        help="--photos: only the faces found under each corruption (fast)")  # fmt: skip
    parser.add_argument("--limit", type=int, help="first N faces only")
    parser.add_argument("--tasks", nargs="+", choices=BENCHMARK_TASKS, default=list(BENCHMARK_TASKS),
                        metavar="TASK", help=f"any of: {', '.join(BENCHMARK_TASKS)} (default: all)")  # fmt: skip
    parser.add_argument("--methods", nargs="+", choices=methods, default=methods, metavar="METHOD",
                        help=f"any of: {', '.join(methods)} (default: all)")  # fmt: skip
    parser.add_argument("--paper-limit", type=int, default=2,
                        help="faces for the paper's settings, which take minutes each (default: 2; 0: none)")  # fmt: skip
    parser.add_argument("--batch", type=int, default=16,
                        help="faces per call of our method (1: the interactive latency)")  # fmt: skip
    parser.add_argument("--model", help="model folder or Hub repo id (default: bundled weights)")
    parser.add_argument("--out", help="results as JSON (per image and mean)")
    parser.add_argument("--markdown", help="the table in the paper's layout")
    parser.add_argument("--figure", help="the paper's Fig. 3 on the first face")
    parser.add_argument("--speed", help="speed report (Markdown): restarts 1 to 64, FLOP/s share")


def evaluate(args: argparse.Namespace) -> tuple[dict, torch.Tensor]:
    """The report (per task and method: scores, times, per-image figures) and the clean faces."""
    clean = torch.stack(list(FaceFolder(args.data, limit=args.limit)))
    pipe = None
    if any(m in GAN_METHODS for m in args.methods):
        pipe = RestorationPipeline.from_pretrained(args.model)
    report = dict(
        command=" ".join(["ganmap", *sys.argv[1:]]),
        commit=git_commit(),
        data=str(args.data),
        images=len(clean),
        batch=args.batch,
        machine=f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads",
        tasks={},
    )
    figure_rows = {}
    for name in tqdm(args.tasks, desc="tasks"):
        task = BENCHMARK_TASKS[name]
        observations = corrupted_inputs(task, clean)
        results, figure_rows[name] = (
            {},
            {"original": clean[0], "input": input_as_image(task, observations[:1])[0]},
        )
        for method in args.methods:
            n = len(clean)
            if method == "input":
                restored, seconds, parameter = input_as_image(task, observations), [0.0], None
            elif method in GAN_METHODS:
                n = min(n, args.paper_limit) if method == "paper" else n
                if n <= 0:  # --paper-limit 0: no row for the paper's settings
                    continue
                restored, seconds = run_gan(
                    pipe, task, observations[:n], GAN_METHODS[method], args.batch
                )
                parameter = None
            else:
                baseline = BASELINES[method]
                if task.name not in baseline.tasks:
                    continue
                start = time.perf_counter()
                restored = baseline(observations, task)
                seconds = [(time.perf_counter() - start) / n]
                parameter = baseline.parameter_text(task.name)
            scores_psnr, scores_ssim = psnr(restored, clean[:n]), ssim(restored, clean[:n])
            results[method] = dict(
                images=n,
                psnr=float(np.mean(scores_psnr)),
                ssim=float(np.mean(scores_ssim)),
                seconds_median=statistics.median(seconds),
                seconds_mean=statistics.fmean(seconds),
                parameter=parameter,
                per_image=dict(
                    psnr=np.atleast_1d(scores_psnr).tolist(),
                    ssim=np.atleast_1d(scores_ssim).tolist(),
                ),
            )
            figure_rows[name][method] = restored[0]
        report["tasks"][name] = results
    report["figure_rows"] = figure_rows
    return report, clean


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def method_label(method: str) -> str:
    labels = {
        "input": "Corrupted input",
        "ours": "Ours (defaults)",
        "paper": "Ours (paper's settings)",
    }
    return labels.get(method) or BASELINES[method].label


def markdown_table(report: dict) -> str:
    """Tasks as column groups (SSIM, PSNR, seconds per image), methods as rows; quoted rows last."""
    tasks = list(report["tasks"])
    methods = list(dict.fromkeys(m for t in tasks for m in report["tasks"][t]))
    head = "| Method | " + " | ".join(f"{t} SSIM | {t} PSNR | {t} s/img" for t in tasks) + " |"
    rule = "|---|" + "---:|" * (3 * len(tasks))
    lines = [head, rule]
    for method in methods:
        cells, notes = [], []
        for task in tasks:
            r = report["tasks"][task].get(method)
            if r is None:
                cells += ["–"] * 3
                continue
            cells += [f"{r['ssim']:.4f}", f"{r['psnr']:.2f}", f"{r['seconds_median']:.3g}"]
            if r["parameter"]:
                notes.append(f"{task}: {r['parameter']}")
            if r["images"] != report["images"]:
                notes.append(f"{task}: {r['images']} faces")
        label = method_label(method) + (f" ({'; '.join(notes)})" if notes else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for label, row in PAPER_TABLE.items():
        cells = []
        for task in tasks:
            ssim_value, psnr_value = row.get(task, (None, None))
            cells += (
                ["–", "–", "–"]
                if ssim_value is None
                else [f"{ssim_value:.4f}", f"{psnr_value:.2f}", "–"]
            )
        lines.append(f"| *{label}* | " + " | ".join(cells) + " |")
    footer = (
        f"\n{report['images']} faces of `{report['data']}`; {report['machine']}; "
        f"seconds per image: call time / faces per call (ours: {report['batch']} faces per call; baselines: all at once). "
        f"Command: `{report['command']}` at commit `{report['commit']}`. "
        "Rows in italics are quoted from the paper's Table 1 (its own test faces), not measured here.\n"
    )
    return "\n".join(lines) + "\n" + footer


def figure(report: dict, path: str, zoom: int = 2) -> None:
    """Fig. 3: one row per task; corrupted / TV / low-rank / sparse / ours / original."""
    rows = report["figure_rows"]
    side, label_height = 64 * zoom, 16
    sheet = Image.new("RGB", (side * len(FIGURE_COLUMNS), label_height + side * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for c, column in enumerate(FIGURE_COLUMNS):
        draw.text((c * side + 4, 2), column, fill="black")
    for r, (task, images) in enumerate(rows.items()):
        for c, column in enumerate(FIGURE_COLUMNS):
            if column in images:
                tile = (
                    to_pil(images[column])
                    .convert("RGB")
                    .resize((side, side), Image.Resampling.NEAREST)
                )
                sheet.paste(tile, (c * side, label_height + r * side))
        draw.text((2, label_height + r * side + 2), task, fill="yellow")
    sheet.save(path)


def main(args: argparse.Namespace) -> None:
    if args.photos:  # the protocol's "Whole photos"
        from ganmap.evaluation.photo_benchmark import main as photo_main

        return photo_main(args)
    if not args.data:
        raise ValueError("give --data (aligned faces) or --photos (whole photos)")
    if args.detection or args.figures:
        raise ValueError("--detection and --figures go with --photos (whole photos), not --data")
    report, clean = evaluate(args)
    if args.figure:
        figure(report, args.figure)
    table = markdown_table(report)
    print(table)
    report.pop("figure_rows")
    for path, text in ((args.out, json.dumps(report, indent=1)), (args.markdown, table)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text)
    if args.speed:
        pipe = RestorationPipeline.from_pretrained(args.model)
        Path(args.speed).write_text(speed_report(pipe, clean[:SPEED_FACES]))
