"""Grid search of each baseline's one parameter on validation faces, by mean PSNR.

    OMP_NUM_THREADS=1 python -m ganmap.evaluation.baselines.tune --data /work/shared/data/celeba/val --limit 50

Every face is corrupted once with its own fixed seed (its index), every baseline restores the same
observations, and for each baseline and task the table lists each grid value's mean PSNR and SSIM
and its seconds per image; '*' marks the winner, the value to freeze in `BASELINES`. Baselines
without a parameter are scored too, for reference. The grids bracket the optimum found in a first,
coarser look; a winner at an end of its grid means the grid needs widening, except at a limit:
sparsity 1, and the smallest weights for colorization and super-resolution, where the result has
stopped changing.
"""

from __future__ import annotations

import argparse
import time

import torch

from ganmap.evaluation.baselines import BASELINES
from ganmap.evaluation.data import FaceFolder
from ganmap.evaluation.metrics import psnr, ssim
from ganmap.evaluation.protocol import corrupted_inputs
from ganmap.operators import TASKS

GRIDS: dict[str, dict[str, tuple[float, ...]]] = {
    "tv": {
        "inpainting": (0.003, 0.01, 0.03, 0.1),
        "colorization": (0.00001, 0.00003, 0.0001),
        "super-resolution": (0.00001, 0.00003, 0.0001, 0.0003),
        "denoising": (0.05, 0.065, 0.08, 0.1),
        "quantization": (0.03, 0.06, 0.1, 0.2),
    },
    "lowrank": {
        "inpainting": (0.03, 0.1, 0.3, 1.0),
        "colorization": (0.0003, 0.001, 0.003),
        "super-resolution": (0.0003, 0.001, 0.003, 0.01),
        "denoising": (0.6, 0.8, 1.0, 1.3),
        "quantization": (0.35, 0.5, 0.7),
    },
    "sparse": {
        "inpainting": (1, 2, 4),
        "colorization": (1, 2, 4),
        "super-resolution": (2, 4, 8),
        "denoising": (3, 4, 5),
        "quantization": (8, 12, 16),
    },
    "nl-means": {"denoising": (0.4, 0.5, 0.6, 0.7, 0.8)},
    "blur": {"quantization": (0.0, 0.6, 0.7, 0.8, 1.0)},
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder of validation faces")
    parser.add_argument("--limit", type=int, default=50, help="first N faces of the folder")
    parser.add_argument("--only", nargs="+", choices=BASELINES, help="these baselines alone")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS), metavar="TASK")
    args = parser.parse_args(argv)

    faces = FaceFolder(args.data, limit=args.limit)
    clean = torch.stack([faces[i] for i in range(len(faces))])
    print(f"{len(clean)} faces from {args.data}, {torch.get_num_threads()} thread(s)")
    for key in args.only or BASELINES:
        baseline = BASELINES[key]
        for task_name in (name for name in baseline.tasks if name in args.tasks):
            task = TASKS[task_name]
            observation = corrupted_inputs(task, clean)
            grid = GRIDS.get(key, {}).get(task_name, (None,))
            scores = []
            for value in grid:
                options = {} if value is None else {baseline.parameter: value}
                start = time.perf_counter()
                restored = baseline.method(observation, task, **options)
                seconds = (time.perf_counter() - start) / len(clean)
                scores.append((psnr(restored, clean).mean(), ssim(restored, clean).mean(), seconds))
            best = max(range(len(grid)), key=lambda i: scores[i][0])
            for i, (value, (mean_psnr, mean_ssim, seconds)) in enumerate(
                zip(grid, scores, strict=True)
            ):
                label = "" if value is None else f"{baseline.parameter}={value:g}"
                print(
                    f"{baseline.label:16} {task_name:17} {label:16} PSNR {mean_psnr:6.2f}  "
                    f"SSIM {mean_ssim:.4f}  {seconds:7.3f} s/image {'*' if i == best else ''}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
