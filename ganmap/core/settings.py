"""Solver settings: what one restoration runs with, and the presets a call names.

A model's own per-task defaults are tuned for its weights, so they travel with them: the pipeline
folder's `defaults.json` (`ganmap.core.hub`), written by training/tune_defaults.py. A task with no
entry there (a task of your own, or a folder without the file) runs with `GENERIC`.

The paper (section 3) fixes the method (Eq. 3, p = 1, uniform p_Z, random initialisation, Poisson
blending for inpainting and no other post-processing) but not its numbers. The "paper" settings take
lambda = 0.003 from the authors' inpainting paper [15] and 64 restarts of 1,000 Adam steps, as
published; they are the reference, not the default, because they cost minutes per face on a CPU.
The bundled model's "default" settings were chosen by measurement on the validation faces to
finish in about a second per face (docs/experiments/settings-tuning.md).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

MAX_ITERATIONS = 100_000
MAX_RESTARTS = 1024
PRECISIONS = ("float32", "bfloat16")


@dataclass(frozen=True)
class Settings:
    """How one restoration is solved.

    Attributes:
        lam: weight of the discriminator prior in Eq. 3 (per image; >= 0, finite).
        iterations: the most Adam steps on z (1 to 100,000; the run may stop earlier).
        restarts: random initial latents per image, run as one batch (1 to 1,024).
        step_size: Adam's learning rate on z (> 0).
        blend: Poisson-blend the inpainted region into the observation (the paper's post-processing).
        data_consistency: return the image made to agree with what the observation pins down
            exactly (observed pixels, block means, luma, quantization cells); see
            `ganmap.operators.partners.consistent`.
        encoder_start: start the first restart from the encoder's guess E(estimate of y) when
            the model has an encoder (the others start at random, as the paper's all do).
        refine_steps: after the search over z, Adam steps on G's 8 x 8 features of the best z
            so that the image can leave the generator's range (0 is off, as in the paper).
            See `ganmap.core.refinement`.
        refine_weight: how strongly those features are pulled back to the ones of z (>= 0).
        refine_step_size: Adam's learning rate on those features (> 0).
        average: how many of the best restarts make the result (at most `restarts`): each is
            refined, and their images are averaged, a cheap step towards the posterior mean
            that no single sample reaches. 1 is the paper's best restart alone.
        generator_share: the share of G's restoration in the result (0 to 1); the rest is
            the task's classical restoration (`ganmap.operators.partners.classical`: bicubic
            upsampling, biharmonic filling, a patch denoiser, each made consistent with the
            observation). The two err differently, a plausible face that is not quite this one
            against the blur of a method without a face model, so a mean is closer than
            either. 1 is G's restoration alone, as in the paper.
        precision: "bfloat16" (default) or "float32", the precision of G's and D's forward
            passes. Either way a face's result is bit for bit the same alone or in a batch of
            any size (each image meets G and D on its own: `ganmap.core.observations`). bfloat16
            is faster on a CPU with bfloat16
            arithmetic and scores about the same; float32 is the reference arithmetic. Where the
            device has no bfloat16 dot products of its own (AVX-512 BF16, AMX, a GPU's),
            "bfloat16" runs in float32 (`ganmap.core.solver.runs_bfloat16`), since emulated
            bfloat16 is slower.
    """

    lam: float
    iterations: int
    restarts: int
    step_size: float
    blend: bool = True
    data_consistency: bool = False
    encoder_start: bool = True
    refine_steps: int = 0
    refine_weight: float = 0.01
    refine_step_size: float = 0.03
    average: int = 1
    generator_share: float = 1.0
    precision: str = "bfloat16"

    def __post_init__(self) -> None:
        if isinstance(self.lam, bool) or not isinstance(self.lam, (int, float)):
            raise ValueError(f"lam must be a number, got {self.lam!r}")
        if not math.isfinite(self.lam) or self.lam < 0:
            raise ValueError(f"lam must be finite and >= 0, got {self.lam!r}")
        for name, low, high in (
            ("iterations", 1, MAX_ITERATIONS),
            ("restarts", 1, MAX_RESTARTS),
            ("refine_steps", 0, MAX_ITERATIONS),
            ("average", 1, MAX_RESTARTS),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be an integer from {low} to {high:,}, got {value!r}")
        for name in ("step_size", "refine_step_size"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (math.isfinite(value) and value > 0)
            ):
                raise ValueError(f"{name} must be finite and > 0, got {value!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"
            )
        share = self.generator_share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise ValueError(f"generator_share must be a number from 0 to 1, got {share!r}")
        if not isinstance(self.refine_weight, (int, float)) or not (
            math.isfinite(self.refine_weight) and self.refine_weight >= 0
        ):
            raise ValueError(f"refine_weight must be finite and >= 0, got {self.refine_weight!r}")

    def update(self, **overrides) -> Settings:
        """A copy with the given fields replaced (None leaves a field as it is)."""
        unknown = set(overrides) - {f.name for f in fields(self)}
        if unknown:
            names = ", ".join(f.name for f in fields(self))
            raise ValueError(
                f"unknown setting(s) {', '.join(sorted(unknown))}; settings are: {names}"
            )
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


PAPER = Settings(
    lam=0.003, iterations=1000, restarts=64, step_size=0.03, blend=True, encoder_start=False
)

# For a task the model's folder has no defaults for: the search over z that every tuned task of
# the bundled model shares, with the feature refinement at the middle of their tuned values and
# all restarts averaged (more never scored worse, only slower).
GENERIC = Settings(lam=0.0, iterations=30, restarts=4, step_size=0.1, refine_steps=50, average=4)

PRESETS = ("default", "paper")


def check_preset(preset: str) -> str:
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    return preset


def settings_to_json(defaults: dict[str, Settings]) -> dict[str, dict]:
    """Per-task settings as plain JSON: task name -> {field name: value}."""
    return {name: asdict(settings) for name, settings in defaults.items()}


def settings_from_json(entries: dict) -> dict[str, Settings]:
    """The inverse of `settings_to_json`; a ValueError naming the task for a bad entry. Fields
    missing from an entry take `Settings`' own defaults (so older files keep loading)."""
    if not isinstance(entries, dict):
        raise ValueError("per-task defaults must be a JSON object keyed by task name")
    defaults = {}
    for name, entry in entries.items():
        try:
            defaults[name] = Settings(**entry)
        except TypeError as error:
            names = ", ".join(f.name for f in fields(Settings))
            raise ValueError(f"defaults of {name!r}: {error}; settings are: {names}") from error
        except ValueError as error:
            raise ValueError(f"defaults of {name!r}: {error}") from error
    return defaults
