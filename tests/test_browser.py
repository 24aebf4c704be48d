"""The app in a real browser: headless Chromium, driven by Playwright, does what a person does.

On a 1366 x 768 laptop screen and a 390 x 844 phone: open the page, pick a task, upload a photo
with the upload button, press Restore, and find the result in view when it arrives. Also: a file
that is no image is named the moment it is uploaded, and switching task clears the results and
relabels the photo.

It runs around conftest's tiny pipeline (fast, no weights needed). With GANMAP_SCREENSHOT=path
set, it runs around the shipped weights instead (or those of GANMAP_MODEL, a folder or Hub repo
id, as app.py does) and saves the laptop-screen page there: that is how the README's screenshot
is made. Needs Debian's `chromium` package at /usr/bin/chromium (`make browser`); skipped
without it.
"""

import os
from pathlib import Path

import pytest
from app_helpers import example_files, serve
from PIL import Image

from ganmap import GENERIC, RestorationPipeline

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
TIMEOUT_MS = 60_000
LAPTOP, PHONE = (1366, 768), (390, 844)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (make browser)"),
]


@pytest.fixture(scope="module")
def pipe(request):
    if SCREENSHOT:
        return RestorationPipeline.from_pretrained(os.environ.get("GANMAP_MODEL") or None)
    tiny = request.getfixturevalue("tiny_pipeline")
    own = {"colorization": GENERIC.update(iterations=7)}  # a task whose defaults differ
    return RestorationPipeline(tiny.generator, tiny.discriminator, defaults=own)


@pytest.fixture(scope="module")
def app_url(pipe, tmp_path_factory):
    yield from serve(pipe, tmp_path_factory.mktemp("examples"))


@pytest.fixture(scope="module")
def photos(pipe, tmp_path_factory) -> dict[str, Path]:
    """The examples' photos as files a person would pick (the same as the app's examples)."""
    return example_files(pipe, tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, url: str, viewport: tuple[int, int]):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page


def choose_file(page, path: Path) -> None:
    """Press the upload button and pick `path` in the file chooser, as a person does."""
    with page.expect_file_chooser() as chooser:
        page.locator("#upload").click()
    chooser.value.set_files(str(path))


def in_view(page, selector: str) -> bool:
    """Whether the element's top edge, and some of it, is inside the window."""
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and 0 <= box["y"] < height - 40


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_upload_restore_and_see_the_result(browser, app_url, photos, pipe, tmp_path, viewport):
    from playwright.sync_api import expect

    page = open_page(browser, app_url, viewport)
    try:
        if viewport == LAPTOP:  # everything a first run needs, without scrolling
            for selector in ("#task", "#upload", "#image", "#run", "#comparison"):
                assert in_view(page, selector), f"{selector} is below the fold"
        page.locator("#task").get_by_label("Denoising", exact=True).check()
        expect(page.locator("#image")).to_contain_text("Photo (noisy)")
        choose_file(page, photos["astronaut-noisy"])
        expect(page.locator("#upload-note")).to_contain_text("astronaut-noisy.png: 512 × 512")

        page.locator("#run").click()
        expect(page.locator("#summary")).to_contain_text("1 face found and restored")
        expect(page.locator("#comparison img").first).to_be_visible()
        page.wait_for_function(  # the result is scrolled into view once it arrives
            "() => { const r = document.getElementById('comparison').getBoundingClientRect();"
            " return r.top >= 0 && r.top < window.innerHeight / 2; }"
        )
        if viewport == LAPTOP:
            assert in_view(page, "#run"), "Restore stays in view beside the result"
        natural = page.locator("#comparison img").first.evaluate("img => img.naturalWidth")
        assert natural == 512, "the whole photo, at full size"
        expect(page.locator("#faces img")).to_have_count(2)
        links = page.locator("#downloads a")
        expect(links).to_have_count(2)
        assert links.first.get_attribute("href").endswith("/restored-denoising.png")

        page.locator("#task").get_by_label("Colorization", exact=True).check()
        expect(page.locator("#summary")).to_contain_text("the previous results were cleared")
        expect(page.locator("#image")).to_contain_text("Photo (gray)")
        expect(page.locator("#comparison img")).to_have_count(0)
        page.locator("#run").click()  # the same photo, restored for the new task
        expect(page.locator("#summary")).to_contain_text("Colorization")
        expect(page.locator("#summary")).to_contain_text("at most 7 iterations")  # its defaults
        page.screenshot(path=str(tmp_path / f"{viewport[0]}x{viewport[1]}.png"))
    finally:
        page.close()


