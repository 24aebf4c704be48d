"""The face pipeline: one trained DCGAN, five restoration tasks (Yeh, Lim et al., 2018).

    pipe = FaceRestorationPipeline.from_pretrained()      # the weights bundled with the package
    out = pipe(observation, task="super-resolution")      # a 16 x 16 face -> 64 x 64
    out.image.save("restored.png")

The pipeline owns frozen models (eval mode, no parameter gradients), the per-task default settings
that were tuned for them (`defaults.json` in its folder) and no other state: every call draws
from its own seeded random generator, so calls from several threads at once are safe, and a face
restores to the same result whatever else runs or shares its batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torchvision.utils import make_grid

from ganmap.base.images import (
    IMAGE_SIZE,
    ImageLike,
    centre_crop,
    paste_back,
    to_pil,
    to_tensor,
)
from ganmap.classical.denoiser import Denoiser
from ganmap.core import hub
from ganmap.core.models import Discriminator, Encoder, Generator, from_unit, to_unit
from ganmap.core.observations import Observations
from ganmap.core.refinement import refine_features
from ganmap.core.settings import GENERIC, PAPER, Settings, check_preset
from ganmap.core.solver import ProgressCallback, per_image, solve
from ganmap.operators import Task, get_task
from ganmap.operators.partners import classical, finish

MAX_BATCH = 4096  # images x restarts solved at once; beyond that memory runs out on small machines
MAX_SEED = 2**63 - 1


@dataclass
class RestorationOutput:
    """What a restoration returns. For a list of inputs each field is a list, one entry per image.

    Attributes:
        image: the restoration, 64 x 64 RGB.
        framed: the restoration put back at the input's framing (the input's size, times the
            factor for super-resolution), the rest of the input around it.
        observation: the observation as the solver saw it (after cropping and resizing).
        candidates: G(z) of every restart, best first (before blending or data consistency).
        losses: the final objective (Eq. 3) of every restart, best first.
        history: the best objective after each iteration (for plotting convergence).
        settings: the solver settings used.
    """

    image: Any
    framed: Any
    observation: Any
    candidates: Any
    losses: Any
    history: Any
    settings: Settings


class FaceRestorationPipeline:
    """Restore faces with a DCGAN prior: z* = argmin Eq. 3, then G(z*), post-processed per task."""

    def __init__(
        self,
        generator: Generator,
        discriminator: Discriminator,
        encoder: Encoder | None = None,
        denoiser: Denoiser | None = None,
        card: str | None = None,
        defaults: Mapping[str, Settings] | None = None,
    ):
        """`encoder` gives the solver a starting z; `denoiser` is the learned denoiser a noisy
        photo's final step uses (`ganmap.photo.behaviour`). `defaults`: task name -> the
        settings a call uses when none are given (tasks left out get `GENERIC`)."""
        # channels_last: the layout oneDNN's convolutions run fastest in (1.24x on 64 faces)
        self.generator = (
            generator.eval().requires_grad_(False).to(memory_format=torch.channels_last)
        )
        self.discriminator = (
            discriminator.eval().requires_grad_(False).to(memory_format=torch.channels_last)
        )
        self.encoder = encoder.eval().requires_grad_(False) if encoder is not None else None
        self.denoiser = denoiser.eval().requires_grad_(False) if denoiser is not None else None
        self.card = card or hub.default_card()
        self.task_defaults = dict(defaults or {})

    @property
    def components(self) -> dict[str, torch.nn.Module]:
        """The models, by their folder names in the Hub layout (`ganmap.core.hub`)."""
        models = {"generator": self.generator, "discriminator": self.discriminator}
        optional = {"encoder": self.encoder, "denoiser": self.denoiser}
        return models | {name: model for name, model in optional.items() if model is not None}

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    def to(self, device: str | torch.device) -> FaceRestorationPipeline:
        for model in self.components.values():
            model.to(device)
        return self

    # --- persistence ----------------------------------------------------------------------------

    @classmethod
    def from_pretrained(
        cls,
        path_or_repo_id: str | Path | None = None,
        *,
        revision: str | None = None,
        cache_dir: str | Path | None = None,
        token: str | bool | None = None,
        local_files_only: bool = False,
    ) -> FaceRestorationPipeline:
        """Load a pipeline: None for the bundled weights, a local folder, or a Hub repo id.
        Failures raise `WeightsError`, an OSError."""
        folder = hub.resolve(
            path_or_repo_id,
            revision=revision,
            cache_dir=cache_dir,
            token=token,
            local_files_only=local_files_only,
        )
        card_file = folder / hub.CARD_NAME
        card = card_file.read_text() if card_file.is_file() else None
        return cls(**hub.load_components(folder), card=card, defaults=hub.load_defaults(folder))

    def save_pretrained(self, folder: str | Path) -> None:
        """Write the Hub layout (model_index.json, model card, per-task defaults, one subfolder per
        model)."""
        hub.save_components(
            Path(folder), self.components, self.card, self.sample_grid(), self.task_defaults
        )

    def push_to_hub(self, repo_id: str, *, private: bool | None = None, token: str | None = None):
        """Publish the pipeline as a Hub model repository (created if needed)."""
        return hub.push_folder_to_hub(
            self.components,
            self.card,
            self.sample_grid(),
            self.task_defaults,
            repo_id,
            private=private,
            token=token,
        )

    # --- restoration ----------------------------------------------------------------------------

    def defaults(self, task: str | Task, preset: str = "default") -> Settings:
        """The settings a call uses for `task` when none are given: under the "default" preset
        this model's own for the task (or `GENERIC`), under "paper" the paper's."""
        if check_preset(preset) == "paper":
            return PAPER
        return self.task_defaults.get(get_task(task).name, GENERIC)

    @torch.no_grad()
    def __call__(
        self,
        image: ImageLike | list[ImageLike],
        task: str | Task | list[str | Task] = "inpainting",
        *,
        mask: ImageLike | None = None,
        lam: float | None = None,
        iterations: int | None = None,
        restarts: int | None = None,
        seed: int | None = None,
        preset: str = "default",
        callback: ProgressCallback | None = None,
        progress: bool = True,
        **overrides: Any,
    ) -> RestorationOutput:
        """Restore one observation, or a list of them (solved as one batch).

        Args:
            image: what the user holds: the image with its hole (inpainting), a gray image
                (colorization; a colour one is first turned to luma), the low-resolution image
                (super-resolution: 16 x 16 for factor 4), the noisy or quantized image. PIL, a
                numpy array (H x W [x C]) or a tensor (C x H x W), or a file path. Other sizes
                are cut to their centre square and resized; see `ganmap.base.images`.
            task: one of `ganmap.TASKS` or a Task object (e.g. `SuperResolution(factor=2)`);
                for a list of images, also a list with each image's own task, all of one name
                (they share the name's settings), e.g. super-resolution at several factors.
            mask: inpainting only: True / white where pixels are missing, at the image's framing
                (same height and width as `image`). None: the task's own (the centre 32 x 32).
            lam, iterations, restarts: override the preset's (see `Settings`); None keeps it.
            seed: seeds the initial latents (0 to 2**63 - 1); None means 0, so calls repeat.
            preset: "default" (this model's tuned settings, fast) or "paper" (the published
                method); `out.settings` holds the `Settings` it resolved to.
            callback: called as callback(iteration, iterations, objective) after every step;
                raising from it aborts the call.
            progress: show a tqdm bar.
            **overrides: any other field of `Settings` (step_size, blend, data_consistency,
                encoder_start, refine_steps, refine_weight, refine_step_size, average,
                generator_share, precision).
        """
        seed = check_seed(0 if seed is None else seed)
        single = not isinstance(image, list)
        inputs = [to_tensor(x) for x in ([image] if single else image)]
        if not inputs:
            raise ValueError("got an empty list of images")
        tasks = per_image_tasks(task, len(inputs), single)
        config = self.defaults(tasks[0], preset).update(
            lam=lam, iterations=iterations, restarts=restarts, **overrides
        )
        if len(inputs) * config.restarts > MAX_BATCH:
            raise ValueError(
                f"{len(inputs)} images x {config.restarts} restarts exceeds {MAX_BATCH} at once; "
                "pass fewer images per call"
            )
        if mask is not None:
            if len(set(map(id, tasks))) > 1:
                raise ValueError(
                    "a mask goes with one task for every image; with a task per image, give "
                    "each its own hole as Inpainting(missing=...)"
                )
            tasks = [tasks[0].with_mask(self._mask(mask, inputs))] * len(inputs)
        observed = Observations(
            tasks, [t.observe(x).to(self.device) for t, x in zip(tasks, inputs, strict=True)]
        )
        start = None
        if self.encoder is not None and config.encoder_start:  # restart 0 begins at E's guess
            guesses = from_unit(observed.map(lambda t, y: t.estimate(y)))
            start = per_image(self.encoder, guesses, 1)[:, None]

        solution = solve(
            self.generator,
            self.discriminator,
            observed,
            lam=float(config.lam),
            iterations=config.iterations,
            restarts=config.restarts,
            step_size=float(config.step_size),
            seed=seed,
            start=start,
            precision=config.precision,
            callback=callback,
            progress=progress,
        )
        count = min(config.average, config.restarts)  # the best restarts, averaged
        drawn = solution.images[:, :count]
        if config.refine_steps:
            drawn = refine_features(
                self.generator,
                observed,
                solution.latents[:, :count].flatten(0, 1),
                owners=torch.arange(len(inputs), device=self.device).repeat_interleave(count),
                steps=config.refine_steps,
                weight=config.refine_weight,
                step_size=float(config.refine_step_size),
                precision=config.precision,
            ).unflatten(0, (len(inputs), count))
        restored = observed.map(
            lambda t, y, x: finish(
                t, x, y, blend=config.blend, data_consistency=config.data_consistency
            ),
            drawn.mean(1),
        )
        if config.generator_share < 1:  # averaged with a restoration that errs differently
            share = config.generator_share
            restored = share * restored + (1 - share) * observed.map(classical)

        outputs = [
            dict(
                image=to_pil(restored[i]),
                framed=to_pil(paste_back(restored[i].cpu(), inputs[i], tasks[i].scale)),
                observation=to_pil(observed[i]),
                candidates=[to_pil(c) for c in solution.images[i]],
                losses=solution.losses[i].tolist(),
                history=solution.history[:, i].tolist(),
            )
            for i in range(len(inputs))
        ]
        fields = outputs[0] if single else {k: [o[k] for o in outputs] for k in outputs[0]}
        return RestorationOutput(**fields, settings=config)

    @staticmethod
    def _mask(mask: ImageLike, inputs: list[torch.Tensor]) -> torch.Tensor:
        """The user's mask (white / True = missing, at the images' framing) framed as they are."""
        missing = to_tensor(mask)
        for x in inputs:
            if missing.shape[1:] != x.shape[1:]:
                raise ValueError(
                    f"the mask is {missing.shape[2]} x {missing.shape[1]} but the image is "
                    f"{x.shape[2]} x {x.shape[1]}: give a mask of the image's size"
                )
        return centre_crop(missing.mean(0, keepdim=True), IMAGE_SIZE)[0] > 0.5

    def generate(self, count: int, seed: int = 0) -> list[Image.Image]:
        """Samples G(z), z ~ U[-1, 1]^nz: faces of the prior, e.g. for demos and examples."""
        return [to_pil(x) for x in self._samples(count, seed)]

    def sample_grid(self, count: int = 64, seed: int = 0, columns: int = 8) -> Image.Image:
        """`count` samples in a grid with 2-pixel gaps: the picture of a model card."""
        return to_pil(make_grid(self._samples(count, seed), nrow=columns, padding=2, pad_value=1))

    @torch.no_grad()
    def _samples(self, count: int, seed: int) -> torch.Tensor:
        if not 1 <= count <= MAX_BATCH:
            raise ValueError(f"count must be from 1 to {MAX_BATCH}, got {count!r}")
        rng = torch.Generator().manual_seed(check_seed(seed))
        z = torch.rand(count, self.generator.latent_dim, generator=rng) * 2 - 1
        return to_unit(self.generator(z.to(self.device))).clamp(0, 1).cpu()


def per_image_tasks(task: str | Task | list[str | Task], count: int, single: bool) -> list[Task]:
    """One task per image: `task` for each, or a list of them, one per image and of one name."""
    if not isinstance(task, list):
        return [get_task(task)] * count
    if single:
        raise ValueError("a list of tasks goes with a list of images, one task per image")
    if len(task) != count:
        raise ValueError(f"got {len(task)} tasks for {count} images: give one task per image")
    tasks = [get_task(t) for t in task]
    names = sorted({t.name for t in tasks})
    if len(names) > 1:
        raise ValueError(
            f"the tasks of one call share their settings, so they must be of one kind, got "
            f"{', '.join(names)}: restore each kind in a call of its own"
        )
    return tasks


def check_seed(seed: int) -> int:
    """The seed, if torch can take it; a clear error otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be an integer from 0 to 2**63 - 1, got {seed!r}")
    return seed


def corrupt(image: ImageLike, task: str | Task = "inpainting", *, seed: int = 0) -> Image.Image:
    """The paper's observation of a clean face (cut to its centre square, 64 x 64): what
    `RestorationPipeline` restores. Seeded where the corruption is random (denoising)."""
    clean = to_tensor(image)
    if clean.shape[0] == 1:
        clean = clean.expand(3, -1, -1)
    task = get_task(task)
    observation = task.corrupt(
        centre_crop(clean, IMAGE_SIZE)[None], torch.Generator().manual_seed(check_seed(seed))
    )
    return to_pil(observation[0])


__all__ = ["FaceRestorationPipeline", "RestorationOutput", "corrupt"]
