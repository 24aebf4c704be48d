"""The linear operator A of a task and its adjoint, as the optimisation baselines need them.

Every task of the paper has a linear A once colorization compares luma: a mask, a weighted sum of
the channels, a block mean, the identity. The adjoint is then the vector-Jacobian product of A at
any point, so it is taken from autograd rather than written out per task; this keeps custom masks
and super-resolution factors working with no extra code. Each of these operators has norm at most
1 (it averages or drops pixels), which the solvers use to pick their step sizes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..tasks import Colorization, Task

Operator = Callable[[torch.Tensor], torch.Tensor]


def linear_operator(task: Task, like: torch.Tensor) -> tuple[Operator, Operator]:
    """(A, A^T) for images shaped like `like`; an error for the non-linear HSV-value colorization."""
    if isinstance(task, Colorization) and task.operator != "luma":
        raise ValueError(
            "the classical baselines need a linear operator: use Colorization(operator='luma')"
        )
    zero = torch.zeros_like(like)
    _, vjp = torch.func.vjp(task.forward, zero)
    return task.forward, lambda residual: vjp(residual)[0]
