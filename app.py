"""Entry point of the demo, locally and on Hugging Face Spaces: `python app.py`.

Serves on 0.0.0.0:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT override them). Start-up needs no
network: the weights ship inside the package and the examples are drawn or generated locally.
GANMAP_MODEL=folder-or-repo-id serves other weights (a training snapshot, a Hub repository);
GANMAP_DEMO_RANDOM_WEIGHTS=1 serves a small untrained network, to try the interface without
any weights (its restorations are noise).
"""

import logging
import os

# Before gradio is imported: no phoning home at start-up.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from demo import build_demo, launch  # noqa: E402
from ganmap import Discriminator, Generator, RestorationPipeline  # noqa: E402


def load_pipeline() -> RestorationPipeline:
    """The shipped model, unless GANMAP_MODEL or GANMAP_DEMO_RANDOM_WEIGHTS says otherwise."""
    if os.environ.get("GANMAP_DEMO_RANDOM_WEIGHTS", "") not in ("", "0"):
        return RestorationPipeline(Generator(width=8), Discriminator(width=8))
    return RestorationPipeline.from_pretrained(os.environ.get("GANMAP_MODEL") or None)


demo = build_demo(load_pipeline())

if __name__ == "__main__":
    # One line per user error (demo.uploads.user_error), with the time: a Space's log.
    logging.basicConfig(format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    launch(demo, server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"))
