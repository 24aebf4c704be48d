"""The photo benchmark (evaluation protocol, "Whole photos"): whole photos corrupted at their own
resolution, restored whole, scored on each face's aligned 64 x 64 frame of the clean photo.

    python -m ganmap.evaluation.photo_sets --data ../shared/data/celeba/val --out photos --count 24
    ganmap benchmark --photos photos --markdown photo-table.md --figures results/photos
    ganmap benchmark --photos photos --detection      # faces found only: minutes, not an hour

Beside ours, the classical method a user would run on the same whole photo: biharmonic
inpainting, the gray photo, bicubic upsampling, CBM3D (denoising; quantization with the
quantization error as noise). Faces are grouped by their width in the clean photo (the aligned
frame's, `photo_sets.SIZE_BUCKETS`; for super-resolution the photo given is 4x smaller).
A face the detector misses is scored all the same, on whatever the restored photo holds there;
a photo where no face is found gets the classical restoration that `restore_photo` starts from.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganmap.base.images import to_pil, to_tensor
from ganmap.classical.fills import fill_missing
from ganmap.evaluation.baselines import BASELINES
from ganmap.evaluation.metrics import psnr, ssim
from ganmap.evaluation.photo_sets import FACES_FILE, SIZE_BUCKETS, Placement, canvas, compose
from ganmap.evaluation.protocol import BENCHMARK_TASKS
from ganmap.operators import REGISTRY, TASKS, Task
from ganmap.photo.alignment import FaceFrame, frame_mask, warp_to_frame
from ganmap.photo.behaviour import photo_scale
from ganmap.photo.detection import MIN_FACE
from ganmap.photo.pipeline import (
    NoFaceError,
    RestorationPipeline,
    background,
    corrupt_photo,
    find_faces,
    read_photo,
)

CLASSICAL = {name: entry.classical_name for name, entry in REGISTRY.items()}


def load_photos(folder: str | Path, limit: int | None = None):
    """[(name, clean photo (3, H, W), [FaceFrame])] from a folder made by `ganmap.evaluation.photo_sets`."""
    folder = Path(folder)
    index = folder / FACES_FILE
    if not index.is_file():
        raise FileNotFoundError(
            f"{index} is missing: build the photos with python -m ganmap.evaluation.photo_sets --out {folder}"
        )
    record = json.loads(index.read_text())
    names = sorted(record)[:limit]
    return [
        (
            name,
            to_tensor(folder / name).expand(3, -1, -1),
            [FaceFrame(np.asarray(m)) for m in record[name]],
        )
        for name in names
    ]


def corrupt(clean: torch.Tensor, faces: list[FaceFrame], task: Task, seed: int):
    """(observed, missing or None): the protocol's corruption; the hole from the true frames."""
    if task.takes_mask:
        missing = torch.zeros(clean.shape[1:], dtype=torch.bool)
        for frame in faces:
            missing |= frame_mask(frame, task.missing, *clean.shape[1:])
        return clean * ~missing, missing
    observed, _ = corrupt_photo(clean, task, seed=seed)
    return read_photo(observed, task), None


def classical(observed: torch.Tensor, missing: torch.Tensor | None, task: Task) -> torch.Tensor:
    """The whole photo restored by the task's classical reference, (3, H, W) at output size."""
    if missing is not None:  # biharmonic filling (holes as small as the benchmark's)
        return fill_missing(observed, missing)
    if task.noise_sigma is not None:
        return BASELINES["cbm3d"](observed[None], task)[0]
    return background(observed, None, task)  # the gray photo; bicubic upsampling


def on_frame(face, frame: FaceFrame) -> bool:
    """Whether a detected face (a `Face` or `RestoredFace`) sits on this true frame: its
    landmarks' mean within 12 aligned px of the frame's face centre."""
    centre = np.array([31.5, 40.0])
    return np.linalg.norm(frame.to_aligned(face.landmarks.mean(0, keepdims=True))[0] - centre) < 12


def found(frame: FaceFrame, faces) -> bool:
    """Whether any of the detected faces sits on this true frame (`on_frame`)."""
    return any(on_frame(face, frame) for face in faces)


def bucket(width: float) -> str:
    for low, high in zip(SIZE_BUCKETS, SIZE_BUCKETS[1:], strict=False):
        if width < high:
            return f"{low}-{high}"
    return f"{SIZE_BUCKETS[-1]}+"


