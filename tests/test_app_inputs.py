"""The app answers every bad input with a clear message, and stays up.

Through the HTTP API, around conftest's tiny pipeline: uploads that are no image, broken or
absurd get a Gradio error naming the problem (`gradio_client` raises `AppError` with the message
the browser would show); odd but valid images (transparent, 16-bit, animated, EXIF-rotated) are
restored as a user expects; parameters outside the sliders' ranges are refused. After all of it,
a normal request still works. Every file is generated here, in temporary folders.
"""

import io
import json
import re
import struct
import zlib
from pathlib import Path

import httpx
import numpy as np
import pytest
from app_helpers import (
    SETTINGS,
    TIMEOUT_S,
    client_for,
    drawn_face,
    editor_value,
    face_upload,
    serve,
    upload,
)
from app_helpers import restore as restore_request
from gradio_client import Client
from gradio_client.exceptions import AppError
from PIL import Image

RED, WHITE = (220, 30, 30), (255, 255, 255)


# --- files a user might upload --------------------------------------------------------------


def text_renamed_png(path: Path) -> None:
    path.write_text("These are my holiday notes, not a picture.\n")


def truncated_jpeg(path: Path) -> None:
    buffer = io.BytesIO()
    drawn_face(size=96).save(buffer, "JPEG", quality=90)
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])  # the download broke off


def one_pixel(path: Path) -> None:
    Image.new("RGB", (1, 1), RED).save(path)


def thin_strip(path: Path) -> None:
    Image.new("RGB", (3000, 3), RED).save(path)


