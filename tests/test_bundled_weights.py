"""The weights that ship inside the package: they load offline and restore, with a valid card."""

from __future__ import annotations

import os
import subprocess
import sys

import torch
from huggingface_hub import ModelCard

from ganmap import TASKS, RestorationPipeline
from ganmap.core.hub import BUNDLED
from ganmap.core.models import to_unit

OFFLINE_CHECK = """
import numpy as np
from ganmap import TASKS, RestorationPipeline, corrupt
pipe = RestorationPipeline.from_pretrained()
face = pipe.generate(1, seed=1)[0]
for task in TASKS:
    out = pipe(corrupt(face, task), task, iterations=2, restarts=2, progress=False)
    assert out.image.size == (64, 64) and np.isfinite(out.losses).all(), task
print("ok")
"""


def test_bundled_weights_load_offline_and_restore(tmp_path):
    env = os.environ | {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    run = subprocess.run(
        [sys.executable, "-c", OFFLINE_CHECK], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


def test_the_model_card_is_valid_for_the_hub_and_reports_validation_figures():
    card = ModelCard.load(BUNDLED / "README.md")
    assert card.data.library_name == "ganmap" and card.data.pipeline_tag == "image-to-image"
    assert card.data.license == "other" and "non-commercial" in card.text
    assert "celeba" in card.data.datasets
    for task in TASKS:
        assert f"| {task} |" in card.text, f"no validation figures for {task}"
    assert (BUNDLED / "samples.png").is_file()


def test_the_bundled_encoder_inverts_the_generator():
    pipe = RestorationPipeline.from_pretrained()
    assert pipe.encoder is not None, "the bundled model ships an encoder"
    z = (
        torch.rand(64, pipe.generator.latent_dim, generator=torch.Generator().manual_seed(0)) * 2
        - 1
    )
    with torch.no_grad():
        faces = to_unit(pipe.generator(z))
        again = to_unit(pipe.generator(pipe.encoder(faces * 2 - 1)))
        shuffled = faces.roll(1, dims=0)  # another face of the generator: the floor to beat
    mse_again, mse_other = (
        float(((again - faces) ** 2).mean()),
        float(((shuffled - faces) ** 2).mean()),
    )
    assert mse_again < 0.5 * mse_other, f"G(E(G(z))) is not near G(z): {mse_again} vs {mse_other}"


def test_the_bundled_model_has_tuned_defaults_for_every_task():
    assert set(RestorationPipeline.from_pretrained().task_defaults) == set(TASKS)
