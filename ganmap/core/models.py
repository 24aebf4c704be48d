"""The DCGAN of Radford et al. (2016) for 64 x 64 RGB images, and its encoder, as Hub models.

Each generator layer halves the channels and doubles the size (4 -> 8 -> 16 -> 32 -> 64); the
discriminator mirrors it. Images live in [-1, 1] inside the networks (tanh output); the rest of the
package speaks [0, 1] and converts at the boundary with `to_unit` / `from_unit`.
"""

from __future__ import annotations

import torch
from torch import nn

from ganmap.base.images import IMAGE_SIZE
from ganmap.base.weights import HubModel, WeightsError, set_sizes

__all__ = ["IMAGE_SIZE", "Discriminator", "Encoder", "Generator", "WeightsError"]


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