def decompression_bomb(path: Path, side: int = 20_000) -> None:
    """A 20000 x 20000 one-bit PNG of zeros: 50 kB on disk, 400 megapixels once decoded.

    Written chunk by chunk, so that making it costs no more memory than reading it should."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # bit depth 1, grayscale
    packer, row = zlib.compressobj(9), bytes(1 + side // 8)  # filter byte + packed bits
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def transparent_rgba(path: Path) -> None:
    """Transparent all round (black under the alpha), an opaque red square in the middle."""
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    image.paste((*RED, 255), (16, 16, 48, 48))
    image.save(path)


def gray_16_bit(path: Path) -> None:
    """A 16-bit ramp from black to white, row by row."""
    ramp = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    Image.fromarray(ramp).save(path)  # mode I;16, saved as a 16-bit grayscale PNG


def animated_gif(path: Path) -> None:
    red, blue = Image.new("RGB", (64, 64), RED), Image.new("RGB", (64, 64), (30, 30, 220))
    red.save(path, save_all=True, append_images=[blue], duration=100, loop=0)


def exif_rotated_jpeg(path: Path) -> None:
    """Stored with its left half red; EXIF orientation 6 (turn 90 degrees clockwise to view)
    puts the red half on top, as every photo viewer shows it."""
    stored = Image.new("RGB", (64, 64), WHITE)
    stored.paste(RED, (0, 0, 32, 64))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    stored.save(path, quality=95, exif=exif)


#: (file name, how to make it, what the message must say)
BAD_UPLOADS = [
    ("notes.png", text_renamed_png, r"notes\.png is not a readable image"),
    ("broken.jpg", truncated_jpeg, r"broken\.jpg is not a readable image .*truncated"),
    ("dot.png", one_pixel, r"1 x 1 pixels is too small"),
    ("strip.png", thin_strip, r"3000 x 3 pixels is too small"),
    ("bomb.png", decompression_bomb, r"bomb\.png: image too large"),
]


def observed(client: Client, path: Path) -> np.ndarray:
    """What the solver saw (as-is denoising: the upload itself, framed to 64 x 64), as RGB."""
    _, (seen, restored), *_ = restore(client, path)
    assert Image.open(restored["image"]).size == (64, 64)
    return np.asarray(Image.open(seen["image"]).convert("RGB"), dtype=np.int16)


def red_centre_on_white(pixels: np.ndarray) -> None:
    assert (pixels[:8, :8] == WHITE).all(), "transparent pixels are composited onto white"
    assert np.abs(pixels[24:40, 24:40] - RED).max() <= 2, "opaque pixels are kept"


def full_gray_ramp(pixels: np.ndarray) -> None:
    assert (pixels[..., 0] == pixels[..., 2]).all(), "gray stays gray"
    assert pixels[0, 0, 0] <= 2 and pixels[-1, -1, 0] >= 253, "16 bits scaled, not clipped"
    assert abs(pixels.mean() - 127.5) < 3, "a ramp averages mid-gray"


def first_frame(pixels: np.ndarray) -> None:
    assert np.abs(pixels - RED).max() <= 2, "the first frame (red), not the second (blue)"


def upright(pixels: np.ndarray) -> None:
    assert np.abs(pixels[:28] - RED).max() <= 12, "red on top, as the EXIF orientation says"
    assert np.abs(pixels[36:] - WHITE).max() <= 12, "white below"


#: (file name, how to make it, what the solver must see)
ODD_BUT_VALID_UPLOADS = [
    ("transparent.png", transparent_rgba, red_centre_on_white),
    ("gray16.png", gray_16_bit, full_gray_ramp),
    ("animated.gif", animated_gif, first_frame),
    ("photo.jpg", exif_rotated_jpeg, upright),
]

#: (setting, value, what the message must say): what the sliders prevent, sent through the API
#: in the default mode, where the demo's seeded corruption runs before the solver
BAD_SETTINGS = [
    ("iterations", 10**9, r"Iterations must be from 1 to 1000, got 1000000000\."),
    ("restarts", -1, r"Restarts must be from 1 to 16, got -1\."),
    ("seed", -5, r"Seed must be a whole number from 0 to 2\*\*63 - 1, got -5\."),
    (
        "seed",
        2**70,
        r"Seed must be a whole number from 0 to 2\*\*63 - 1, got 1180591620717411303424",
    ),
    ("seed", 1.5, r"Seed must be a whole number from 0 to 2\*\*63 - 1, got 1\.5\."),
    ("lam", -1, r"λ must be from 0 to 100, got -1\."),
    ("iterations", "many", r"Iterations must be a number, got 'many'\."),
    ("noise_sigma", 2, r"Noise σ must be from 0 to 0\.5, got 2\."),
    ("levels", 1, r"Levels must be 0 \(the photo's own\) or a whole number from 2 to 32, got 1\."),
    (
        "levels",
        4.5,
        r"Levels must be 0 \(the photo's own\) or a whole number from 2 to 32, got 4\.5",
    ),
]

#: The same for values JSON has no word for, which `gradio_client` refuses to send: written as
#: the JavaScript literals Python's json module reads (NaN, Infinity), as a hostile caller would.
BAD_RAW_SETTINGS = [
    ("lam", "NaN", r"λ must be from 0 to 100, got nan"),
    ("lam", "Infinity", r"λ must be from 0 to 100, got inf"),
    ("lam", "-Infinity", r"λ must be from 0 to 100, got -inf"),
    ("iterations", "NaN", r"Iterations must be from 1 to 1000, got nan"),
    ("restarts", "NaN", r"Restarts must be from 1 to 16, got nan"),
    ("noise_sigma", "NaN", r"Noise σ must be from 0 to 0\.5, got nan"),
]


# --- the app and how to call it --------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url(tiny_pipeline, tmp_path_factory):
    yield from serve(tiny_pipeline, tmp_path_factory.mktemp("examples"))


@pytest.fixture(scope="module")
def client(app_url, tmp_path_factory):
    return client_for(app_url, tmp_path_factory.mktemp("downloads"))


@pytest.fixture(scope="module")
def face_file(tmp_path_factory) -> Path:
    return face_upload(tmp_path_factory.mktemp("inputs"))


def restore(client: Client, path: Path, mode: str = "as-is", **settings) -> tuple:
    """One denoising request of the photo's centre as an aligned face; as-is, the upload reaches
    the solver unchanged (these uploads have no face to find)."""
    return restore_request(client, editor_value(path), "denoising", mode, "centre", **settings)


def raw_restore(app_url: str, path: Path, **raw_settings: str) -> tuple[str, dict]:
    """A request written by hand, settings as JSON source text; returns (event, its data)."""
    with httpx.Client(base_url=app_url, timeout=TIMEOUT_S) as http:
        with path.open("rb") as f:
            (server_path,) = http.post("gradio_api/upload", files={"files": (path.name, f)}).json()
        background = {
            "path": server_path,
            "orig_name": path.name,
            "meta": {"_type": "gradio.FileData"},
        }
        editor = json.dumps({"background": background, "layers": [], "composite": None})
        s = {name: json.dumps(value) for name, value in SETTINGS.items()} | raw_settings
        body = f'{{"data": [{editor}, "denoising", "as-is", "centre", {s["lam"]}, '
        body += f"{s['iterations']}, {s['restarts']}, {s['seed']}, {s['noise_sigma']}, "
        body += f"{s['levels']}]}}"
        response = http.post(
            "gradio_api/call/restore", content=body, headers={"content-type": "application/json"}
        )
        response.raise_for_status()
        stream = http.get(f"gradio_api/call/restore/{response.json()['event_id']}").text
    events = [block.split("\n") for block in stream.strip().split("\n\n")]
    event, data = events[-1][0].removeprefix("event: "), events[-1][1].removeprefix("data: ")
    return event, json.loads(data)


# --- the specification ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("button", ["upload", "restore"])
@pytest.mark.parametrize(("name", "make", "message"), BAD_UPLOADS, ids=[c[0] for c in BAD_UPLOADS])
def test_a_bad_upload_gets_a_message_naming_the_problem(
    client, tmp_path, name, make, message, button
):
    """Named when it is uploaded (the upload button), and when it reaches Restore another way
    (an API call, a pasted file)."""
    make(tmp_path / name)
    if button == "upload":  # a warning and a note; the editor keeps the photo it had
        _, shown = upload(client, tmp_path / name)
    else:
        with pytest.raises(AppError, match=message) as error:
            restore(client, tmp_path / name)
        shown = str(error.value)
    assert re.search(message, shown), shown
    for internal in ("gradio", "preprocess"):  # its cache folder, its component machinery
        assert internal not in shown.lower(), f"Gradio's internals: {shown}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "make", "check"), ODD_BUT_VALID_UPLOADS, ids=[c[0] for c in ODD_BUT_VALID_UPLOADS]
)
def test_an_odd_but_valid_upload_is_restored_as_a_user_expects(client, tmp_path, name, make, check):
    make(tmp_path / name)
    check(observed(client, tmp_path / name))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setting", "value", "message"), BAD_SETTINGS, ids=[f"{c[0]}={c[1]}" for c in BAD_SETTINGS]
)
def test_a_setting_out_of_range_is_refused(client, face_file, setting, value, message):
    with pytest.raises(AppError, match=message):
        restore(client, face_file, mode="corrupt", **{setting: value})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setting", "value", "message"),
    BAD_RAW_SETTINGS,
    ids=[f"{c[0]}={c[1]}" for c in BAD_RAW_SETTINGS],
)
def test_a_non_finite_setting_is_refused(app_url, face_file, setting, value, message):
    event, data = raw_restore(app_url, face_file, **{setting: value})
    assert event == "error", f"{setting}={value} was accepted: {data}"
    assert data["visible"], "the message is shown to the user"
    assert re.search(message, data["error"]), f"unclear message for {setting}={value}: {data}"


@pytest.mark.slow
def test_the_raw_request_helper_restores_a_good_request(app_url, face_file):
    """The hand-written request is right: with sound settings it is answered with images."""
    event, data = raw_restore(app_url, face_file)
    assert event == "complete", data
    assert len(data) == 7


@pytest.mark.slow
def test_after_all_of_that_the_app_still_serves(app_url, client, face_file, tmp_path):
    """The bad uploads and settings once more, back to back; then a normal request."""
    for name, make, _ in BAD_UPLOADS:
        make(tmp_path / name)
        with pytest.raises(AppError):
            restore(client, tmp_path / name)
    for setting, value, _ in BAD_SETTINGS:
        with pytest.raises(AppError):
            restore(client, face_file, mode="corrupt", **{setting: value})

    assert httpx.get(app_url, timeout=TIMEOUT_S).status_code == 200, "the page is served"
    (before, after), faces, files, summary, *_ = restore(client, face_file, "corrupt")
    assert Image.open(after).size == (64, 64), "a normal request is restored"
    assert summary.startswith("**Denoising** in")
