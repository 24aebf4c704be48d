"""Helpers of the app tests: the demo served on a free local port, in a background thread.

Imported by test_app.py and test_browser.py (pytest puts tests/ on sys.path); they serve the
tiny pipeline of conftest.py, so the app runs every real code path in milliseconds.
"""

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # tests make no outside connection
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `demo/` and `app.py` live at the top of the repository
    sys.path.insert(0, str(ROOT))


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


def face_upload(folder: Path) -> Path:
    """A drawn 96 x 96 face as a PNG (not 64 x 64: the app's framing is exercised)."""
    from demo.examples import drawn_face

    path = folder / "face.png"
    drawn_face(size=96).save(path)
    return path
