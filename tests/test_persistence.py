"""Hub-format models: safetensors only, exact round trips, valid model cards, clear load errors."""

from __future__ import annotations

import json

import pytest
import torch
from huggingface_hub import ModelCard

import ganmap
from ganmap import Denoiser, Generator, RestorationPipeline, WeightsError


def test_model_round_trip_is_exact(tmp_path):
    generator = Generator(latent_dim=16, width=4)
    generator.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "README.md",
        "config.json",
        "model.safetensors",
    ]
    assert json.loads((tmp_path / "config.json").read_text()) == dict(
        latent_dim=16, width=4, channels=3
    )
    loaded = Generator.from_pretrained(tmp_path)
    z = torch.rand(2, 16)
    assert torch.equal(generator.eval()(z), loaded(z))


def test_pipeline_round_trip_gives_identical_restorations(tiny_pipeline, reachable_face, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path)
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert files == {
        "README.md", "model_index.json", "samples.png",
        "generator/config.json", "generator/model.safetensors",
        "discriminator/config.json", "discriminator/model.safetensors",
    }  # fmt: skip
    loaded = RestorationPipeline.from_pretrained(tmp_path)
    observation = ganmap.corrupt(reachable_face, "quantization")
    run = lambda pipe: pipe(observation, "quantization", iterations=4, restarts=2, progress=False)  # noqa: E731
    assert run(tiny_pipeline).losses == run(loaded).losses


def test_model_card_carries_hub_metadata(tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path)
    card = ModelCard.load(tmp_path / "README.md").data
    assert card.library_name == "ganmap" and card.pipeline_tag == "image-to-image"
    assert card.license == "other" and "celeba" in card.license_name
    assert {"gan", "image-restoration"} <= set(card.tags)


def test_truncated_weights_are_a_clear_error(tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path)
    weights = tmp_path / "generator" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(WeightsError, match="truncated or corrupt"):
        RestorationPipeline.from_pretrained(tmp_path)


def test_config_not_matching_the_tensors_is_a_clear_error(tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path)
    (tmp_path / "generator" / "config.json").write_text(json.dumps(dict(width=16)))
    with pytest.raises(WeightsError, match="does not match"):
        RestorationPipeline.from_pretrained(tmp_path)


@pytest.mark.parametrize(
    "missing", ["model_index.json", "discriminator/model.safetensors", "generator/config.json"]
)
def test_missing_files_are_a_clear_error(tiny_pipeline, tmp_path, missing):
    tiny_pipeline.save_pretrained(tmp_path)
    (tmp_path / missing).unlink()
    with pytest.raises(WeightsError, match="no "):
        RestorationPipeline.from_pretrained(tmp_path)


def test_unreachable_repo_offline_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsError, match="Hugging Face Hub"):
        RestorationPipeline.from_pretrained("nobody/no-such-ganmap-model", cache_dir=tmp_path)


def test_no_pickle_is_ever_written(tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path)
    suffixes = {p.suffix for p in tmp_path.rglob("*") if p.is_file()}
    assert suffixes <= {".json", ".safetensors", ".md", ".png"}


def test_batchnorm_recalibration_matches_training_mode_statistics():
    torch.manual_seed(0)
    generator = Generator(width=4)
    generator.recalibrate_batchnorm(batches=4, batch_size=64)
    z = torch.rand(512, generator.latent_dim) * 2 - 1
    with torch.no_grad():
        eval_images = generator.eval()(z)
        train_images = generator.train()(z)
    assert abs(eval_images.std() - train_images.std()) < 0.1 * train_images.std()


def test_batchnorm_recalibration_leaves_the_generator_in_eval_mode():
    generator = Generator(width=4).train()
    generator.recalibrate_batchnorm(batches=1, batch_size=4)
    assert not generator.training, "restoration needs eval mode: the statistics just computed"


def test_loading_errors_are_oserrors_with_their_messages(tmp_path):
    with pytest.raises(OSError, match="not a ganmap model folder"):
        RestorationPipeline.from_pretrained(tmp_path)  # `except OSError` catches WeightsError
    assert issubclass(WeightsError, OSError)


def test_per_task_defaults_travel_with_the_model_folder(tmp_path):
    from conftest import make_tiny_pipeline

    tuned = ganmap.GENERIC.update(iterations=7, refine_steps=3, data_consistency=True)
    pipe = make_tiny_pipeline()
    pipe.task_defaults = {"denoising": tuned}
    pipe.save_pretrained(tmp_path)
    entries = json.loads((tmp_path / "defaults.json").read_text())
    assert entries == {"denoising": {f: getattr(tuned, f) for f in entries["denoising"]}}
    loaded = RestorationPipeline.from_pretrained(tmp_path)
    assert loaded.defaults("denoising") == tuned
    assert loaded.defaults("inpainting") == ganmap.GENERIC, "no entry: the generic defaults"
    assert loaded.defaults("denoising", "paper") == ganmap.PAPER


@pytest.mark.parametrize(
    "text, message",
    [("{", "not valid JSON"), ('{"denoising": {"iterationz": 3}}', "iterationz"),
     ('{"denoising": {"iterations": 0}}', "iterations")],
)  # fmt: skip
def test_a_bad_defaults_file_is_a_clear_error(tiny_pipeline, tmp_path, text, message):
    tiny_pipeline.save_pretrained(tmp_path)
    (tmp_path / "defaults.json").write_text(text)
    with pytest.raises(WeightsError, match=message):
        RestorationPipeline.from_pretrained(tmp_path)


def test_the_learned_denoiser_is_a_component_saved_loaded_and_moved_with_the_rest(tmp_path):
    """A pipeline's denoiser (what a noisy photo's final step uses) travels with its folder."""
    from conftest import make_tiny_pipeline

    pipe = make_tiny_pipeline()
    pipe = RestorationPipeline(pipe.generator, pipe.discriminator, denoiser=Denoiser(8, 3))
    assert "denoiser" in pipe.components and pipe.to("cpu").denoiser is pipe.denoiser
    pipe.save_pretrained(tmp_path)
    assert (tmp_path / "denoiser" / "model.safetensors").is_file()
    assert json.loads((tmp_path / "model_index.json").read_text())["denoiser"] == [
        "ganmap",
        "Denoiser",
    ]
    loaded = RestorationPipeline.from_pretrained(tmp_path)
    torch.testing.assert_close(loaded.denoiser.state_dict(), pipe.denoiser.state_dict())
    assert RestorationPipeline.from_pretrained().denoiser is not None, "the bundled one ships it"
