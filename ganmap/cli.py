"""The `ganmap` command line: corrupt, restore and benchmark faces.

    ganmap corrupt photo.jpg observed.png --task super-resolution
    ganmap restore observed.png restored.png --task super-resolution     # every face of a photo
    ganmap restore observed/ restored/ --task denoising                  # a folder of photos
    ganmap restore mine.jpg restored.png --task denoising --noise-sigma auto  # its own noise
    ganmap restore mine.png restored.png --task quantization --levels auto    # its own levels
    ganmap restore face.png restored.png --task inpainting --aligned     # one aligned 64 x 64 face
    ganmap sample grid.png --count 64
    ganmap benchmark --data ../shared/data/celeba/val --limit 10

Errors a user can cause print one line on stderr and exit with status 2; nothing is half-written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from ganmap.base.images import ImageError, ImageLike
from ganmap.base.weights import WeightsError
from ganmap.core.pipeline import corrupt
from ganmap.core.settings import PRESETS
from ganmap.evaluation.data import list_images
from ganmap.operators import TASKS, Task, at_its_own_level, at_level, get_task
from ganmap.operators.registry import LEVELS, NOISE_SIGMA, level_of
from ganmap.photo.pipeline import RestorationPipeline, corrupt_photo

USER_ERRORS = (ValueError, ImageError, WeightsError, FileNotFoundError, PermissionError)


def save_image(image: Image.Image, path: str) -> None:
    """Save through a temporary file, so a failed save leaves no partial output."""
    target = Path(path)
    if target.suffix.lower() not in Image.registered_extensions():
        raise ValueError(f"cannot tell the image format of {path!r}: use .png or .jpg")
    partial = target.with_name(f".{target.name}.partial")
    image.save(partial, format=Image.registered_extensions()[target.suffix.lower()])
    partial.replace(target)


def task_name(text: str) -> str:
    """--task's type: a registered name or a composite of them (`ganmap.get_task` checks)."""
    try:
        get_task(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def run_corrupt(args: argparse.Namespace) -> None:
    if args.aligned:
        save_image(corrupt(args.input, args.task, seed=args.seed), args.output)
        return
    observed, mask = corrupt_photo(args.input, args.task, seed=args.seed)
    save_image(observed, args.output)
    if mask is not None:
        save_image(mask, args.mask)


def or_auto(number: type) -> Callable[[str], float | str]:
    """An option's type: "auto" or a `number` (the task checks its range)."""

    def parse(text: str) -> float | str:
        return text if text == "auto" else number(text)

    parse.__name__ = number.__name__  # argparse names it in its errors
    return parse


def restoring_task(args: argparse.Namespace, photo: ImageLike) -> str | Task:
    """--task, at --noise-sigma (denoising) or --levels (quantization) where given: "auto" is
    the photo's own (`at_its_own_level`), the paper's 5 levels where it has none."""
    if "auto" in (args.noise_sigma, args.levels):
        return at_its_own_level(args.task, photo)[0]
    level = args.noise_sigma if args.noise_sigma is not None else args.levels
    return args.task if level is None else at_level(args.task, level)


def run_restore(args: argparse.Namespace) -> None:

    if args.framed and not args.aligned:
        raise ValueError("--framed applies to --aligned crops; photos come back whole anyway")
    level = level_of(args.task)
    for option, value, needed in (
        ("--noise-sigma", args.noise_sigma, NOISE_SIGMA),
        ("--levels", args.levels, LEVELS),
    ):
        if value is not None and level is not needed:
            raise ValueError(f"{option} applies to {needed.applies_to}, not {args.task}")
    source = Path(args.input)
    if source.is_dir():
        if args.mask:
            raise ValueError("--mask takes one photo's mask; restore the photos one at a time")
        photos = list_images(source)
        Path(args.output).mkdir(parents=True, exist_ok=True)
        targets = [Path(args.output) / f"{photo.stem}.png" for photo in photos]
    else:
        photos, targets = [args.input], [args.output]
    pipe = RestorationPipeline.from_pretrained(args.model)
    settings = dict(
        lam=args.lam,
        iterations=args.iterations,
        restarts=args.restarts,
        seed=args.seed,
        progress=not args.quiet,
    )
    failed = []
    for photo, target in zip(photos, targets, strict=True):
        try:
            task = restoring_task(args, photo)
            if args.aligned:
                out = pipe(photo, task, mask=args.mask, preset=args.preset, **settings)
                image = out.framed if args.framed else out.image
            else:
                out = pipe.restore_photo(
                    photo, task, mask=args.mask, preset=args.preset, **settings
                )
                image = out.image
            save_image(image, str(target))
        except USER_ERRORS as error:
            if len(photos) == 1:
                raise
            failed.append(f"{photo}: {error}")
    if failed:
        raise ValueError(
            f"{len(failed)} of {len(photos)} photos not restored (the others were written): "
            + "; ".join(failed)
        )


def run_sample(args: argparse.Namespace) -> None:

    pipe = RestorationPipeline.from_pretrained(args.model)
    save_image(pipe.sample_grid(args.count, args.seed), args.output)


def run_benchmark(args: argparse.Namespace) -> None:
    from ganmap.evaluation.benchmark import main as benchmark_main

    benchmark_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganmap", description="Image restoration with a DCGAN prior (Yeh, Lim et al., 2018)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    task_help = (
        f"one of: {', '.join(TASKS)}; or an operator and denoising joined by '+' "
        "(e.g. super-resolution+denoising)"
    )

    c = commands.add_parser("corrupt", help="make the paper's observation of a clean photo")
    c.add_argument("input", help="clean photo (with --aligned: a face, cut to 64 x 64)")
    c.add_argument("output", help="where to write the observation (.png)")
    c.add_argument("--task", required=True, type=task_name, metavar="TASK", help=task_help)
    c.add_argument("--seed", type=int, default=0, help="seed of the noise (denoising)")
    c.add_argument(
        "--mask", default="mask.png", help="inpainting: where to write the hole (%(default)s)"
    )
    c.add_argument("--aligned", action="store_true", help="the input is an aligned face crop")
    c.set_defaults(run=run_corrupt)

    r = commands.add_parser("restore", help="restore every face of a photo with the GAN prior")
    r.add_argument("input", help="the photo (with holes, gray, low-res, noisy...) or a folder")
    r.add_argument("output", help="where to write the restoration (.png), or a folder")
    r.add_argument("--task", required=True, type=task_name, metavar="TASK", help=task_help)
    r.add_argument("--mask", help="inpainting: image, white where pixels are missing")
    r.add_argument(
        "--noise-sigma",
        type=or_auto(float),
        metavar="SIGMA",
        help="denoising: the photo's noise level, or 'auto' to estimate each photo's own "
        "(default: the paper's 0.1)",
    )
    r.add_argument(
        "--levels",
        type=or_auto(int),
        metavar="LEVELS",
        help="quantization: levels per channel, or 'auto' to read each photo's own "
        "(default: the paper's 5)",
    )
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
    r.add_argument(
        "--aligned",
        action="store_true",
        help="the input is one aligned face (the paper's 64 x 64 crop), restored as it is",
    )
    r.add_argument("--framed", action="store_true", help="--aligned: result at the input's framing")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(run=run_restore)

    s = commands.add_parser("sample", help="a grid of faces drawn from the generator")
    s.add_argument("output", help="where to write the grid (.png)")
    s.add_argument("--count", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--model", help="model folder or Hub repo id (default: the bundled weights)")
    s.set_defaults(run=run_sample)

    b = commands.add_parser("benchmark", help="the paper's Table 1 on a folder of faces")
    from ganmap.evaluation.benchmark import add_arguments

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
