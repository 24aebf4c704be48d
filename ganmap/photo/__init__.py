"""Whole photos: faces found and aligned, each operator's whole-photo behaviour, paste-back.

Layer: above `ganmap.core`; wraps the face pipeline (see docs/layout.md).
"""
