"""Image restoration without a face model: Wiener filtering, fills, blending, a learned denoiser.

Layer: above `ganmap.base`; knows no operator (see docs/layout.md).
"""
