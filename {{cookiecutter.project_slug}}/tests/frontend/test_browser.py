"""The page in a real headless Chromium against the real API and a tiny trained model: labels as the
API answers them, errors in plain words with the API's code, a queue of several images, keyboard
use, and the accessibility rules axe-core checks. Screenshots and timings land in the session's
artefacts folder (printed; run with -s to see it)."""

import json
import statistics
import time
from pathlib import Path

import httpx
import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    pytest.fail("playwright is not installed: pip install -e '.[dev]'", pytrace=False)

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
NOT_AN_IMAGE = "This file is not an image the model can read."
AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def images(demo_data, tmp_path_factory) -> list[Path]:
    """One validation image per shape, under names that tell them apart on the page."""
    folder = tmp_path_factory.mktemp("uploads")
    copies = []
    for shape in ("circle", "square", "triangle"):
        copy = folder / f"{shape}.jpg"
        copy.write_bytes(sorted((demo_data / "val" / shape).glob("*.jpg"))[0].read_bytes())
        copies.append(copy)
    return copies


def api_answer(base_url: str, path: Path, content_type: str = "image/jpeg") -> httpx.Response:
    files = {"file": (path.name, path.read_bytes(), content_type)}
    return httpx.post(f"{base_url}/v1/predict", files=files, timeout=60)


def open_page(page, base_url: str):
    page.goto(base_url)
    expect(page.get_by_test_id("model-info")).to_contain_text("running on cpu")
    return page.get_by_label("Choose images")


def result_of(page, name: str):
    return page.get_by_role("region", name=name)


def shown_labels(result) -> list[tuple[str, str]]:
    return list(
        zip(
            result.locator(".ds-bar__label").all_text_contents(),
            result.locator(".ds-bar__value").all_text_contents(),
            strict=True,
        )
    )


