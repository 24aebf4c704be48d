"""The `ganmap` command line: corrupt, restore and benchmark faces.

    ganmap corrupt face.jpg observed.png --task super-resolution
    ganmap restore observed.png restored.png --task super-resolution
    ganmap sample grid.png --count 64
    ganmap benchmark --data ../shared/data/celeba/val --limit 10

Errors a user can cause print one line on stderr and exit with status 2; nothing is half-written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from . import TASKS, corrupt
from .images import ImageError
from .models import WeightsError
from .settings import PRESETS

USER_ERRORS = (ValueError, ImageError, WeightsError, FileNotFoundError, PermissionError)


def save_image(image: Image.Image, path: str) -> None:
    """Save through a temporary file, so a failed save leaves no partial output."""
    target = Path(path)
    if target.suffix.lower() not in Image.registered_extensions():
        raise ValueError(f"cannot tell the image format of {path!r}: use .png or .jpg")
    partial = target.with_name(f".{target.name}.partial")
    image.save(partial, format=Image.registered_extensions()[target.suffix.lower()])
    partial.replace(target)


def run_corrupt(args: argparse.Namespace) -> None:
    save_image(corrupt(args.input, args.task, seed=args.seed), args.output)


def run_restore(args: argparse.Namespace) -> None:
    from . import RestorationPipeline

    pipe = RestorationPipeline.from_pretrained(args.model)
    out = pipe(
        args.input,
        args.task,
        mask=args.mask,
        lam=args.lam,
        iterations=args.iterations,
        restarts=args.restarts,
        seed=args.seed,
        preset=args.preset,
        progress=not args.quiet,
    )
    save_image(out.framed if args.framed else out.image, args.output)


def run_sample(args: argparse.Namespace) -> None:
    from . import RestorationPipeline

    pipe = RestorationPipeline.from_pretrained(args.model)
    save_image(pipe.sample_grid(args.count, args.seed), args.output)


def run_benchmark(args: argparse.Namespace) -> None:
    from .benchmark import main as benchmark_main

    benchmark_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganmap", description="Image restoration with a DCGAN prior (Yeh, Lim et al., 2018)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    task_help = f"one of: {', '.join(TASKS)}"

    c = commands.add_parser("corrupt", help="make the paper's observation of a clean face")
    c.add_argument("input", help="clean face image (cut to its centre square, 64 x 64)")
    c.add_argument("output", help="where to write the observation (.png)")
    c.add_argument("--task", required=True, choices=TASKS, metavar="TASK", help=task_help)
    c.add_argument("--seed", type=int, default=0, help="seed of the noise (denoising)")
    c.set_defaults(run=run_corrupt)

    r = commands.add_parser("restore", help="restore an observation with the GAN prior")
    r.add_argument("input", help="the observation: image with a hole, gray, low-res, noisy...")
    r.add_argument("output", help="where to write the restoration (.png)")
    r.add_argument("--task", required=True, choices=TASKS, metavar="TASK", help=task_help)
    r.add_argument("--mask", help="inpainting: image, white where pixels are missing")
    r.add_argument("--lam", type=float, help="weight of the discriminator prior")
    r.add_argument("--iterations", type=int, help="most optimisation steps")
    r.add_argument("--restarts", type=int, help="random starts per image")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument(
        "--preset",
        choices=PRESETS,
        default="default",
        help="settings preset (default: %(default)s)",
    )
    r.add_argument("--model", help="model folder or Hub repo id (default: the bundled weights)")
    r.add_argument("--framed", action="store_true", help="write the result at the input's framing")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(run=run_restore)

    s = commands.add_parser("sample", help="a grid of faces drawn from the generator")
    s.add_argument("output", help="where to write the grid (.png)")
    s.add_argument("--count", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--model", help="model folder or Hub repo id (default: the bundled weights)")
    s.set_defaults(run=run_sample)

    b = commands.add_parser("benchmark", help="the paper's Table 1 on a folder of faces")
    from .benchmark import add_arguments

    add_arguments(b)
    b.set_defaults(run=run_benchmark)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except USER_ERRORS as error:
        print(f"ganmap {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ganmap {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
