"""Helpers of the app tests: the demo served on a free local port, in a background thread, and
the requests its Restore button and upload button send.

Imported by the test_app*.py files and test_browser.py (pytest puts tests/ on sys.path); they
serve the tiny pipeline of conftest.py, so the app runs every real code path in milliseconds.
"""

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageDraw

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # tests make no outside connection
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `demo/` and `app.py` live at the top of the repository
    sys.path.insert(0, str(ROOT))

#: Small settings for the tiny network: every code path, in a fraction of a second.
SETTINGS = {"lam": 0.003, "iterations": 5, "restarts": 2, "seed": 0, "noise_sigma": 0, "levels": 0}
TIMEOUT_S = 60


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(pipe, tmp_dir: Path) -> Iterator[str]:
    """Serve the demo around `pipe` in a background thread; yields its URL, closes it after."""
    from demo import build_demo, launch

    app = build_demo(pipe, examples_dir=str(tmp_dir))
    port = free_port()
    launch(app, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def client_for(url: str, downloads: Path):
    """A gradio_client Client of the app at `url` that saves returned files under `downloads`."""
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=str(downloads))


def editor_value(background: Path | None, *layers: Path) -> dict:
    """What the ImageEditor sends: a background image and the painted layers."""
    from gradio_client import handle_file

    return {
        "background": None if background is None else handle_file(str(background)),
        "layers": [handle_file(str(layer)) for layer in layers],
        "composite": None,
    }


def restore(
    client, editor: dict, task: str, mode: str = "as-is", framing: str = "faces", **settings
) -> tuple:
    """One press of Restore, time-limited: (comparison, faces, downloads, summary, curve,
    candidates), files as local paths (the API leaves out the fallback button's update)."""
    s = {**SETTINGS, **settings}
    job = client.submit(
        editor,
        task,
        mode,
        framing,
        s["lam"],
        s["iterations"],
        s["restarts"],
        s["seed"],
        s["noise_sigma"],
        s["levels"],
        api_name="/restore",
    )
    return job.result(timeout=TIMEOUT_S)


def upload(client, path: Path) -> tuple[dict, str]:
    """What the upload button does with a file: (the editor's new value, the note shown)."""
    from gradio_client import handle_file

    return client.submit(handle_file(str(path)), api_name="/upload").result(timeout=TIMEOUT_S)


def drawn_face(size: int = 256) -> Image.Image:
    """A cartoon face, framed like an aligned face crop: centred, eyes a little above the middle."""
    image = Image.new("RGB", (size, size), (70, 110, 160))
    draw = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (round(x0 * size), round(y0 * size), round(x1 * size), round(y1 * size))

    draw.ellipse(box(0.16, 0.02, 0.84, 0.62), fill=(60, 40, 25))  # hair
    draw.rectangle(box(0.30, 0.75, 0.70, 1.00), fill=(225, 180, 150))  # neck
    draw.ellipse(box(0.22, 0.14, 0.78, 0.90), fill=(235, 190, 160))  # face
    for x in (0.32, 0.56):
        draw.ellipse(box(x, 0.40, x + 0.12, 0.47), fill=(255, 255, 255))  # eyes
        draw.ellipse(box(x + 0.035, 0.41, x + 0.085, 0.46), fill=(50, 35, 25))
        draw.line(box(x - 0.01, 0.36, x + 0.13, 0.35), fill=(60, 40, 25), width=size // 60)
    draw.polygon(
        [box(0.50, 0.48, 0, 0)[:2], box(0.46, 0.62, 0, 0)[:2], box(0.54, 0.62, 0, 0)[:2]],
        fill=(215, 160, 130),
    )  # nose
    draw.chord(box(0.38, 0.62, 0.62, 0.76), 0, 180, fill=(170, 60, 70))  # mouth
    return image


def face_upload(folder: Path) -> Path:
    """A drawn 96 x 96 face as a PNG (not 64 x 64: the app's framing is exercised)."""
    path = folder / "face.png"
    drawn_face(size=96).save(path)
    return path


def example_files(pipe, folder: Path) -> dict[str, Path]:
    """The app's example photos saved as PNG files, as a person would pick them, by stem."""
    from demo.examples import example_images

    paths = {}
    for stem, image in example_images(pipe).items():
        paths[stem] = folder / f"{stem}.png"
        image.save(paths[stem])
    return paths
