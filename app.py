"""Entry point of the demo, locally and on Hugging Face Spaces: `python app.py`.

Serves on 0.0.0.0:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT override them). Start-up needs no
network: the weights ship inside the package and the examples are drawn or generated locally.
GANMAP_DEMO_RANDOM_WEIGHTS=1 serves a small untrained network instead, to try the interface
without the weights (its restorations are noise).
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home at start-up

from ganmap.pipeline import RestorationPipeline  # noqa: E402 (after the environment is set)

from demo import build_demo, launch  # noqa: E402


def load_pipeline() -> RestorationPipeline:
    """The shipped model, or a small random one when GANMAP_DEMO_RANDOM_WEIGHTS is set."""
    if os.environ.get("GANMAP_DEMO_RANDOM_WEIGHTS", "") not in ("", "0"):
        from ganmap.models import Discriminator, Generator

        return RestorationPipeline(Generator(width=8), Discriminator(width=8))
    return RestorationPipeline.from_pretrained()


demo = build_demo(load_pipeline())

if __name__ == "__main__":
    launch(demo, server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"))
