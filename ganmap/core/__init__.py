"""The face pipeline: the GAN's models, their Hub folder, the settings, the latent MAP solver.

Layer: above `ganmap.operators` (see docs/layout.md).
"""
