"""Sparse coding over a dictionary of colour patches (Elad & Aharon, CVPR 2006; Yang et al. 2010).

Every overlapping 8 x 8 colour patch of the image, less its mean in each channel, is approximated
by orthogonal matching pursuit with `sparsity` atoms of a dictionary, and the image is rebuilt by
averaging the overlapping approximations (Elad & Aharon's denoiser, with a fixed number of atoms
instead of an error bound so that one parameter means the same for every task).

Only denoising observes every pixel with plain noise, so one pass over every patch position is the
whole method there. The other tasks alternate that sparse approximation (patches every 2 pixels,
which keeps 10 passes affordable) with the task's data consistency (`Task.consistent`: known pixels
put back, block means or luma restored, values clipped into their quantization cells), starting
from the references' first estimate (mean-filled hole, bicubic, gray, quantized image):
alternating projections between images with sparse patches and images that agree with the
observation.

The dictionary is one for all images: 256 atoms learned by scikit-learn's
MiniBatchDictionaryLearning (random_state 0) from patches of training faces, shipped in
`ganmap/assets/` and rebuilt with
    python -m ganmap.baselines.sparse --data /work/shared/data/celeba/train
Learning it from training faces (never validation or test ones) is the "globally trained
dictionary" of Elad & Aharon; it gives the baseline the same kind of knowledge as the GAN.
"""

from __future__ import annotations

import argparse
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..tasks import Denoising, Task

PATCH = 8
STRIDE = 2  # patch step of the alternating passes: every pixel is still in 16 patches
PASSES = 10  # sparse approximation / data consistency rounds, for every task but denoising
DICTIONARY_FILE = Path(__file__).resolve().parent.parent / "assets" / "patch_dictionary.npy"

ATOMS = 256
LEARNING_FACES = 500
LEARNING_STRIDE = 4


def extract_patches(images: torch.Tensor, stride: int) -> tuple[np.ndarray, torch.Tensor]:
    """Patches of (N, 3, H, W) images as rows of a (patches, 3 * 8 * 8) float64 array, less
    their per-channel means, and those means (N, 3, 1, L)."""
    columns = F.unfold(images, PATCH, stride=stride)  # (N, 3 * 64, L)
    columns = columns.view(images.shape[0], 3, PATCH * PATCH, -1)
    means = columns.mean(dim=2, keepdim=True)
    rows = (columns - means).flatten(1, 2).transpose(1, 2).reshape(-1, 3 * PATCH * PATCH)
    return rows.detach().cpu().double().numpy(), means


def learn_dictionary(faces: torch.Tensor, atoms: int = ATOMS) -> np.ndarray:
    """A (3 * 8 * 8, atoms) dictionary of unit-norm columns learned from clean faces' patches."""
    from sklearn.decomposition import MiniBatchDictionaryLearning

    rows, _ = extract_patches(faces, LEARNING_STRIDE)
    learner = MiniBatchDictionaryLearning(
        n_components=atoms, alpha=0.1, batch_size=256, max_iter=5, random_state=0
    )
    atoms_as_rows = learner.fit(rows).components_
    return (atoms_as_rows / np.linalg.norm(atoms_as_rows, axis=1, keepdims=True)).T


@cache
def load_dictionary() -> np.ndarray:
    """The shipped dictionary (see the module docstring for how it was made)."""
    if not DICTIONARY_FILE.is_file():
        raise FileNotFoundError(
            f"{DICTIONARY_FILE} is missing; rebuild it with "
            "python -m ganmap.baselines.sparse --data FOLDER_OF_TRAINING_FACES"
        )
    return np.load(DICTIONARY_FILE, allow_pickle=False).astype(np.float64)


def sparse_approximation(images: torch.Tensor, sparsity: int, stride: int = STRIDE) -> torch.Tensor:
    """Every patch coded with `sparsity` atoms by OMP, the overlapping codes averaged."""
    from sklearn.linear_model import orthogonal_mp_gram

    dictionary = load_dictionary()
    rows, means = extract_patches(images, stride)
    with warnings.catch_warnings():
        # A flat patch, or one matched exactly by fewer atoms, stops OMP early: that is right.
        warnings.filterwarnings("ignore", "Orthogonal matching pursuit ended prematurely")
        codes = orthogonal_mp_gram(
            dictionary.T @ dictionary, dictionary.T @ rows.T, n_nonzero_coefs=sparsity
        )
    approximations = torch.from_numpy(dictionary @ codes.reshape(dictionary.shape[1], -1))
    batch, side = images.shape[0], images.shape[-1]
    columns = (
        approximations.to(images.device, images.dtype)
        .view(3, PATCH * PATCH, batch, -1)
        .permute(2, 0, 1, 3)
    )
    columns = (columns + means).flatten(1, 2)
    total = F.fold(columns, (side, side), PATCH, stride=stride)
    coverage = F.fold(torch.ones_like(columns), (side, side), PATCH, stride=stride)
    return total / coverage


def sparse_coding(observation: torch.Tensor, task: Task, *, sparsity: int) -> torch.Tensor:
    """Sparse-coding restoration of a batch of observations with `sparsity` atoms per patch."""
    if isinstance(task, Denoising):
        return sparse_approximation(observation, sparsity, stride=1).clamp(0, 1)
    image = task.estimate(observation).clone()
    for _ in range(PASSES):
        image = task.consistent(sparse_approximation(image, sparsity), observation)
    return image.clamp(0, 1)


def main(argv: list[str] | None = None) -> None:
    from ..data import FaceFolder

    parser = argparse.ArgumentParser(
        description="Learn the patch dictionary of the sparse baseline"
    )
    parser.add_argument("--data", required=True, help="folder of training faces (never validation)")
    parser.add_argument("--out", type=Path, default=DICTIONARY_FILE)
    args = parser.parse_args(argv)
    faces = FaceFolder(args.data, limit=LEARNING_FACES)
    dictionary = learn_dictionary(torch.stack([faces[i] for i in range(len(faces))]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, dictionary.astype(np.float32))
    print(f"saved a {dictionary.shape[0]} x {dictionary.shape[1]} dictionary to {args.out}")


if __name__ == "__main__":
    main()