def test_a_file_that_is_no_image_is_named_when_uploaded(browser, app_url, photos, tmp_path):
    """Named in a warning and in the note at once; the photo already there stays."""
    from playwright.sync_api import expect

    notes = tmp_path / "notes.png"
    notes.write_text("These are my holiday notes, not a picture.\n")
    message = "Cannot use notes.png: notes.png is not a readable image"
    page = open_page(browser, app_url, LAPTOP)
    try:
        choose_file(page, notes)
        expect(page.locator("#upload-note")).to_contain_text(message)
        expect(page.locator(".toast-body").filter(has_text=message)).to_be_visible()
        expect(page.locator("#image")).to_contain_text("Upload a photo with the button above")

        choose_file(page, photos["astronaut-gray"])
        expect(page.locator("#upload-note")).to_contain_text("astronaut-gray.png: 512 × 512")
        choose_file(page, notes)
        expect(page.locator("#upload-note")).to_contain_text(message)
        expect(page.locator("#image")).not_to_contain_text("Upload a photo with the button")
    finally:
        page.close()


def test_no_face_offers_the_centre_framing(browser, app_url, tmp_path):
    from playwright.sync_api import expect

    sky = tmp_path / "sky.png"
    Image.new("RGB", (300, 200), (90, 120, 200)).save(sky)
    page = open_page(browser, app_url, LAPTOP)
    try:
        page.locator("#task").get_by_label("Denoising", exact=True).check()
        choose_file(page, sky)
        expect(page.locator("#upload-note")).to_contain_text("sky.png")
        page.locator("#run").click()
        expect(page.locator("#summary")).to_contain_text("No face found")
        page.locator("#fallback").click()
        expect(page.locator("#summary")).to_contain_text("restored as one aligned face")
        expect(page.locator("#fallback")).to_be_hidden()
        page.locator("#advanced").get_by_text("Advanced").click()  # the setting it changed
        expect(page.get_by_label("The centre is one aligned face")).to_be_checked()
    finally:
        page.close()


def test_the_noise_level_can_be_set_under_advanced(browser, app_url, photos):
    """Shown for the task it belongs to (noise sigma for denoising, levels for quantization), and
    used instead of the photo's own, as the summary says."""
    from playwright.sync_api import expect

    page = open_page(browser, app_url, LAPTOP)
    try:
        page.locator("#advanced").get_by_text("Advanced").click()
        expect(page.locator("#noise-sigma")).to_be_hidden()
        page.locator("#task").get_by_label("Denoising", exact=True).check()
        expect(page.locator("#noise-sigma")).to_be_visible()
        expect(page.locator("#levels")).to_be_hidden()
        page.locator("#noise-sigma input[type=number]").fill("0.2")
        page.locator("#noise-sigma input[type=number]").press("Enter")
        choose_file(page, photos["astronaut-noisy"])
        expect(page.locator("#upload-note")).to_contain_text("astronaut-noisy.png")
        page.locator("#run").click()
        expect(page.locator("#summary")).to_contain_text(
            "Restored at σ = 0.2, as set under Advanced"
        )
        page.locator("#task").get_by_label("Quantization", exact=True).check()
        expect(page.locator("#levels")).to_be_visible()
        expect(page.locator("#noise-sigma")).to_be_hidden()
    finally:
        page.close()


@pytest.mark.skipif(not SCREENSHOT, reason="set GANMAP_SCREENSHOT=path to make the README's")
def test_readme_screenshot(browser, app_url):
    """The README's picture: a laptop screen, the scratched group photo (the inpainting example,
    its scratches painted over) restored."""
    from playwright.sync_api import expect

    page = open_page(browser, app_url, LAPTOP)
    try:
        page.locator("tr.tr-body").nth(1).click()  # the examples table, as in demo.examples
        expect(page.locator("#task input[value=inpainting]")).to_be_checked()
        expect(page.locator("#image")).not_to_contain_text("Upload a photo with the button")
        page.wait_for_timeout(2000)  # the painted layer is drawn after the photo
        page.locator("#run").click()
        expect(page.locator("#summary")).to_contain_text("3 faces found and restored")
        page.wait_for_timeout(1000)  # the slider's images fade in
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=SCREENSHOT)
        assert Path(SCREENSHOT).stat().st_size > 10_000
    finally:
        page.close()