def corrupted(photos, tasks: list[str]):
    """(name, clean, frames, task name, task, observed, missing) for each photo and task: the
    protocol's corruption, seeded by the photo's index so that every run sees the same."""
    for index, (name, clean, frames) in enumerate(photos):
        for task_name in tasks:
            task = BENCHMARK_TASKS[task_name]
            yield name, clean, frames, task_name, task, *corrupt(clean, frames, task, seed=index)


def evaluate(pipe: RestorationPipeline, photos, tasks: list[str]) -> list[dict]:
    """One record per face, task and method (and one per photo, task and method for time)."""
    records = []
    for name, clean, frames, task_name, task, observed, missing in corrupted(photos, tasks):
        start = time.perf_counter()
        try:
            out = pipe.restore_photo(observed, task, mask=missing, progress=False)
            ours, detected = to_tensor(out.image), out.faces
        except NoFaceError:
            ours, detected = background(observed, missing, task), []
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        reference = classical(observed, missing, task)
        reference_seconds = time.perf_counter() - start
        for method, restored, took in (
            ("Ours", ours, seconds),
            (CLASSICAL[task.name], reference, reference_seconds),
        ):
            photo = dict(photo=name, task=task_name, method=method, seconds=took)
            photo |= dict(size=list(clean.shape[1:]), faces=len(frames))
            records.append(photo)
            for frame in frames:
                truth, face = warp_to_frame(clean, frame), warp_to_frame(restored, frame)
                records.append(
                    photo
                    | dict(
                        width=64 * frame.scale,
                        psnr=float(psnr(face, truth)),
                        ssim=float(ssim(face, truth)),
                        found=found(frame, detected) if method == "Ours" else None,
                    )
                )
    return records


def detection(photos, tasks: list[str]) -> list[dict]:
    """Detection alone, as `restore_photo` does it on each task's corrupted photo
    (`find_faces`): one record per true face (found or not, its width in the photo given) and
    one per photo (false faces: found on no true frame; seconds, the classical restoration that
    the detector looks at included). Far faster than `evaluate`, for larger photo sets."""
    records = []
    for name, _, frames, task_name, task, observed, missing in corrupted(photos, tasks):
        start = time.perf_counter()
        faces, _ = find_faces(observed, missing, task)
        seconds = time.perf_counter() - start
        false = sum(not any(on_frame(face, frame) for frame in frames) for face in faces)
        records.append(dict(photo=name, task=task_name, seconds=seconds, false=false))
        records += [
            dict(
                photo=name,
                task=task_name,
                given=64 * frame.scale / photo_scale(task),
                found=found(frame, faces),
            )
            for frame in frames
        ]
    return records


