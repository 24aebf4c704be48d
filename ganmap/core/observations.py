"""A batch of observations, each with the task that made it, computed on one image at a time.

The faces of one photo meet different tasks: a super-resolution factor, a noise level and a hole
of their own, set by each face's size (`Task.at_size`). Every step that touches an image (G, D,
the operator A, the refinement's residual, the post-processing) runs on that image's rows alone,
so every kernel sees the same shapes and values whether the face came alone or among others:
CPUs with native bfloat16 (AMX) pick their kernels by shape, and a shared batch would make a
face's result depend on how many other faces share its photo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ganmap.operators import Task


class Observations:
    """Observations (each `task.observation_shape`) with a task each; a single task and a
    stacked (N, ...) tensor give N observations of that task."""

    def __init__(self, tasks: Task | Sequence[Task], values: torch.Tensor | Sequence[torch.Tensor]):
        self.values = list(values)
        self.tasks = [tasks] * len(self.values) if isinstance(tasks, Task) else list(tasks)
        if len(self.tasks) != len(self.values) or not self.values:
            raise ValueError(
                f"give one task per observation: got {len(self.tasks)} tasks for "
                f"{len(self.values)} observations"
            )

    def __len__(self) -> int:
        return len(self.tasks)

    def __getitem__(self, index: int) -> torch.Tensor:
        """Observation `index`."""
        return self.values[index]

    @property
    def name(self) -> str:
        """The tasks' names, for progress bars."""
        return ", ".join(dict.fromkeys(task.name for task in self.tasks))

    def map(
        self,
        fn: Callable[..., torch.Tensor],
        *rows: torch.Tensor,
        owners: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """fn(task, observations, *rows) run once per image, on that image's rows alone, stitched
        back in row order: row r of each tensor in `rows` belongs to image owners[r] (default:
        row r to image r) and meets that image's task and its observation, repeated once per row.
        fn returns one value per row, e.g. a data term (rows,) or an image (rows, 3, 64, 64)."""
        if owners is None:
            owners = torch.arange(len(self))
        owners = owners.cpu()
        result = None
        for image in owners.unique().tolist():
            members = (owners == image).nonzero().squeeze(1)
            observed = self.values[image][None].repeat_interleave(len(members), 0)
            value = fn(self.tasks[image], observed, *(r[members.to(r.device)] for r in rows))
            if result is None:
                result = value.new_empty(len(owners), *value.shape[1:])
            result[members.to(result.device)] = value.to(result.dtype)
        return result
