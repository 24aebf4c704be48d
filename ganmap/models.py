"""The DCGAN of Radford et al. (2016) for 64 x 64 RGB images, as Hub-ready PyTorch modules.

Each generator layer halves the channels and doubles the size (4 -> 8 -> 16 -> 32 -> 64); the
discriminator mirrors it. Images live in [-1, 1] inside the networks (tanh output); the rest of the
package speaks [0, 1] and converts at the boundary with `to_unit` / `from_unit`.

Loading goes through `HubModel`, which reads only safetensors and fails loudly (and helpfully) on
missing files, corrupt files or a config that does not match the tensors; the stock mixin would
silently fall back to pickle or load a partial state dict.
"""

from __future__ import annotations

import os
from pathlib import Path

import safetensors.torch
import torch
from huggingface_hub import PyTorchModelHubMixin, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
from torch import nn

IMAGE_SIZE = 64
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"

HUB_METADATA = dict(
    library_name="ganmap",
    license="other",
    license_name="celeba-non-commercial-research",
    license_link="https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html",
    pipeline_tag="image-to-image",
    tags=["gan", "dcgan", "image-restoration", "celeba"],
    paper_url="https://arxiv.org/abs/1802.03183",
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


class Generator(nn.Module, HubModel):
    """G: latent z in [-1, 1]^latent_dim -> image in [-1, 1], shape (N, channels, 64, 64)."""

    def __init__(self, latent_dim: int = 100, width: int = 64, channels: int = 3):
        super().__init__()
        set_sizes(self, latent_dim=latent_dim, width=width, channels=channels)

        def up(c_in: int, c_out: int, stride: int = 2, padding: int = 1) -> list[nn.Module]:
            return [
                nn.ConvTranspose2d(c_in, c_out, 4, stride, padding, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]

        self.net = nn.Sequential(
            *up(latent_dim, width * 8, stride=1, padding=0),  # 4 x 4
            *up(width * 8, width * 4),  # 8 x 8
            *up(width * 4, width * 2),  # 16 x 16
            *up(width * 2, width),  # 32 x 32
            nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False),  # 64 x 64
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], self.latent_dim, 1, 1))

    @torch.no_grad()
    def recalibrate_batchnorm(
        self, batches: int = 32, batch_size: int = 256, seed: int = 0
    ) -> None:
        """Replace the batch-norm running statistics by exact averages over fresh latents.

        During training they are moving averages over weights that kept changing, so G in eval
        mode (as restoration uses it) draws worse faces than in training mode; averaging over
        samples of the final weights removes that mismatch. Leaves the model in eval mode.
        """
        norms = [m for m in self.modules() if isinstance(m, nn.BatchNorm2d)]
        saved = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches below
        self.train()
        rng = torch.Generator().manual_seed(seed)
        device = next(self.parameters()).device
        for _ in range(batches):
            self(torch.rand(batch_size, self.latent_dim, generator=rng).to(device) * 2 - 1)
        for m, momentum in zip(norms, saved, strict=True):
            m.momentum = momentum
        self.eval()


class Discriminator(nn.Module, HubModel):
    """D: image in [-1, 1] -> one logit per image (D = sigmoid(logit))."""

    def __init__(self, width: int = 64, channels: int = 3):
        super().__init__()
        set_sizes(self, width=width, channels=channels)

        def down(c_in: int, c_out: int, norm: bool = True) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)]
            if norm:
                layers.append(nn.BatchNorm2d(c_out))
            return layers + [nn.LeakyReLU(0.2, inplace=True)]

        self.net = nn.Sequential(
            *down(channels, width, norm=False),  # 32 x 32
            *down(width, width * 2),  # 16 x 16
            *down(width * 2, width * 4),  # 8 x 8
            *down(width * 4, width * 8),  # 4 x 4
            nn.Conv2d(width * 8, 1, 4, 1, 0, bias=False),  # 1 x 1
        )
        self.apply(dcgan_init)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image).flatten()


class Encoder(nn.Module, HubModel):
    """E: image in [-1, 1] -> latent in [-1, 1]^latent_dim, trained so that G(E(x)) ~ x.

    The discriminator's architecture with a latent-sized head: it gives the solver a starting z
    near the answer, so that a few dozen steps do what hundreds do from random starts.
    """

    def __init__(self, latent_dim: int = 100, width: int = 64, channels: int = 3):
        super().__init__()
        set_sizes(self, latent_dim=latent_dim, width=width, channels=channels)
        self.net = nn.Sequential(
            *Discriminator(width, channels).net[:-1],  # the same body, freshly initialised
            nn.Conv2d(width * 8, latent_dim, 4, 1, 0),
            nn.Flatten(),
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)


def set_sizes(model: nn.Module, **sizes: int) -> None:
    """Check and store the config values (they come from config.json files too)."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
        setattr(model, name, value)


def dcgan_init(module: nn.Module) -> None:
    """The initialisation of the DCGAN paper: N(0, 0.02) convolutions, N(1, 0.02) batch-norm scales."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def to_unit(image: torch.Tensor) -> torch.Tensor:
    """[-1, 1] (network side) -> [0, 1] (user side)."""
    return (image + 1) / 2


def from_unit(image: torch.Tensor) -> torch.Tensor:
    """[0, 1] (user side) -> [-1, 1] (network side)."""
    return image * 2 - 1
