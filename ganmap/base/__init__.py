"""The foundations every layer uses: image input and output, colour, weight loading, the paper.

Layer: the bottom; imports nothing else of ganmap (see docs/layout.md).
"""
