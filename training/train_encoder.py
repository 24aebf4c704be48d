"""Train an encoder E that inverts a trained generator: G(E(x)) ~ x, for the solver's first guess.

    python training/train_encoder.py --model runs/dcgan/epoch-024 --data ../shared/data/celeba/train

Two losses per step, G frozen: on generated faces, where the true latent is known,
||E(G(z)) - z||^2; on training faces, where it is not, ||G(E(x)) - x||_1, which also teaches E to
map faces outside G's range to their nearest G(z). The encoder is saved with the rest of the
pipeline into the model folder (`encoder/`), where `RestorationPipeline.from_pretrained` picks it up. It is a short job (minutes):
it saves every --save-every steps and `--resume` continues from the saved encoder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm import tqdm

from ganmap import RestorationPipeline
from ganmap.core.models import Encoder, from_unit, to_unit
from ganmap.evaluation.data import FaceFolder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="model folder (G and D)")
    parser.add_argument("--data", required=True, help="training faces")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--image-weight", type=float, default=1.0, help="weight of the L1 loss")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--resume", action="store_true", help="start from the saved encoder")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    pipe = RestorationPipeline.from_pretrained(args.model)
    generator = pipe.generator
    if args.resume and pipe.encoder is None:
        parser.error(f"{args.model} has no encoder to resume from")
    encoder = (pipe.encoder if args.resume else Encoder(generator.latent_dim)).train()
    encoder.requires_grad_(True)
    optimizer = torch.optim.Adam(encoder.parameters(), args.lr)
    faces = DataLoader(FaceFolder(args.data), args.batch_size, shuffle=True, drop_last=True)

    bar = tqdm(total=args.steps, unit="step")
    step = 0
    while step < args.steps:
        for real in faces:
            real = torch.where(torch.rand(len(real), 1, 1, 1) < 0.5, real.flip(-1), real)
            z = torch.rand(args.batch_size, generator.latent_dim) * 2 - 1
            with torch.no_grad():
                fake = generator(z)
            latent_loss = F.mse_loss(encoder(fake), z)
            image_loss = F.l1_loss(to_unit(generator(encoder(from_unit(real)))), real)
            loss = latent_loss + args.image_weight * image_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            bar.update()
            bar.set_postfix(latent=f"{latent_loss.item():.4f}", image=f"{image_loss.item():.4f}")
            if step % args.save_every == 0 or step == args.steps:
                pipe.encoder = encoder
                pipe.save_pretrained(args.model)  # the whole layout, index and card included
            if step == args.steps:
                break
    bar.close()
    print(f"encoder saved in {args.model / 'encoder'}")


if __name__ == "__main__":
    main()
