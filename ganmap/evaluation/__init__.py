"""The evaluation protocol, metrics, classical baselines, both benchmarks and the speed report.

Layer: above `ganmap.photo` (see docs/layout.md).
"""
