"""`ganmap benchmark` end to end on a handful of generated faces: every row and column, finite."""

from __future__ import annotations

import json
import math

from ganmap import TASKS
from ganmap.baselines import BASELINES
from ganmap.cli import main


def test_the_benchmark_fills_every_row_and_column(tiny_pipeline, tmp_path):
    faces = tmp_path / "faces"
    faces.mkdir()
    for i, face in enumerate(tiny_pipeline.generate(3, seed=2)):
        face.resize((89, 109)).save(faces / f"{i:06d}.jpg")  # the half-size CelebA format
    tiny_pipeline.save_pretrained(tmp_path / "model")
    methods = ["input", "ours", *BASELINES]
    out, table, figure = tmp_path / "r.json", tmp_path / "t.md", tmp_path / "f.png"
    speed = tmp_path / "speed.md"
    args = ["benchmark", "--data", str(faces), "--model", str(tmp_path / "model"), "--batch", "2"]
    args += [
        "--methods",
        *methods,
        "--out",
        str(out),
        "--markdown",
        str(table),
        "--figure",
        str(figure),
        "--speed",
        str(speed),
    ]
    assert main(args) == 0

    report = json.loads(out.read_text())
    assert report["images"] == 3 and set(report["tasks"]) == set(TASKS)
    for task, rows in report["tasks"].items():
        expected = {"input", "ours"} | {m for m in BASELINES if task in BASELINES[m].tasks}
        assert set(rows) == expected, task
        for method, row in rows.items():
            assert len(row["per_image"]["psnr"]) == 3, (task, method)
            assert math.isfinite(row["psnr"]) and 0 <= row["ssim"] <= 1, (task, method, row)
    markdown = table.read_text()
    for task in TASKS:
        assert f"{task} SSIM" in markdown and f"{task} PSNR" in markdown
    assert "*Ours, paper (quoted)*" in markdown and "nan" not in markdown
    assert figure.stat().st_size > 0
    report_lines = speed.read_text().splitlines()
    for task in TASKS:
        assert any(line.startswith(f"| {task} |") for line in report_lines), task
    for restarts in (1, 2, 4, 8, 16, 32, 64):
        assert any(line.startswith(f"| {restarts} |") for line in report_lines), restarts
    assert "nan" not in speed.read_text()