def run_axe(page) -> list[dict]:
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (a script tag would be refused).
    page.evaluate(AXE.read_text() + "\n;true")
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [{"id": v["id"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"]]} for v in found["violations"]]


def test_the_page_shows_the_model_the_api_reports(page, page_server):
    ready = httpx.get(f"{page_server}/ready").json()
    open_page(page, page_server)
    model = f"{ready['model']['name']} version {ready['model']['version']}"
    expected = f"Model: {model}, running on {ready['device']}, knows {len(ready['classes'])} labels."
    expect(page.get_by_test_id("model-info")).to_have_text(expected)


def test_an_uploaded_image_shows_its_preview_and_the_labels_the_api_answers(page, page_server, images, artefacts):
    answer = api_answer(page_server, images[0]).json()["predictions"]
    timings = []
    for _ in range(3):
        picker = open_page(page, page_server)
        started = time.perf_counter()
        picker.set_input_files(images[0])
        result = result_of(page, images[0].name)
        expect(result).to_have_attribute("data-status", "done")
        timings.append((time.perf_counter() - started) * 1000)
    assert shown_labels(result) == [(p["label"], f"{p['probability'] * 100:.1f}%") for p in answer]
    expect(result.get_by_role("img", name=f"Preview of {images[0].name}")).to_be_visible()
    expect(result).to_contain_text("by the primary model")
    page.screenshot(path=artefacts / "labels.png", full_page=True)
    measured = {"upload_to_labels_ms": {"median": statistics.median(timings), "all": timings}}
    (artefacts / "upload_to_labels.json").write_text(json.dumps(measured, indent=2))
    median = statistics.median(timings)
    print(f"upload to labels shown: median {median:.0f} ms of {len(timings)}; artefacts in {artefacts}")


def test_a_file_that_is_not_an_image_gets_plain_words_and_the_apis_error_code(page, page_server, tmp_path, artefacts):
    notes = tmp_path / "notes.txt"
    notes.write_text("words, not pixels")
    code = api_answer(page_server, notes, "text/plain").json()["code"]
    open_page(page, page_server).set_input_files(notes)
    result = result_of(page, "notes.txt")
    expect(result).to_have_attribute("data-status", "failed")
    alert = result.get_by_role("alert")
    expect(alert).to_contain_text(NOT_AN_IMAGE)
    expect(alert.locator("code")).to_have_text(code)
    expect(result.get_by_text("No preview")).to_be_visible()
    page.screenshot(path=artefacts / "not_an_image.png", full_page=True)


def test_a_file_over_the_servers_limit_is_called_too_large(page, page_server, tmp_path):
    big = tmp_path / "huge.jpg"
    big.write_bytes(b"\xff\xd8\xff" + bytes(300_000))  # the page server allows 200 kB (conftest.py)
    open_page(page, page_server).set_input_files(big)
    result = result_of(page, "huge.jpg")
    expect(result).to_have_attribute("data-status", "failed")
    expect(result.get_by_role("alert")).to_contain_text("This file is too large.")
    expect(result.get_by_role("alert").locator("code")).to_have_text("upload_too_large")


def test_several_images_are_queued_sent_one_at_a_time_and_each_gets_its_own_labels(page, page_server, images):
    answers = {path.name: api_answer(page_server, path).json()["predictions"][0]["label"] for path in images}
    in_flight, most = set(), []

    def sent(request):
        if "/v1/predict" in request.url:
            in_flight.add(request)
            most.append(len(in_flight))

    def finished(request):
        in_flight.discard(request)

    page.on("request", sent)
    page.on("requestfinished", finished)
    page.on("requestfailed", finished)
    open_page(page, page_server).set_input_files(images)
    expect(page.locator("section.result")).to_have_count(len(images))
    for path in images:
        result = result_of(page, path.name)
        expect(result).to_have_attribute("data-status", "done")
        assert shown_labels(result)[0][0] == answers[path.name]
    assert most == [1, 1, 1]


def test_an_image_can_be_picked_with_the_keyboard_alone(page, page_server, images):
    """Tab reaches a native, labelled file input, whose chooser the browser opens on Enter or Space.
    Whether headless Chromium reports that chooser to Playwright varies from run to run, so the file
    is then given to the focused input itself: what the page owns is reaching it and handling it."""
    open_page(page, page_server)
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.type, document.activeElement.labels[0].textContent]")
    assert focused == ["file", "Choose images"]
    page.locator("input[type=file]:focus").set_input_files(images[1])
    expect(result_of(page, images[1].name)).to_have_attribute("data-status", "done")


def test_the_page_says_when_the_api_is_down_and_recovers_when_it_is_back(page, page_server, images):
    page.route("**/ready", lambda route: route.abort("connectionrefused"))
    page.goto(page_server)
    expect(page.get_by_role("alert")).to_contain_text("The API is down or cannot be reached.")
    expect(page.get_by_role("alert").locator("code")).to_have_text("api_unreachable")
    page.unroute("**/ready")
    page.get_by_role("button", name="Ask the API again").click()
    expect(page.get_by_test_id("model-info")).to_contain_text("running on cpu")

    page.route("**/v1/predict*", lambda route: route.abort("connectionrefused"))
    page.get_by_label("Choose images").set_input_files(images[0])
    expect(result_of(page, images[0].name).get_by_role("alert")).to_contain_text(
        "The API is down or cannot be reached."
    )


def test_the_page_passes_axe_and_its_bars_stand_out_from_their_track(page, page_server, images, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("words, not pixels")
    open_page(page, page_server).set_input_files([images[0], notes])
    expect(result_of(page, images[0].name)).to_have_attribute("data-status", "done")
    expect(result_of(page, "notes.txt")).to_have_attribute("data-status", "failed")

    assert run_axe(page) == []
    # WCAG 1.4.11 asks 3:1 for the parts of a graphic needed to read it: the fill against its track
    # and against the card. axe-core's own colour maths measures it (its rules check text only).
    ratios = page.evaluate(
        """() => {
            const {Color, getContrast} = axe.commons.color;
            const color = (element) => {
                const parsed = new Color();
                parsed.parseString(getComputedStyle(element).backgroundColor);
                return parsed;
            };
            const fill = document.querySelector('.ds-bar__fill');
            const track = fill.parentElement;
            const card = track.closest('.ds-card');
            return [getContrast(color(track), color(fill)), getContrast(color(card), color(fill))];
        }"""
    )
    assert min(ratios) >= 3, f"bar fill contrast {ratios}"
