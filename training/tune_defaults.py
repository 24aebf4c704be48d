"""Choose the pipeline's per-task default settings by measurement on validation faces.

Each candidate is the task's current default with some fields changed: every combination of the
values `--vary` names (by default the feature refinement's steps and pull). Every candidate runs
the whole pipeline (search over z, feature refinement, averaging, post-processing) on the same
corrupted faces in batches of 16, as the benchmark does. Prints, per task, every candidate with
its mean PSNR / SSIM and seconds per face, best first; `--write` saves each task's best into the
model folder's defaults.json (`ganmap.core.hub`), which `RestorationPipeline.from_pretrained` reads
and training/ship.py ships with the weights.

    python training/tune_defaults.py --model runs/ship --data ../shared/data/celeba/val \
        --skip 100 --limit 32 --write
    python training/tune_defaults.py --data ../shared/data/celeba/val --tasks inpainting \
        --vary average=1,2,4 generator_share=0.5,0.7,1
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import torch

from ganmap import TASKS, RestorationPipeline
from ganmap.core.hub import BUNDLED, save_defaults
from ganmap.core.settings import Settings
from ganmap.evaluation.data import FaceFolder
from ganmap.evaluation.metrics import psnr, ssim
from ganmap.evaluation.protocol import corrupted_inputs, run_gan

#: The feature refinement's steps and pull; 0 steps is the search over z alone.
REFINEMENT = ["refine_steps=0,50,100,150", "refine_weight=0.001,0.003,0.01,0.03"]


def boolean(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ValueError(f"expected true or false, got {value!r}")
    return value.lower() == "true"


PARSERS = {"int": int, "float": float, "str": str, "bool": boolean}


def candidates(vary: list[str]) -> list[dict]:
    """Every combination of the values in `vary` ("field=v1,v2,..."), typed as `Settings` types
    them; without refinement (refine_steps=0) its pull changes nothing, so one such candidate
    stands for all. A ValueError names a field that is not a setting or a bad value."""
    types = {field.name: field.type for field in dataclasses.fields(Settings)}
    grid = {}
    for entry in vary:
        name, _, values = entry.partition("=")
        if name not in types or not values:
            raise ValueError(f"expected FIELD=V1,V2,... with a field of {', '.join(types)}")
        try:
            grid[name] = [PARSERS[types[name]](value) for value in values.split(",")]
        except ValueError as error:
            raise ValueError(f"{name} takes {types[name]} values: {error}") from error
    distinct = {}
    for combination in itertools.product(*grid.values()):
        change = dict(zip(grid, combination, strict=True))
        unrefined = change.get("refine_steps") == 0
        key = tuple((k, v) for k, v in change.items() if not (unrefined and k == "refine_weight"))
        distinct.setdefault(key, change)
    return list(distinct.values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder (default: the bundled weights)")
    parser.add_argument("--data", required=True)
    parser.add_argument("--skip", type=int, default=100, help="faces skipped at the start")
    parser.add_argument("--limit", type=int, default=32, help="faces scored")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument(
        "--vary", nargs="+", default=REFINEMENT, metavar="FIELD=V1,V2",
        help="settings and the values tried, every combination (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--out", help="all results as JSON")
    parser.add_argument(
        "--write", action="store_true",
        help="save each task's best settings into the model folder's defaults.json",
    )  # fmt: skip
    args = parser.parse_args(argv)

    try:
        changes = candidates(args.vary)
    except ValueError as error:
        parser.error(str(error))
    pipe = RestorationPipeline.from_pretrained(args.model)
    faces = FaceFolder(args.data, limit=args.skip + args.limit)
    if len(faces) <= args.skip:
        parser.error(f"{args.data} holds {len(faces)} faces: nothing left after --skip {args.skip}")
    clean = torch.stack([faces[i] for i in range(args.skip, len(faces))])
    results = []
    for name in args.tasks:
        task = TASKS[name]
        observations = corrupted_inputs(task, clean)
        for change in changes:
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
        best = {k: v for k, v in rows[0].items() if k not in ("task", "seconds", "psnr", "ssim")}
        pipe.task_defaults[name] = pipe.defaults(name).update(**best)
    if args.write:
        folder = BUNDLED if args.model is None else Path(args.model)
        save_defaults(folder, pipe.task_defaults)
        print(f"wrote the defaults into {folder}")


if __name__ == "__main__":
    main()
