"""Hub-ready PyTorch modules that load only safetensors and fail loudly and helpfully.

The stock `PyTorchModelHubMixin` silently falls back to pickle or loads a partial state dict;
`HubModel` reads only safetensors and turns a missing file, a corrupt file or a config that does
not match the tensors into a `WeightsError`, an OSError as in huggingface_hub and diffusers.
"""

from __future__ import annotations

import os
from pathlib import Path

import safetensors.torch
from huggingface_hub import PyTorchModelHubMixin, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
from torch import nn

from ganmap.base.paper import PAPER_URL

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"

HUB_METADATA = dict(
    library_name="ganmap",
    license="other",
    license_name="celeba-non-commercial-research",
    license_link="https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html",
    pipeline_tag="image-to-image",
    tags=["gan", "dcgan", "image-restoration", "celeba"],
    paper_url=PAPER_URL,
    repo_url="https://github.com/ganmap/ganmap",
)


class WeightsError(OSError):
    """Weights that cannot be loaded: missing, corrupt, or not matching their config.

    An OSError, as loading failures are in huggingface_hub, diffusers and transformers, so that
    `except OSError` catches it."""


class HubModel(PyTorchModelHubMixin, **HUB_METADATA):
    """Safetensors-only loading with clear errors, shared by every ganmap model."""

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs,
    ):
        if os.path.isdir(model_id):
            weights_file = os.path.join(model_id, WEIGHTS_NAME)
            if not os.path.isfile(weights_file):
                raise WeightsError(
                    f"{model_id!r} has no {WEIGHTS_NAME}; save the model there with save_pretrained()."
                )
        else:
            try:
                weights_file = hf_hub_download(
                    repo_id=model_id,
                    filename=WEIGHTS_NAME,
                    revision=revision,
                    cache_dir=cache_dir,
                    force_download=force_download,
                    token=token,
                    local_files_only=local_files_only,
                )
            except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as error:
                raise WeightsError(
                    f"cannot fetch {WEIGHTS_NAME} of {model_id!r} ({error.__class__.__name__}). "
                    "Give a local folder, or connect once so the Hub cache holds it "
                    "(HF_HUB_OFFLINE=1 then reads the cache only)."
                ) from error
        try:
            model = cls(**model_kwargs)
        except (TypeError, ValueError) as error:
            raise WeightsError(f"{model_id!r}: invalid {CONFIG_NAME}: {error}") from error
        return load_weights(model, weights_file, map_location)


def load_weights(model: nn.Module, weights_file: str | Path, device: str = "cpu") -> nn.Module:
    """Load a safetensors file strictly into `model`, turning every failure into a WeightsError."""
    try:
        state = safetensors.torch.load_file(str(weights_file), device=device)
    except Exception as error:  # safetensors raises several unrelated types for bad files
        raise WeightsError(
            f"{weights_file} is not a readable safetensors file ({error}); "
            "it may be truncated or corrupt: save or download it again."
        ) from error
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise WeightsError(
            f"{weights_file} does not match its {CONFIG_NAME}: {str(error).splitlines()[0]} "
            "Check that config.json and model.safetensors come from the same model."
        ) from error
    return model.eval()


def set_sizes(model: nn.Module, **sizes: int) -> None:
    """Check and store the config values (they come from config.json files too)."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
        setattr(model, name, value)
