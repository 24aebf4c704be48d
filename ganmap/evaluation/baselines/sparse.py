"""Sparse coding over a dictionary of colour patches (Elad & Aharon, CVPR 2006; Yang et al. 2010).

Every overlapping 8 x 8 colour patch of the image, less its mean in each channel, is approximated
by orthogonal matching pursuit with `sparsity` atoms of a dictionary, and the image is rebuilt by
averaging the overlapping approximations (Elad & Aharon's denoiser, with a fixed number of atoms
instead of an error bound so that one parameter means the same for every task).

Only denoising observes every pixel with plain noise, so one pass over every patch position is the
whole method there. The other tasks alternate that sparse approximation (patches every 2 pixels,
which keeps 10 passes affordable) with the task's data consistency (`Task.project`: known pixels
put back, block means or luma restored, values clipped into their quantization cells), starting
from the references' first estimate (mean-filled hole, bicubic, gray, quantized image):
alternating projections between images with sparse patches and images that agree with the
observation.

The dictionary is one for all images: 256 atoms learned by scikit-learn's
MiniBatchDictionaryLearning (random_state 0) from patches of training faces, shipped in
`ganmap/assets/` and rebuilt with
    python -m ganmap.evaluation.baselines.sparse --data /work/shared/data/celeba/train
Learning it from training faces (never validation or test ones) is the "globally trained
dictionary" of Elad & Aharon; it gives the baseline the same kind of knowledge as the GAN.
"""

from __future__ import annotations

import argparse
from functools import cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganmap.base.paths import ASSETS
from ganmap.operators import Gaussian, Task

PATCH = 8
STRIDE = 2  # patch step of the alternating passes: every pixel is still in 16 patches
PASSES = 10  # sparse approximation / data consistency rounds, for every task but denoising
DICTIONARY_FILE = ASSETS / "patch_dictionary.npy"

ATOMS = 256
LEARNING_FACES = 500
LEARNING_STRIDE = 4
CHUNK = 32_768  # patches coded at once: bounds the memory of the batched OMP


def extract_patches(images: torch.Tensor, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Patches of (N, 3, H, W) images as rows of a (patches, 3 * 8 * 8) float32 tensor, less
    their per-channel means, and those means (N, 3, 1, L)."""
    columns = F.unfold(images, PATCH, stride=stride)  # (N, 3 * 64, L)
    columns = columns.view(images.shape[0], 3, PATCH * PATCH, -1)
    means = columns.mean(dim=2, keepdim=True)
    rows = (columns - means).flatten(1, 2).transpose(1, 2).reshape(-1, 3 * PATCH * PATCH)
    return rows.detach().float(), means


def learn_dictionary(faces: torch.Tensor, atoms: int = ATOMS) -> np.ndarray:
    """A (3 * 8 * 8, atoms) dictionary of unit-norm columns learned from clean faces' patches."""
    from sklearn.decomposition import MiniBatchDictionaryLearning

    rows, _ = extract_patches(faces, LEARNING_STRIDE)
    rows = rows.double().numpy()
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
            "python -m ganmap.evaluation.baselines.sparse --data FOLDER_OF_TRAINING_FACES"
        )
    return np.load(DICTIONARY_FILE, allow_pickle=False).astype(np.float64)


def orthogonal_matching_pursuit(
    gram: torch.Tensor, correlations: torch.Tensor, sparsity: int
) -> torch.Tensor:
    """OMP codes of many signals at once, from the dictionary's Gram matrix D^T D (K, K) and the
    signals' correlations with the atoms D^T x (P, K); returns (P, K) codes with at most
    `sparsity` non-zeros per row.

    The same greedy path as scikit-learn's `orthogonal_mp_gram` (pick the atom most correlated with
    the residual, refit all picked atoms by least squares), but every signal advances one atom per
    step in one batched solve, instead of a loop over signals, which a benchmark's 10^5 - 10^6
    patches need. A signal whose residual vanishes keeps its code.
    """
    count, atoms = correlations.shape
    chosen = torch.zeros(count, 0, dtype=torch.long, device=correlations.device)
    codes = torch.zeros_like(correlations)
    residual_correlations = correlations
    tiny = torch.finfo(correlations.dtype).eps * correlations.abs().amax(dim=1).clamp(min=1)
    for _ in range(min(sparsity, atoms)):
        scores = residual_correlations.abs().scatter(1, chosen, -1.0)  # never pick an atom twice
        best, atom = scores.max(dim=1)
        live = best > tiny  # the residual is (numerically) orthogonal to every atom: done
        if not live.any():
            break
        chosen = torch.cat([chosen, atom[:, None]], dim=1)
        refit = torch.linalg.solve(
            gram[chosen[:, :, None], chosen[:, None, :]], correlations.gather(1, chosen)
        )
        # A finished signal keeps its code (its last pick gets no weight).
        codes = torch.where(live[:, None], torch.zeros_like(codes).scatter(1, chosen, refit), codes)
        residual_correlations = correlations - codes @ gram
    return codes


def sparse_approximation(images: torch.Tensor, sparsity: int, stride: int = STRIDE) -> torch.Tensor:
    """Every patch coded with `sparsity` atoms by OMP, the overlapping codes averaged."""
    dictionary = torch.from_numpy(load_dictionary()).to(images.device, torch.float32)
    rows, means = extract_patches(images, stride)
    gram = dictionary.T @ dictionary
    codes = torch.cat(
        [
            orthogonal_matching_pursuit(gram, chunk @ dictionary, sparsity)
            for chunk in rows.split(CHUNK)
        ]
    )
    batch, side = images.shape[0], images.shape[-1]
    columns = (
        (codes @ dictionary.T)
        .to(images.dtype)
        .view(batch, -1, 3, PATCH * PATCH)
        .permute(0, 2, 3, 1)
    )
    columns = (columns + means).flatten(1, 2)
    total = F.fold(columns, (side, side), PATCH, stride=stride)
    coverage = F.fold(torch.ones_like(columns), (side, side), PATCH, stride=stride)
    return total / coverage


def sparse_coding(observation: torch.Tensor, task: Task, *, sparsity: int) -> torch.Tensor:
    """Sparse-coding restoration of a batch of observations with `sparsity` atoms per patch."""
    if isinstance(task.noise, Gaussian):  # y is the whole image, noisy: approximate it directly
        return sparse_approximation(observation, sparsity, stride=1).clamp(0, 1)
    image = task.estimate(observation).clone()
    for _ in range(PASSES):
        image = task.project(sparse_approximation(image, sparsity), observation)
    return image.clamp(0, 1)


def main(argv: list[str] | None = None) -> None:
    from ganmap.evaluation.data import FaceFolder

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
