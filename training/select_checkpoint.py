"""Pick the training snapshot whose generator best reproduces validation faces.

Restoration can only be as good as the closest G(z) to the true face, so the measure is the
reconstruction PSNR: for each validation face x, minimise ||x - G(z)||_1 over z (the solver with
A = identity and lambda = 0, fixed restarts and iterations) and score PSNR(G(z*), x). The later
epochs of a GAN are not reliably better; this picks by what the package needs.

    python training/select_checkpoint.py runs/dcgan --data ../shared/data/celeba/val --limit 32
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ganmap.core.hub import COMPONENTS
from ganmap.core.observations import Observations
from ganmap.core.solver import solve
from ganmap.evaluation.data import FaceFolder
from ganmap.evaluation.metrics import psnr
from ganmap.operators import Denoising


def reconstruction_psnr(
    snapshot: Path, faces: torch.Tensor, iterations: int, restarts: int
) -> float:
    generator, discriminator = (
        cls.from_pretrained(snapshot / name).requires_grad_(False).to(faces.device)
        for name, cls in COMPONENTS.items()
    )
    solution = solve(
        generator, discriminator, Observations(Denoising(), faces),
        lam=0.0, iterations=iterations, restarts=restarts, step_size=0.05, tolerance=0.0,
    )  # fmt: skip
    return float(psnr(solution.images[:, 0], faces).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="training run folder with epoch-NNN/ snapshots")
    parser.add_argument("--data", required=True, help="validation faces")
    parser.add_argument("--limit", type=int, default=32, help="validation faces used")
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--every", type=int, default=1, help="score every k-th epoch")
    parser.add_argument("--first", type=int, default=1, help="skip the epochs before this one")
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"  # the solver follows the faces
    faces = torch.stack(list(FaceFolder(args.data, limit=args.limit))).to(device)
    results_file = args.run / "selection.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    for snapshot in sorted(args.run.glob("epoch-*")):
        epoch = int(snapshot.name.split("-")[1])
        if snapshot.name in results or epoch % args.every or epoch < args.first:
            continue
        results[snapshot.name] = reconstruction_psnr(
            snapshot, faces, args.iterations, args.restarts
        )
        print(f"{snapshot.name}: reconstruction PSNR {results[snapshot.name]:.2f} dB", flush=True)
        results_file.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    best = max(results, key=results.get)
    print(f"best: {best} ({results[best]:.2f} dB on {len(faces)} faces)")


if __name__ == "__main__":
    main()
