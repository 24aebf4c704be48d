"""The operators (the paper's corruptions), their noise models, classical partners and registry.

Layer: above `ganmap.classical` and `ganmap.base`; below `ganmap.core` (see docs/layout.md).
"""

from ganmap.operators.base import Task
from ganmap.operators.colorization import Colorization
from ganmap.operators.denoising import Denoising
from ganmap.operators.inpainting import Inpainting, centre_hole
from ganmap.operators.noise import EXACT, Gaussian, Noise, Rounding
from ganmap.operators.quantization import Quantization
from ganmap.operators.registry import REGISTRY, TASKS, at_its_own_level, at_level, get_task
from ganmap.operators.super_resolution import SuperResolution

__all__ = [
    "EXACT",
    "REGISTRY",
    "TASKS",
    "Colorization",
    "Denoising",
    "Gaussian",
    "Inpainting",
    "Noise",
    "Quantization",
    "Rounding",
    "SuperResolution",
    "Task",
    "at_its_own_level",
    "at_level",
    "centre_hole",
    "get_task",
]
