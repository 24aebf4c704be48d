"""A batch of observations, each with the task that made it.

The faces of one photo meet different tasks: a super-resolution factor, a noise level and a hole
of their own, set by each face's size (`Task.at_size`). They are still solved as one batch, since
G and D are where the time goes and they do not care which task an image has; only the cheap
per-task steps (the operator A, the refinement's residual, the post-processing) run once per
group of images that share a task object. Four 64 x 64 observations took 2.5-4.2 s in one
batch against 3.0-5.9 s in four calls, depending on the task (the defaults in float32, 2 threads
of an AVX2 CPU).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from .tasks import Task


class Observations:
    """Observations (each `task.observation_shape`) with a task each; a single task and a
    stacked (N, ...) tensor give N observations of that task."""

    def __init__(self, tasks: Task | Sequence[Task], values: torch.Tensor | Sequence[torch.Tensor]):
        values = list(values)
        tasks = [tasks] * len(values) if isinstance(tasks, Task) else list(tasks)
        if len(tasks) != len(values) or not values:
            raise ValueError(
                f"give one task per observation: got {len(tasks)} tasks for {len(values)} "
                "observations"
            )
        self.tasks = tasks
        by_task: dict[int, list[int]] = {}  # by identity: tasks need not be hashable
        for index, task in enumerate(tasks):
            by_task.setdefault(id(task), []).append(index)
        device = values[0].device
        self.groups = [
            (tasks[members[0]], torch.stack([values[i] for i in members]))
            for members in by_task.values()
        ]
        group_of = torch.empty(len(tasks), dtype=torch.long)  # image -> its group
        position = torch.empty(len(tasks), dtype=torch.long)  # image -> its place in the group
        for number, members in enumerate(by_task.values()):
            group_of[members] = number
            position[members] = torch.arange(len(members))
        self._group_of, self._position = group_of.to(device), position.to(device)

    def __len__(self) -> int:
        return len(self.tasks)

    def __getitem__(self, index: int) -> torch.Tensor:
        """Observation `index`."""
        group, position = self._group_of[index], self._position[index]
        return self.groups[int(group)][1][int(position)]

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
        """fn(task, observations, *rows) run once per group of images with one task, stitched
        back in row order: row r of each tensor in `rows` belongs to image owners[r] (default:
        row r to image r) and meets that image's task and observation. fn returns one value per
        row, e.g. a data term (rows,) or an image (rows, 3, 64, 64)."""
        if owners is None:
            owners = torch.arange(len(self), device=self._group_of.device)
        result = None
        for number, (task, observed) in enumerate(self.groups):
            members = (self._group_of[owners] == number).nonzero().squeeze(1)
            if not len(members):
                continue
            value = fn(task, observed[self._position[owners[members]]], *(r[members] for r in rows))
            if result is None:
                result = value.new_empty(len(owners), *value.shape[1:])
            result[members] = value.to(result.dtype)
        return result
