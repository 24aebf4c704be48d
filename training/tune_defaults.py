"""Choose the pipeline's per-task default settings by measurement on validation faces.

The solver settings (lambda, step size, iterations x restarts) decide G(z*); the post-processing
(data consistency, residual refinement) is then tried on the same G(z*), which is cheap. Prints,
per task, every combination with its mean PSNR / SSIM and seconds per face, best first.

    python training/tune_defaults.py --model runs/dcgan/epoch-024 --data ../shared/data/celeba/val --limit 16
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

import numpy as np
import torch

from ganmap import TASKS, RestorationPipeline
from ganmap.benchmark import corrupted_inputs
from ganmap.data import FaceFolder
from ganmap.metrics import psnr, ssim
from ganmap.settings import DEFAULTS

SOLVER_GRID = dict(
    lam=[0.0, 0.01],
    step_size=[0.05, 0.1],
    schedule=[(50, 4)],  # (iterations, restarts): about 1 s per face
)
POST_GRID = {
    "inpainting": [dict(blend=True), dict(blend=False)],
    "colorization": [dict(data_consistency=False), dict(data_consistency=True)],
    "super-resolution": [dict(data_consistency=False), dict(data_consistency=True)],
    "denoising": [dict(residual_sigma=s) for s in (0.0, 0.6, 0.8, 1.0, 1.5, 2.0)],
    "quantization": [
        dict(residual_sigma=s, data_consistency=c)
        for s in (0.0, 0.6, 0.8, 1.0, 2.0)
        for c in (False, True)
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder (default: the bundled weights)")
    parser.add_argument("--data", required=True)
    parser.add_argument("--limit", type=int, default=16)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--out", help="all results as JSON")
    args = parser.parse_args()

    pipe = RestorationPipeline.from_pretrained(args.model)
    clean = torch.stack(list(FaceFolder(args.data, limit=args.limit)))
    results = []
    for name in args.tasks:
        task = TASKS[name]
        observations = corrupted_inputs(task, clean)
        for lam, step_size, (iterations, restarts) in itertools.product(*SOLVER_GRID.values()):
            base = DEFAULTS[name].update(
                lam=lam, step_size=step_size, iterations=iterations, restarts=restarts
            )
            start = time.perf_counter()
            out = pipe(list(observations), task, settings="default", progress=False,
                       **{k: getattr(base, k) for k in ("lam", "step_size", "iterations", "restarts")})  # fmt: skip
            seconds = (time.perf_counter() - start) / len(clean)
            raw = torch.stack(
                [
                    torch.from_numpy(np.asarray(c[0], np.float32) / 255).permute(2, 0, 1)
                    for c in out.candidates
                ]
            )
            for post in POST_GRID[name]:
                config = base.update(**post)
                restored = pipe.postprocess(raw, observations, task, config)
                row = dict(task=name, lam=lam, step_size=step_size, iterations=iterations,
                           restarts=restarts, **post, seconds=seconds,
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


if __name__ == "__main__":
    main()
