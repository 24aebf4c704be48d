"""`ganmap benchmark` end to end on faces whose scores are known in advance: flat gray faces."""

from __future__ import annotations

import json
import math

import pytest
import torch
from PIL import Image

from ganmap import TASKS
from ganmap.cli import main
from ganmap.evaluation.protocol import BENCHMARK_TASKS
from ganmap.evaluation.speed import speed_report

GRAY = 153  # 0.6 exactly: every crop and resize of a flat image is flat


@pytest.fixture(scope="module")
def report(tiny_pipeline, tmp_path_factory):
    folder = tmp_path_factory.mktemp("benchmark")
    faces = folder / "faces"
    faces.mkdir()
    for i in range(3):
        Image.new("RGB", (89, 109), (GRAY,) * 3).save(faces / f"{i:06d}.png")  # CelebA's format
    tiny_pipeline.save_pretrained(folder / "model")
    out, table, figure = folder / "r.json", folder / "t.md", folder / "f.png"
    args = ["benchmark", "--data", str(faces), "--model", str(folder / "model"), "--batch", "2"]
    args += ["--methods", "input", "ours", "paper", "--paper-limit", "0", "--out", str(out)]
    args += ["--markdown", str(table), "--figure", str(figure)]
    assert main(args) == 0
    return json.loads(out.read_text()), table.read_text(), figure


@pytest.mark.parametrize(
    "task, expected_psnr",
    [
        ("inpainting", -10 * math.log10(0.6**2 / 4)),  # a quarter of the pixels set to 0
        ("quantization", 20.0),  # 0.6 rounds to 0.5 at five levels: error 0.1 everywhere
        ("colorization", math.inf),  # the luma of gray is the gray itself
        ("super-resolution (box)", math.inf),  # the block means of a flat face are the face
    ],
)
def test_the_input_row_scores_what_the_corruption_does_to_a_flat_face(report, task, expected_psnr):
    row = report[0]["tasks"][task]["input"]
    assert row["per_image"]["psnr"] == pytest.approx([expected_psnr] * 3, rel=1e-4)
    if expected_psnr == math.inf:
        assert row["ssim"] == pytest.approx(1.0)


@pytest.mark.parametrize("task", ["super-resolution", "super-resolution (area)"])
def test_smooth_downsampling_keeps_a_flat_face_up_to_rounding(report, task):
    """Bicubic and area weights sum to 1 in float32: a flat face stays flat to about 1e-7."""
    assert min(report[0]["tasks"][task]["input"]["per_image"]["psnr"]) > 120


def test_every_task_has_our_row_and_no_paper_row_at_paper_limit_0(report):
    data, markdown, figure = report
    assert data["images"] == 3 and set(data["tasks"]) == set(BENCHMARK_TASKS)
    for task, rows in data["tasks"].items():
        assert set(rows) == {"input", "ours"}, task
        assert len(rows["ours"]["per_image"]["psnr"]) == 3 and 0 <= rows["ours"]["ssim"] <= 1
    assert "paper's settings" not in markdown and "*Ours, paper (quoted)*" in markdown
    assert Image.open(figure).size == (6 * 128, 16 + len(BENCHMARK_TASKS) * 128)


def test_the_speed_report_has_a_row_per_task_and_per_restart_count(tiny_pipeline):
    faces = torch.full((2, 3, 64, 64), 0.6)
    text = speed_report(tiny_pipeline, faces, restarts_list=(1, 2), iterations=2)
    lines = text.splitlines()
    for row in [*TASKS, 1, 2]:
        assert any(line.startswith(f"| {row} |") for line in lines), row
    assert "nan" not in text
