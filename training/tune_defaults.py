"""Choose the pipeline's per-task default settings by measurement on validation faces.

Each candidate is the task's current default with some fields changed; every candidate runs the
whole pipeline (search over z, feature refinement, post-processing) on the same corrupted faces in
batches of 16, as the benchmark does. Prints, per task, every candidate with its mean PSNR / SSIM
and seconds per face, best first; `--write` saves each task's best into the model folder's
defaults.json (`ganmap.hub`), which `RestorationPipeline.from_pretrained` reads and
training/ship.py ships with the weights.

    python training/tune_defaults.py --model runs/ship --data ../shared/data/celeba/val \
        --skip 100 --limit 32 --write
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
import torch

from ganmap import TASKS, RestorationPipeline
from ganmap.data import FaceFolder
from ganmap.hub import BUNDLED, save_defaults
from ganmap.metrics import psnr, ssim
from ganmap.protocol import corrupted_inputs, run_gan

# (steps, weight) of the feature refinement; (0, 0) is the search over z alone.
REFINE_GRID = [(0, 0.0)] + list(itertools.product([50, 100, 150], [0.001, 0.003, 0.01, 0.03]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder (default: the bundled weights)")
    parser.add_argument("--data", required=True)
    parser.add_argument("--skip", type=int, default=100, help="faces skipped at the start")
    parser.add_argument("--limit", type=int, default=32, help="faces scored")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument(
        "--lam", type=float, nargs="+", default=[0.0],
        help="lambda values tried with every refinement (0.01 measured no change; see README)",
    )  # fmt: skip
    parser.add_argument("--out", help="all results as JSON")
    parser.add_argument(
        "--write", action="store_true",
        help="save each task's best settings into the model folder's defaults.json",
    )  # fmt: skip
    args = parser.parse_args()

    pipe = RestorationPipeline.from_pretrained(args.model)
    faces = FaceFolder(args.data, limit=args.skip + args.limit)
    if len(faces) <= args.skip:
        parser.error(f"{args.data} holds {len(faces)} faces: nothing left after --skip {args.skip}")
    clean = torch.stack([faces[i] for i in range(args.skip, len(faces))])
    results = []
    for name in args.tasks:
        task = TASKS[name]
        observations = corrupted_inputs(task, clean)
        for lam, (steps, weight) in itertools.product(args.lam, REFINE_GRID):
            change = dict(lam=lam, refine_steps=steps, refine_weight=weight)
            restored, seconds = run_gan(pipe, task, observations, "default", 16, **change)
            row = dict(task=name, **change, seconds=float(np.mean(seconds)),
                       psnr=float(np.mean(psnr(restored, clean))),
                       ssim=float(np.mean(ssim(restored, clean))))  # fmt: skip
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
    for name in args.tasks:
        rows = sorted((r for r in results if r["task"] == name), key=lambda r: -r["psnr"])
        print(f"\n{name}: best of {len(rows)}")
        for r in rows[:5]:
            print("  ", {k: v for k, v in r.items() if k != "task"})
        best = {k: rows[0][k] for k in ("lam", "refine_steps", "refine_weight")}
        pipe.task_defaults[name] = pipe.defaults(name).update(**best)
    if args.write:
        folder = BUNDLED if args.model is None else Path(args.model)
        save_defaults(folder, pipe.task_defaults)
        print(f"wrote the defaults into {folder}")


if __name__ == "__main__":
    main()
