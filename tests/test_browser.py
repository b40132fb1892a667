"""The report and the web page in a real browser: Debian's Chromium, headless, driven by Playwright.

What is checked is what a reader sees: coloured highlights, stacked underlines where spans
overlap, the tooltip on hover and on keyboard focus, the legend filter, the score slider, the
phone layout, and that hostile article text never runs. Screenshots go to the test's temp folder.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from propscope import techniques
from propscope.article import Analysis, Article, Span
from propscope.config import Settings
from propscope.detect.model import Detector
from propscope.report.html import render_report
from propscope.server.app import create_app
from tests.conftest import REPO
from tests.test_report import PAYLOADS, crossing_analysis

CHROMIUM = Path(os.environ.get("PROPSCOPE_CHROMIUM", "/usr/bin/chromium"))
# Flags for a root user on a machine without network: no sandbox, no GPU, no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
EDITORIAL = (REPO / "examples" / "editorial.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        message = f"Chromium not found at {CHROMIUM}; install Debian's chromium package (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.problems = []
    tab.on("pageerror", lambda error: tab.problems.append(str(error)))
    tab.on("dialog", lambda dialog: (tab.problems.append("dialog: " + dialog.message), dialog.dismiss()))
    yield tab
    context.close()


def open_report(page: Any, tmp_path: Path, analyses: list[Analysis]) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_report(analyses), encoding="utf-8")
    page.goto(report.as_uri())


def style(locator: Any, prop: str) -> str:
    return str(locator.evaluate(f"element => getComputedStyle(element).{prop}"))


def test_report_highlights_tooltips_legend_and_slider(page: Any, tmp_path: Path) -> None:
    open_report(page, tmp_path, [crossing_analysis()])
    name_calling = page.locator('.ps-mark[data-technique="Name_Calling,Labeling"]')
    loaded = page.locator('.ps-mark[data-technique="Loaded_Language"]')
    doubt = page.locator('.ps-mark[data-technique="Doubt"]')
    # highlights in the technique's colour; nested spans draw their underlines at different depths
    assert style(name_calling, "borderBottomColor") == "rgb(44, 160, 44)"
    assert style(loaded, "borderBottomColor") == "rgb(255, 127, 14)"
    assert style(name_calling, "paddingBottom") == "1px"
    assert style(loaded, "paddingBottom") == "5px"
    assert doubt.count() == 2  # crossing span drawn in two pieces
    page.screenshot(path=str(tmp_path / "report.png"))

    # hover: every technique under the pointer, with definition and score
    loaded.hover()
    tip = page.locator("#ps-tip")
    assert tip.is_visible()
    titles = tip.locator(".ps-tip-title").all_inner_texts()
    assert titles == ["Loaded language score 0.60", "Name calling or labelling score 0.80"]
    assert "emotional weight" in tip.inner_text()
    page.screenshot(path=str(tmp_path / "report-tooltip.png"))

    # keyboard: Tab reaches the first highlight and shows its tooltip; Escape hides it
    page.locator("body").click(position={"x": 5, "y": 5})
    page.mouse.move(1, 1)
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('ps-mark')"):
            break
    assert page.evaluate("document.activeElement.dataset.technique") == "Name_Calling,Labeling"
    assert tip.is_visible()
    assert tip.locator(".ps-tip-title").all_inner_texts() == ["Name calling or labelling score 0.80"]
    page.keyboard.press("Escape")
    assert not tip.is_visible()

    # legend: clicking a technique hides its highlights and passages
    button = page.locator('.ps-legend-item[data-technique="Loaded_Language"]')
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert style(loaded, "backgroundColor") == "rgba(0, 0, 0, 0)"
    assert not page.locator('[data-span-row][data-technique="Loaded_Language"]').is_visible()
    assert style(name_calling, "borderBottomColor") == "rgb(44, 160, 44)"
    button.click()
    assert style(loaded, "borderBottomColor") == "rgb(255, 127, 14)"

    # slider: hiding scores below 0.5 removes the doubt span (0.30) and updates the counts
    page.locator("#ps-threshold").fill("0.5")
    assert page.locator("#ps-threshold-value").inner_text() == "0.50"
    assert style(doubt.first, "borderBottomColor") == "rgba(0, 0, 0, 0)"
    assert page.locator('.ps-legend-item[data-technique="Doubt"] .ps-count').inner_text() == "0"
    assert page.locator('.ps-legend-item[data-technique="Loaded_Language"] .ps-count').inner_text() == "1"
    doubt.first.hover()
    assert [t for t in tip.locator(".ps-tip-title").all_inner_texts() if t.startswith("Doubt")] == []
    page.screenshot(path=str(tmp_path / "report-filtered.png"), full_page=True)
    assert page.problems == []
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_report_fits_a_phone_and_prints(page: Any, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    long_word = "Unbelievably" * 12
    analysis = crossing_analysis(text="The corrupt elites lied again. " + long_word)
    open_report(page, tmp_path, [analysis])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator(".ps-slider").is_visible()
    assert page.locator(".ps-passages").is_visible()


def test_hostile_text_is_shown_not_run(page: Any, tmp_path: Path) -> None:
    text = "\n".join(PAYLOADS) + "\nplain words"
    analysis = Analysis(
        Article(id=PAYLOADS[1], text=text, title=PAYLOADS[0], source=PAYLOADS[2], url="javascript:window.__pwned=1"),
        (Span(0, len(PAYLOADS[0]), "Loaded_Language", 0.9), Span(len(PAYLOADS[0]) + 1, len(text), "Doubt", 0.5)),
        model_id="m",
    )
    no_techniques = Analysis(Article(id="calm", text=text, title=PAYLOADS[1], author=PAYLOADS[2]), (), model_id="m")
    open_report(page, tmp_path, [analysis, no_techniques])
    page.locator(".ps-mark").first.hover()
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("img, svg").count() == 0
    assert page.locator("h2").all_inner_texts() == ["Articles", PAYLOADS[0], PAYLOADS[1]]
    assert [PAYLOADS[1] in text for text in page.locator(".ps-text").all_inner_texts()] == [True, True]
    assert page.problems == []


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    import uvicorn

    app = create_app(Settings(), detector=Detector.load(spin=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_web_page_pastes_analyses_and_offers_the_report(page: Any, server_url: str, tmp_path: Path) -> None:
    page.goto(server_url + "/")
    page.locator("#text").fill(EDITORIAL)
    page.locator("#title").fill('Harbour <img src=x onerror="window.__pwned=1">')
    page.locator("#analyse").click()
    frame = page.frame_locator("#report")
    marks = frame.locator(".ps-mark[tabindex]")
    marks.first.wait_for(timeout=30_000)
    assert page.locator("#status").inner_text().startswith("Done.")
    expected = Detector.load().analyze(EDITORIAL)
    assert marks.count() == len(expected.spans)  # one tab stop per span the library finds
    assert frame.locator("h2").first.inner_text() == 'Harbour <img src=x onerror="window.__pwned=1">'
    first = expected.spans[0]
    shown = frame.locator(f'.ps-mark[data-technique="{first.technique}"]').first
    assert shown.inner_text() == expected.text_of(first)
    shown.hover()
    assert frame.locator("#ps-tip").is_visible()
    title = techniques.describe(first.technique).title
    assert frame.locator(".ps-tip-title").first.inner_text().startswith(f"{title} score ")
    page.screenshot(path=str(tmp_path / "web-page.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("#download").click()
    saved = tmp_path / "downloaded.html"
    download_info.value.save_as(saved)
    assert saved.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "spineless bureaucrats" in saved.read_text(encoding="utf-8")
    assert page.evaluate("window.__pwned === undefined")
    assert page.problems == []


def test_web_page_uploads_html_and_explains_refusals(page: Any, server_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(server_url + "/")
    page.locator("#analyse").click()
    assert page.locator("#status").inner_text() == "Paste a text, choose a file or give a URL first."
    page.locator("#url").fill("http://169.254.169.254/latest/meta-data/")
    page.locator("#analyse").click()
    # expect() polls through Playwright's own selector engine; a string predicate
    # (wait_for_function) is eval'ed in the page, which the page's CSP rightly refuses
    status = page.locator("#status")
    expect(status).to_have_class("error", timeout=30_000)
    expect(status).to_contain_text("refused")
    assert "169.254.169.254 is a link-local address" in page.locator("#status").inner_text()

    upload = tmp_path / "harbour.html"
    paragraphs = "".join(f"<p>{line}</p>" for line in EDITORIAL.splitlines() if line.strip())
    upload.write_text(f"<html><head><title>Uploaded</title></head><body><article>{paragraphs}</article></body></html>")
    page.locator("#url").fill("")
    page.locator("#file").set_input_files(str(upload))
    page.locator("#analyse").click()
    frame = page.frame_locator("#report")
    frame.locator(".ps-mark").first.wait_for(timeout=30_000)
    assert frame.locator("h2").first.inner_text() == "Uploaded"
    assert page.problems == []


def test_dashboard_draws_its_charts_offline(page: Any, tmp_path: Path) -> None:
    from tests.conftest import run_cli
    from tests.corpus_data import corpus_records, write_jsonl

    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    assert run_cli("batch", str(write_jsonl(tmp_path / "c.jsonl", corpus_records(6))), "--db", url).returncode == 0
    out = tmp_path / "dashboard.html"
    assert run_cli("dashboard", "--db", url, "-o", str(out)).returncode == 0
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else route.continue_())
    page.goto(out.as_uri())
    assert page.locator(".js-plotly-plot").count() == 4
    outlets = page.locator(".js-plotly-plot").first.locator(".xtick text").all_text_contents()
    assert outlets == ["Calm Times", "Harbour Herald"]
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    page.locator("table a").first.click()
    assert page.locator(".ps-mark").count() > 0
    assert page.problems == []
