"""The app in a real browser: headless Chromium, driven by Playwright, does what a user does.

Open the page, pick a task, upload an image into the editor, set λ, the iterations and (under
Advanced) the restarts, press Restore, wait for the restoration, and keep a screenshot.

It runs around conftest's tiny pipeline (fast, no weights needed). With GANMAP_SCREENSHOT=path
set, it runs around the shipped weights instead (or those of GANMAP_MODEL, a folder or Hub repo
id, as app.py does), with the pipeline's default iterations, and saves the screenshot there too:
that is how the README's screenshot is made. Needs Debian's `chromium` package at
/usr/bin/chromium; skipped without it.
"""

import os
import re
from pathlib import Path

import pytest
from app_helpers import serve

from demo.examples import drawn_face

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and no connection of Chromium's own (refused on the test machines anyway).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = os.environ.get("GANMAP_SCREENSHOT")
TIMEOUT_MS = 45_000


@pytest.fixture(scope="module")
def pipe(request):
    if SCREENSHOT:
        from ganmap import RestorationPipeline

        return RestorationPipeline.from_pretrained(os.environ.get("GANMAP_MODEL") or None)
    return request.getfixturevalue("tiny_pipeline")


@pytest.fixture(scope="module")
def app_url(pipe, tmp_path_factory):
    yield from serve(pipe, tmp_path_factory.mktemp("examples"))


def set_number(page, elem_id: str, value: float, attempts: int = 3) -> None:
    """Type into a slider's number box and commit it, as a user would; checked on the slider
    itself and retried, since a box typed into while it is still mounting can be reset."""
    from playwright.sync_api import expect

    box = page.locator(f"#{elem_id} input[type=number]")
    slider = page.locator(f"#{elem_id} input[type=range]")
    expect(box).to_be_visible()
    for _ in range(attempts):
        box.fill(f"{value:g}")
        box.press("Enter")
        try:
            expect(slider).to_have_value(f"{value:g}", timeout=5_000)
            return
        except AssertionError:
            continue
    raise AssertionError(f"slider {elem_id} did not take the value {value}")


def upload(page, image: Path, attempts: int = 3) -> None:
    """Give the editor an image through its file input; retried, since a file chosen while the
    page is still wiring up its components can be dropped (seen on a loaded 2-core machine)."""
    placeholder = page.locator("#image").get_by_text("Upload an image")
    for _ in range(attempts):
        page.locator("#image input[type=file]").set_input_files(image)
        try:
            placeholder.wait_for(state="hidden", timeout=10_000)
            return
        except Exception:  # playwright's TimeoutError: try again
            continue
    raise AssertionError(f"the editor did not take the image after {attempts} uploads")


@pytest.mark.slow
def test_restore_in_the_browser(pipe, app_url, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    face = tmp_path / "face.png"  # a face of the prior for the README, else a drawn one
    (pipe.generate(1, seed=3)[0] if SCREENSHOT else drawn_face(192)).save(face)
    lam = 0.01  # the discriminator prior on (the defaults have it off): the slider at work
    iterations = pipe.defaults("inpainting").iterations if SCREENSHOT else 30
    restarts = 4

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page.goto(app_url)
            page.wait_for_load_state("networkidle")

            page.locator("#task").get_by_label("Inpainting").check()
            upload(page, face)
            set_number(page, "lam", lam)
            set_number(page, "iterations", iterations)
            page.get_by_text("Advanced").click()
            set_number(page, "restarts", restarts)
            page.locator("#run").click()

            summary = page.locator("#summary")
            expect(summary).to_contain_text("best objective", timeout=TIMEOUT_MS)
            expect(summary).to_contain_text(f"{restarts} restart(s) × {iterations} iterations")
            restored = page.locator("#restoration img")
            expect(restored).to_be_visible()
            assert restored.evaluate("img => img.naturalWidth") == 64
            assert page.locator("#observation img").evaluate("img => img.naturalWidth") == 64
            expect(page.locator("#candidates img")).to_have_count(restarts)
            expect(page.locator("#curve")).not_to_contain_text(re.compile("error", re.I))

            page.get_by_text("Advanced").click()  # closed again, for a tidy picture
            page.evaluate("window.scrollTo(0, 0)")
            shots = [tmp_path / "app.png"] + ([Path(SCREENSHOT)] if SCREENSHOT else [])
            for shot in shots:
                page.screenshot(path=str(shot))
                assert shot.stat().st_size > 10_000
        finally:
            browser.close()