def detection_markdown(records: list[dict], tasks: list[str]) -> str:
    """Faces found per task's corruption: all, and those from MIN_FACE px across in the photo
    given (the smallest the detector is asked for); false faces; time per photo."""
    lines = [
        f"| task | faces found | from {MIN_FACE} px in the photo given | false faces "
        "| s / photo (median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for task in tasks:
        faces = [r for r in records if r["task"] == task and "found" in r]
        large = [r for r in faces if r["given"] >= MIN_FACE]
        photos = [r for r in records if r["task"] == task and "false" in r]
        lines.append(
            f"| {task} | {sum(r['found'] for r in faces)} of {len(faces)} "
            f"| {sum(r['found'] for r in large)} of {len(large)} "
            f"| {sum(r['false'] for r in photos)} in {len(photos)} photos "
            f"| {statistics.median(r['seconds'] for r in photos):.2f} |"
        )
    return "\n".join(lines) + "\n"


def markdown(records: list[dict], tasks: list[str]) -> str:
    """Quality and faces found by face-size bucket, then time per photo."""
    faces = [r for r in records if "width" in r]
    buckets = sorted({bucket(r["width"]) for r in faces}, key=lambda b: int(b.split("-")[0][:3]))
    head = "| task | method | " + " | ".join(f"{b} px" for b in buckets) + " | all |"
    lines = [head, "|---|---|" + "---:|" * (len(buckets) + 1)]
    for task in tasks:
        for method in ("Ours", CLASSICAL[BENCHMARK_TASKS[task].name]):
            rows = [r for r in faces if r["task"] == task and r["method"] == method]
            cells = []
            for group in [*buckets, None]:
                chosen = [r for r in rows if group is None or bucket(r["width"]) == group]
                if not chosen:
                    cells.append("–")
                    continue
                mean_psnr = statistics.fmean(r["psnr"] for r in chosen)
                mean_ssim = statistics.fmean(r["ssim"] for r in chosen)
                cells.append(f"{mean_psnr:.2f} / {mean_ssim:.3f} ({len(chosen)})")
            lines.append(f"| {task} | {method} | " + " | ".join(cells) + " |")
        rows = [r for r in faces if r["task"] == task and r["method"] == "Ours"]
        cells = []
        for group in [*buckets, None]:
            chosen = [r["found"] for r in rows if group is None or bucket(r["width"]) == group]
            cells.append(f"{100 * sum(chosen) / len(chosen):.0f}%" if chosen else "–")
        lines.append(f"| {task} | faces found | " + " | ".join(cells) + " |")

    lines += [
        "",
        "| task | method | s / photo (median) | slowest | photos |",
        "|---|---|---:|---:|---:|",
    ]
    photos = [r for r in records if "width" not in r]
    for task in tasks:
        for method in ("Ours", CLASSICAL[BENCHMARK_TASKS[task].name]):
            times = [r["seconds"] for r in photos if r["task"] == task and r["method"] == method]
            lines.append(
                f"| {task} | {method} | {statistics.median(times):.2f} | {max(times):.2f} | "
                f"{len(times)} |"
            )
    lines += [
        "",
        "| photo | size | faces | " + " | ".join(tasks) + " |",
        "|---|---|---:|" + "---:|" * len(tasks),
    ]
    ours = {(r["photo"], r["task"]): r for r in photos if r["method"] == "Ours"}
    for name in sorted({r["photo"] for r in photos}):
        first = ours[name, tasks[0]]
        height, width = first["size"]
        times = " | ".join(f"{ours[name, t]['seconds']:.2f}" for t in tasks)
        lines.append(f"| {name} | {width} x {height} | {first['faces']} | {times} |")
    return "\n".join(lines) + "\n"


def figure_photo(pipe: RestorationPipeline) -> torch.Tensor:
    """The project's own photo for figures: four generated faces, 60 to 130 px, on a canvas."""
    faces = [to_tensor(face) for face in pipe.generate(4, seed=3)]
    aligned = FaceFrame(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))  # a sample is its frame
    places = [Placement(90, 6, (60, 100)), Placement(110, -5, (180, 100))]
    places += [Placement(60, 0, (290, 100)), Placement(130, 8, (400, 100))]
    background = canvas(200, 480, torch.Generator().manual_seed(1))
    return compose(background, faces, places, crops=[aligned] * 4)[0]


def figures(pipe: RestorationPipeline, folder: str | Path, tasks: list[str]) -> None:
    """One before/after figure per task (observed | restored | original) on `figure_photo`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clean = figure_photo(pipe)
    for task_name in (name for name in tasks if name in TASKS):  # the kinds of input look alike
        observed, mask = corrupt_photo(clean, task_name)
        restored = pipe.restore_photo(observed, task_name, mask=mask, progress=False).image
        size = restored.size
        panels = [observed.convert("RGB").resize(size, Image.Resampling.NEAREST), restored]
        panels.append(to_pil(clean))
        sheet = Image.new("RGB", (3 * size[0] + 8, size[1]), "white")
        for i, panel in enumerate(panels):
            sheet.paste(panel, (i * (size[0] + 4), 0))
        sheet.save(folder / f"photo-{task_name}.png")


def main(args: argparse.Namespace) -> None:
    tasks = list(args.tasks)
    photos = load_photos(args.photos, args.limit)
    needs_model = args.figures or not args.detection  # detection alone needs no model
    pipe = RestorationPipeline.from_pretrained(args.model) if needs_model else None
    if args.detection:
        records = detection(photos, tasks)
        table = detection_markdown(records, tasks)
    else:
        records = evaluate(pipe, photos, tasks)
        table = markdown(records, tasks)
    print(table)
    header = f"{len(photos)} photos of {args.photos}; command: ganmap {' '.join(sys.argv[1:])}\n"
    if args.markdown:
        Path(args.markdown).write_text(header + "\n" + table)
    if args.out:
        Path(args.out).write_text(json.dumps(records, indent=1))
    if args.figures:
        figures(pipe, args.figures, tasks)
