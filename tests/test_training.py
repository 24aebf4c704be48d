"""The training program: a few steps on tiny data, exact resume, and two processes under torchrun."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganmap import Generator, RestorationPipeline
from ganmap.classical.denoiser import Denoiser
from ganmap.evaluation.data import FaceFolder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
import train  # noqa: E402
import train_denoiser  # noqa: E402
import train_encoder  # noqa: E402
import tune_defaults  # noqa: E402


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> Path:
    """Sixteen synthetic 89 x 109 'aligned faces' (the half-size CelebA format), as JPEGs."""
    folder = tmp_path_factory.mktemp("faces")
    rng = np.random.default_rng(0)
    for i in range(16):
        Image.fromarray(rng.integers(0, 256, (109, 89, 3), dtype=np.uint8)).save(
            folder / f"{i:06d}.jpg"
        )
    return folder


def tiny_run(faces: Path, out: Path, *extra: str) -> None:
    train.main(["--data", str(faces), "--out", str(out), "--width", "4", "--batch-size", "4",
                "--epochs", "2", "--log-every", "1", "--checkpoint-every", "2", "--sample-every", "3",
                *extra])  # fmt: skip


def test_a_run_writes_models_logs_samples_and_checkpoint(faces, tmp_path):
    tiny_run(faces, tmp_path)
    assert (tmp_path / "checkpoint.pt").is_file() and (tmp_path / "loss.png").is_file()
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [row["step"] for row in log] == list(range(1, 9)), "8 steps: 2 epochs of 16 / 4"
    assert all(np.isfinite(row["loss_d"]) and np.isfinite(row["loss_g"]) for row in log)
    assert sorted(p.name for p in (tmp_path / "samples").iterdir())[:2] == [
        "step-000003.png",
        "step-000006.png",
    ]
    for snapshot in ("epoch-001", "epoch-002", "final"):
        RestorationPipeline.from_pretrained(tmp_path / snapshot)  # the layout the pipeline reads


def test_the_faces_are_decoded_once_without_loss(faces):
    """Training reads every face once into uint8: the same pixels the dataset gives."""
    dataset = FaceFolder(faces)
    held = train.decoded(dataset, workers=0)
    assert held.dtype == torch.uint8 and held.shape == (16, 3, 64, 64)
    expected = torch.stack([dataset[i] for i in range(len(dataset))])
    assert torch.equal(held.float() / 255, expected), "decoding lost or moved pixels"


def test_a_stopped_run_resumes_exactly(faces, tmp_path):
    tiny_run(faces, tmp_path / "straight")
    tiny_run(faces, tmp_path / "stopped", "--max-steps", "3")  # stops mid-epoch, off a checkpoint
    tiny_run(faces, tmp_path / "stopped")
    straight = Generator.from_pretrained(tmp_path / "straight" / "final" / "generator").state_dict()
    resumed = Generator.from_pretrained(tmp_path / "stopped" / "final" / "generator").state_dict()
    for name, tensor in straight.items():
        assert torch.equal(tensor, resumed[name]), f"{name} differs after resuming"
    steps = [
        json.loads(line)["step"]
        for line in (tmp_path / "stopped" / "log.jsonl").read_text().splitlines()
    ]
    assert steps == list(range(1, 9)), "the log has each step once"


@pytest.mark.slow
def test_two_processes_with_torchrun(faces, tmp_path):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               str(ROOT / "training" / "train.py"), "--data", str(faces), "--out", str(tmp_path),
               "--width", "4", "--batch-size", "2", "--epochs", "1", "--threads", "1", "--log-every", "1"]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 4, "16 images / (2 per process x 2 processes) = 4 steps"
    RestorationPipeline.from_pretrained(tmp_path / "final")


def test_the_encoder_trains_into_the_model_folder(faces, tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path)
    args = ["--model", str(tmp_path), "--data", str(faces), "--steps", "3", "--batch-size", "4"]
    train_encoder.main(args)
    train_encoder.main([*args, "--resume"])
    loaded = RestorationPipeline.from_pretrained(tmp_path)
    assert (
        loaded.encoder is not None
        and loaded.encoder.latent_dim == tiny_pipeline.generator.latent_dim
    )


def test_the_moving_average_takes_one_minus_decay_of_each_step():
    average, generator = Generator(width=4), Generator(width=4)
    with torch.no_grad():
        for p in average.parameters():
            p.fill_(0.0)
        for p in generator.parameters():
            p.fill_(1.0)
        for b in generator.buffers():
            b.fill_(3)
    train.update_average(average, generator, decay=0.9)
    train.update_average(average, generator, decay=0.9)
    for p in average.parameters():
        assert torch.allclose(p, torch.tensor(0.19)), "0.9 * 0.1 + 0.1"
    for b in average.buffers():
        assert (b == 3).all(), "batch-norm statistics are copied, not averaged"


def test_the_moving_average_is_checkpointed_and_is_what_the_snapshots_hold(faces, tmp_path):
    tiny_run(faces, tmp_path, "--ema", "0.5")
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    snapshot = Generator.from_pretrained(tmp_path / "final" / "generator").state_dict()
    for name, weight in state["average"].items():
        assert torch.equal(snapshot[name], weight), name
    assert not torch.equal(state["average"]["net.0.weight"], state["generator"]["net.0.weight"])


def test_a_run_can_start_from_a_pipeline_folder(faces, tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path / "shipped")
    tiny_run(
        faces,
        tmp_path / "run",
        "--init",
        str(tmp_path / "shipped"),
        "--lr",
        "0",
        "--max-steps",
        "1",
    )
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert state["args"]["width"] == tiny_pipeline.generator.width, "the folder's sizes win"
    start = tiny_pipeline.generator.state_dict() | {
        f"d.{k}": v for k, v in tiny_pipeline.discriminator.state_dict().items()
    }
    after = state["generator"] | {f"d.{k}": v for k, v in state["discriminator"].items()}
    for name, weight in after.items():
        if "running" not in name and "num_batches" not in name:  # lr 0: only statistics move
            assert torch.equal(weight, start[name]), name


def test_the_tuning_grid_is_every_combination_typed_as_the_settings_are():
    grid = tune_defaults.candidates(["average=1,2", "generator_share=0.5,1", "blend=false"])
    assert grid == [
        {"average": 1, "generator_share": 0.5, "blend": False},
        {"average": 1, "generator_share": 1.0, "blend": False},
        {"average": 2, "generator_share": 0.5, "blend": False},
        {"average": 2, "generator_share": 1.0, "blend": False},
    ]
    assert all(type(row["average"]) is int for row in grid)
    unrefined = tune_defaults.candidates(["refine_steps=0,50", "refine_weight=0.01,0.03"])
    assert [(r["refine_steps"], r["refine_weight"]) for r in unrefined] == [
        (0, 0.01),
        (50, 0.01),
        (50, 0.03),
    ], "without refinement the pull changes nothing: one candidate, not two"
    for bad in (["averages=1"], ["average"], ["average=two"], ["blend=yes"]):
        with pytest.raises(ValueError):
            tune_defaults.candidates(bad)


def test_tuning_writes_the_best_candidate_into_the_model_folder(faces, tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path)
    out = tmp_path / "results.json"
    tune_defaults.main(["--model", str(tmp_path), "--data", str(faces), "--skip", "0",
                        "--limit", "2", "--tasks", "colorization", "--out", str(out),
                        "--vary", "average=1,2", "refine_steps=0,5", "--write"])  # fmt: skip
    rows = json.loads(out.read_text())
    assert len(rows) == 4 and {r["task"] for r in rows} == {"colorization"}
    best = max(rows, key=lambda r: r["psnr"])
    tuned = RestorationPipeline.from_pretrained(tmp_path).defaults("colorization")
    assert (tuned.average, tuned.refine_steps) == (best["average"], best["refine_steps"])


def test_the_denoiser_trains_saves_and_resumes_exactly(faces, tmp_path):
    """Two steps, then --resume to a third: the checkpoint counts on, and the weights are those
    of three steps run unbroken (the resumed run draws the same batches and noise)."""
    run = ["--data", str(faces), "--val", str(faces), "--width", "8", "--depth", "3",
           "--batch-size", "2", "--eval-every", "1"]  # fmt: skip
    stopped, unbroken = ["--out", str(tmp_path / "stopped")], ["--out", str(tmp_path / "unbroken")]
    train_denoiser.main([*run, *stopped, "--steps", "2"])
    assert torch.load(tmp_path / "stopped" / "checkpoint.pt")["step"] == 2
    train_denoiser.main([*run, *stopped, "--steps", "3", "--resume"])
    assert torch.load(tmp_path / "stopped" / "checkpoint.pt")["step"] == 3
    train_denoiser.main([*run, *unbroken, "--steps", "3"])
    model = Denoiser.from_pretrained(tmp_path / "stopped" / "denoiser")
    assert (model.width, model.depth, model.max_sigma) == (8, 3, 0.25)
    reference = Denoiser.from_pretrained(tmp_path / "unbroken" / "denoiser").state_dict()
    for name, weight in model.state_dict().items():
        assert torch.equal(weight, reference[name]), f"{name} differs after resuming"


def test_the_denoiser_starts_from_saved_weights_with_init(faces, tmp_path):
    """--init takes the saved network as it is, sizes and noise levels included: at a zero step
    size its weights come out unchanged, whatever --width says."""
    first = Denoiser(width=8, depth=3, max_sigma=0.2)
    torch.nn.init.normal_(first.net[-1].weight)  # not the zero start a new network has
    first.save_pretrained(tmp_path / "first")
    train_denoiser.main(["--data", str(faces), "--val", str(faces), "--out", str(tmp_path / "next"),
                         "--init", str(tmp_path / "first"), "--width", "16", "--lr", "0",
                         "--batch-size", "2", "--steps", "1"])  # fmt: skip
    again = Denoiser.from_pretrained(tmp_path / "next" / "denoiser")
    assert (again.width, again.depth, again.max_sigma) == (8, 3, 0.2)
    for name, weight in first.state_dict().items():
        assert torch.equal(again.state_dict()[name], weight), f"{name} changed at lr 0"


def test_the_denoiser_refuses_a_scale_range_it_cannot_draw_from(faces, tmp_path, capsys):
    with pytest.raises(SystemExit):
        train_denoiser.main(["--data", str(faces), "--out", str(tmp_path), "--min-scale", "0"])
    assert "need 0 < --min-scale <= --max-scale, got 0.0, 1.6" in capsys.readouterr().err
