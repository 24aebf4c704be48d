"""The Gradio demo of ganmap: `build_demo(pipe)` makes the app, `launch(demo)` serves it."""

from typing import Any

import gradio as gr

from .interface import CSS, MAX_ITERATIONS, MAX_RESTARTS, build_demo

__all__ = ["CSS", "MAX_ITERATIONS", "MAX_RESTARTS", "build_demo", "launch"]


def launch(demo: gr.Blocks, **kwargs: Any):
    """`demo.launch` with the app's stylesheet and visible error messages (kwargs win)."""
    return demo.launch(**{"css": CSS, "show_error": True, **kwargs})
