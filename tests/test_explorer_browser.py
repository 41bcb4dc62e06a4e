"""explorer.html in a real browser: Debian's Chromium driven by Playwright, as a reader would use the page.

Playwright is pointed at /usr/bin/chromium and never downloads a browser. axe-core (from the npm
registry, fetched once with `npm pack` into pytest's cache) is inlined into a copy of the page made for
the accessibility test only; the product never carries it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

import test_escaping
from conftest import PRINCIPLES_YAML, REPO, source_yaml, write_review
from crm_review.model import Review
from crm_review.pipeline import load_valid_review, synthesize

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE_VERSION = "4.14.1"
pytestmark = pytest.mark.browser

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("chromium is not installed (.ci/run installs it for CI)", allow_module_level=True)

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One headless Chromium with a new, empty profile for the module."""
    assert CHROMIUM is not None, "chromium is missing: .ci/run should have installed it"
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    """A new tab that fails the test on any script error or console error."""
    tab = browser.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    tab.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    yield tab
    tab.close()
    assert problems == []


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Review]:
    """The bundled review's explorer, written fresh, with the review it shows."""
    out = tmp_path_factory.mktemp("explorer")
    synthesize(REPO, out, formats=("explorer",))
    return out / "explorer.html", load_valid_review(REPO)


def open_page(page: Page, path: Path, fragment: str = "") -> None:
    page.goto(path.as_uri() + fragment)
    page.wait_for_selector("html[data-ready]")


def shown_ids(page: Page) -> list[str]:
    # textContent, not innerText: cards below the fold skip layout (content-visibility), so have no innerText.
    return [text.removeprefix("CMOC ") for text in page.locator("#results .card h3").all_text_contents()]


def folded(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch)).lower()


def cmoc_text(review: Review) -> dict[str, str]:
    """What the search reads of each CMOC, folded as the page folds it."""
    texts = {}
    for _, c in review.cmocs():
        parts = [c.context, c.mechanism.resource, c.mechanism.response, c.outcome, c.notes or ""]
        parts += [part for q in c.evidence for part in (q.quote, q.locator)]
        texts[c.id] = folded("\n".join(parts))
    return texts


def test_first_view_lists_the_cmocs_and_counts_each_principle(page: Page, bundled: tuple[Path, Review]) -> None:
    """On opening: every CMOC counted, the first ones listed, and per principle its CMOCs by relation."""
    path, review = bundled
    open_page(page, path)
    total = len(review.cmocs())
    expect(page.locator("#status")).to_have_text(f"{total} CMOCs match (of {total}, from 3 sources).")
    assert len(shown_ids(page)) == min(total, 25)
    rows = page.locator("#counts tbody tr")
    assert rows.count() == len(review.principles)
    for row, principle in zip(rows.all(), review.principles, strict=True):
        linked = sum(1 for _, c in review.cmocs() if principle.id in c.principle_ids())
        assert row.locator("th").inner_text() == principle.title
        assert row.locator("td").last.inner_text() == str(linked)


def test_search_narrows_the_list_and_survives_a_reload(page: Page, bundled: tuple[Path, Review]) -> None:
    """Typed words must all occur; the search is in the URL, and a reload shows the same CMOCs."""
    path, review = bundled
    open_page(page, path)
    page.locator("#q").click()
    page.keyboard.type("community workers")
    expected = [i for i, text in cmoc_text(review).items() if "community" in text and "workers" in text]
    assert 0 < len(expected) < len(review.cmocs())
    expect(page.locator("#status")).to_contain_text(f"{len(expected)} CMOC")
    assert sorted(shown_ids(page)) == sorted(expected)
    assert page.url.endswith("#q=community%20workers")
    page.reload()
    page.wait_for_selector("html[data-ready]")
    assert page.locator("#q").input_value() == "community workers"
    assert sorted(shown_ids(page)) == sorted(expected)


def test_filters_combine_live_in_the_url_and_go_back(page: Page, bundled: tuple[Path, Review]) -> None:
    """Principle and country filters combine, the URL says so, a reload keeps them and Back undoes one."""
    path, review = bundled
    open_page(page, path)
    principle = review.principles[7]
    page.select_option("#f-principle", principle.id)
    expect(page.locator("#focus")).to_contain_text(principle.statement)
    by_principle = [c.id for s, c in review.cmocs() if principle.id in c.principle_ids()]
    assert sorted(shown_ids(page)) == sorted(by_principle)
    page.select_option("#f-country", "Chile")
    both = [c.id for s, c in review.cmocs() if principle.id in c.principle_ids() and "Chile" in s.countries]
    expect(page.locator("#status")).to_contain_text(f"{len(both)} CMOC")
    assert page.url.endswith(f"#principle={principle.id}&country=Chile")
    expect(page.locator("#summary")).to_have_text(f"Showing CMOCs with principle: {principle.title}; country: Chile.")
    assert sorted(shown_ids(page)) == sorted(both) and len(both) < len(by_principle)
    assert page.locator("#counts tr[aria-current=true] th").inner_text() == f"{principle.title} (chosen)"
    page.reload()
    page.wait_for_selector("html[data-ready]")
    assert page.locator("#f-country").input_value() == "Chile"
    assert page.locator("#f-principle").input_value() == principle.id
    assert sorted(shown_ids(page)) == sorted(both)
    page.go_back()
    expect(page.locator("#f-country")).to_have_value("")
    assert sorted(shown_ids(page)) == sorted(by_principle)


def test_links_lead_from_a_cmoc_to_its_source_and_principles(page: Page, bundled: tuple[Path, Review]) -> None:
    """A CMOC opens whole with quotes, locators and reference; its source and principles are one click on."""
    path, review = bundled
    open_page(page, path)
    source, cmoc = next((s, c) for s, c in review.cmocs() if s.id == "montenegro-2020")
    page.select_option("#f-source", source.id)
    page.locator("#results .card h3 a").first.click()
    detail = page.locator("#detail")
    expect(detail.locator("h2")).to_have_text(f"CMOC {cmoc.id}")
    expect(detail.locator("h2")).to_be_focused()
    assert detail.locator("blockquote").all_inner_texts() == [q.quote for q in cmoc.evidence]
    assert all(
        q.locator in text for q, text in zip(cmoc.evidence, detail.locator(".locator").all_inner_texts(), strict=True)
    )
    assert source.title in detail.locator(".reference").inner_text()
    assert detail.locator(".reference a").get_attribute("href") == f"https://doi.org/{source.doi}"
    assert page.url.endswith(f"#source={source.id}&cmoc={cmoc.id}")
    detail.get_by_role("link", name=f"Source: {source.short_authors()} ({source.year})").click()
    expect(page.locator("#focus h2")).to_have_text(f"Source: {source.short_authors()} ({source.year})")
    assert page.url.endswith(f"#source={source.id}") and detail.is_hidden()
    assert sorted(shown_ids(page)) == sorted(c.id for c in source.cmocs)
    first_principle = next(p for p in review.principles if p.id == cmoc.principle_ids()[0])
    page.locator("#results .card").first.get_by_role("link", name=first_principle.title).click()
    expect(page.locator("#focus h2")).to_have_text(f"Principle: {first_principle.title}")
    assert page.url.endswith(f"#principle={first_principle.id}")


def test_keyboard_reaches_every_control_with_a_visible_focus(page: Page, bundled: tuple[Path, Review]) -> None:
    """Tab walks the search box and every filter, each showing a focus outline; arrow keys choose a filter."""
    path, _ = bundled
    open_page(page, path)
    reached: list[str] = []
    for _ in range(14):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return [e.id || e.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }"
        )
        reached.append(focused[0])
        assert focused[1] != "none" and focused[2] >= 2, focused
    controls = ["q", "f-principle", "f-relation", "f-direction", "f-source", "f-country", "f-design"]
    assert [r for r in reached if r in controls] == controls
    page.focus("#f-direction")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#f-direction")).to_have_value("positive")
    assert page.url.endswith("#direction=positive")
    expect(page.locator("#f-direction")).to_be_focused()


def test_phone_width_reads_without_sideways_scrolling(page: Page, bundled: tuple[Path, Review]) -> None:
    """At 390 px the page is one column no wider than the screen, with a CMOC open."""
    path, review = bundled
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, path, f"#cmoc={review.cmocs()[0][1].id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator("#q").bounding_box()
    assert box is not None and box["width"] > 300


def test_print_leaves_out_the_controls(page: Page, bundled: tuple[Path, Review]) -> None:
    """Printed, the page shows the CMOCs and counts without the filter form or buttons."""
    path, _ = bundled
    open_page(page, path)
    page.emulate_media(media="print")
    assert page.locator("#filters").is_hidden()
    assert page.locator("#results .card").first.is_visible() and page.locator("#counts").is_visible()
    # Every card is laid out for paper, including those that skip layout on screen until scrolled to.
    assert all(text.strip() for text in page.locator("#results .card").all_inner_texts())


@pytest.fixture(scope="session")
def axe_script(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe.min.js of the pinned axe-core release, fetched from the npm registry once and cached."""
    store = getattr(request.config, "cache", None)  # none under `-p no:cacheprovider`: fetched for this run
    cache = Path(store.mkdir(f"axe-core-{AXE_VERSION}")) if store is not None else tmp_path_factory.mktemp("axe")
    script = cache / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI"):
                pytest.fail("npm is missing: .ci/run should have installed it")
            pytest.skip("npm is not installed: it fetches axe-core for the accessibility test")
        subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", str(cache), "--silent"],
            check=True,
            capture_output=True,
            timeout=300,
        )
        with tarfile.open(cache / f"axe-core-{AXE_VERSION}.tgz") as archive:
            member = archive.extractfile("package/axe.min.js")
            assert member is not None
            script.write_bytes(member.read())
    return script.read_text(encoding="utf-8")


def with_axe(page_path: Path, axe: str, target: Path) -> Path:
    """A copy of the page with axe-core inlined, its hash added to the page's own script policy."""
    digest = "sha256-" + base64.b64encode(hashlib.sha256(axe.encode()).digest()).decode()
    text = page_path.read_text(encoding="utf-8")
    text = text.replace("script-src &#39;", f"script-src &#39;{digest}&#39; &#39;", 1)
    text = text.replace("</body>", f"<script>{axe}</script>\n</body>", 1)
    target.write_text(text, encoding="utf-8")
    return target


@pytest.mark.parametrize(("width", "fragment"), [(1280, ""), (390, ""), (1280, "#source=montenegro-2020&cmoc=")])
def test_axe_finds_no_serious_or_critical_violation(
    page: Page, bundled: tuple[Path, Review], axe_script: str, tmp_path: Path, width: int, fragment: str
) -> None:
    """axe-core, run over the list, the phone layout and an open CMOC, reports nothing serious or critical."""
    path, review = bundled
    if fragment.endswith("cmoc="):
        fragment += next(c.id for s, c in review.cmocs() if s.id == "montenegro-2020")
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, with_axe(path, axe_script, tmp_path / "explorer-axe.html"), fragment)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
    serious = [v for v in serious if v[1] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)
    assert page.evaluate("axe.version") == AXE_VERSION


HOSTILE_SOURCE = """\
id: evil-2020
title: 'Weird "title" <b>bold</b> & co | pipe'
authors: ["O'Brien, <i>Pat</i>"]
year: 2020
url: "javascript:alert('url')"
countries: ["<img src=x onerror=alert('country')>"]
appraisal: {relevance: high, rigour: high}
cmocs:
  - id: evil-2020-1
    context: "{{ 7*7 }} and {% if true %}x{% endif %}"
    mechanism:
      resource: "<script>alert('x')</script>"
      response: "</script><script>alert('y')</script>\\u2028next"
    outcome: '"]; click p call evil() %% [link](javascript:alert(1)) &copy;'
    direction: positive
    principles: [quick-wins]
    evidence:
      - quote: "<img src=x onerror=alert('quote')> **bold**"
        locator: "p. 3 | table 2"
    themes: [onerror]
"""


def test_hostile_evidence_shows_as_text_and_runs_nothing(page: Page, tmp_path: Path) -> None:
    """Markup, template code and javascript: addresses in evidence appear literally; no dialog, no element."""
    root = write_review(tmp_path / "hostile", {"evil-2020.yaml": HOSTILE_SOURCE}, principles=PRINCIPLES_YAML)
    synthesize(root, formats=("explorer",))
    open_page(page, root / "review" / "explorer.html", "#cmoc=evil-2020-1")
    detail = page.locator("#detail")
    text = detail.inner_text()
    for literal in (
        "{{ 7*7 }} and {% if true %}x{% endif %}",
        "<script>alert('x')</script>",
        "</script><script>alert('y')</script>",
        "<img src=x onerror=alert('quote')> **bold**",
        '"]; click p call evil() %% [link](javascript:alert(1)) &copy;',
        "javascript:alert('url')",
        'Weird "title" <b>bold</b> & co | pipe',
    ):
        assert literal in text
    assert page.locator("img, b, i, iframe, object, embed").count() == 0
    assert page.locator("script").count() == 2
    assert page.locator("a[href^='javascript' i]").count() == 0
    assert page.locator("#f-country option").all_inner_texts()[1] == "<img src=x onerror=alert('country')> (1)"


def test_show_more_adds_the_next_cards_and_moves_focus_to_them(page: Page, tmp_path: Path) -> None:
    """Long lists come 25 cards at a time; the button, pressed from the keyboard, adds the rest."""
    ids = [f"doe-2020-{n}" for n in range(1, 31)]
    root = write_review(tmp_path / "long", {"doe-2020.yaml": source_yaml("doe-2020", *ids)}, principles=PRINCIPLES_YAML)
    synthesize(root, formats=("explorer",))
    open_page(page, root / "review" / "explorer.html")
    assert shown_ids(page) == ids[:25]
    more = page.locator("#more")
    expect(more).to_have_text("Show 5 more (5 not shown yet)")
    more.focus()
    page.keyboard.press("Enter")
    assert shown_ids(page) == ids
    expect(page.locator("#results .card").nth(25).locator("h3 a")).to_be_focused()
    expect(more).to_be_hidden()


def test_a_principle_shows_its_patterns_and_each_leads_to_its_cmocs(page: Page, bundled: tuple[Path, Review]) -> None:
    """The synthesis's patterns for a principle are listed with outcomes written out; one click filters to one."""
    path, review = bundled
    open_page(page, path, "#principle=power-imbalances")
    patterns = page.locator("#focus .patterns li")
    expect(patterns).to_have_count(1)
    assert patterns.first.inner_text() == (
        "professional-framing: 2 CMOCs from 2 sources (\u2212 1 negative, \u00b1 1 mixed), recurring across sources"
    )
    patterns.first.get_by_role("link").click()
    assert page.url.endswith("#principle=power-imbalances&theme=professional-framing")
    expected = [
        c.id
        for _, c in review.cmocs()
        if "power-imbalances" in c.principle_ids() and "professional-framing" in c.themes
    ]
    expect(page.locator("#status")).to_contain_text(f"{len(expected)} CMOCs match")
    assert sorted(shown_ids(page)) == sorted(expected)


def test_an_address_with_unknown_values_shows_everything(page: Page, bundled: tuple[Path, Review]) -> None:
    """An old or mistyped link (unknown ids, names of JavaScript built-ins) falls back to "Any", without errors."""
    path, review = bundled
    open_page(page, path, "#cmoc=constructor&principle=__proto__&country=toString&source=nobody-2020")
    total = len(review.cmocs())
    expect(page.locator("#status")).to_have_text(f"{total} CMOCs match (of {total}, from 3 sources).")
    assert page.locator("#detail").is_hidden() and page.locator("#f-country").input_value() == ""


def test_search_ignores_case_and_accents_and_reads_phrases(page: Page, tmp_path: Path) -> None:
    """`peru` finds Perú, a quoted phrase must occur as written, and the quotes are searched too."""
    text = source_yaml("doe-2020", "doe-2020-1", "doe-2020-2").replace(
        "context: Staff short of time.", "context: Clinics in rural Perú.", 1
    )
    root = write_review(tmp_path / "accents", {"doe-2020.yaml": text}, principles=PRINCIPLES_YAML)
    synthesize(root, formats=("explorer",))
    open_page(page, root / "review" / "explorer.html")
    box = page.locator("#q")
    for query, expected in (("PERU", ["doe-2020-1"]), ('"rural perú"', ["doe-2020-1"]), ('"perú rural"', [])):
        box.fill(query)
        expect(page.locator("#status")).to_contain_text(f"{len(expected)} CMOC")
        assert shown_ids(page) == expected
    box.fill("learnt")  # in the quote of both
    expect(page.locator("#status")).to_contain_text("2 CMOCs match")


def test_the_escaping_suites_hostile_evidence_renders_literally(page: Page, tmp_path: Path) -> None:
    """The hostile source of test_escaping.py: each field shows exactly as written in the opened CMOC."""
    root = write_review(tmp_path / "escaping", {"evil-2020.yaml": test_escaping.SOURCE}, principles=PRINCIPLES_YAML)
    synthesize(root, formats=("explorer",))
    open_page(page, root / "review" / "explorer.html", "#cmoc=evil-2020-1")
    fields = page.locator("#detail dd").all_text_contents()
    for name in ("context", "resource", "outcome"):
        assert test_escaping.HOSTILE[name] in fields
    assert test_escaping.HOSTILE["response"] in [field.rstrip("\n") for field in fields]
    assert page.locator("#detail blockquote").text_content() == test_escaping.HOSTILE["quote"]
    assert test_escaping.HOSTILE["locator"] in (page.locator("#detail .locator").text_content() or "")
    assert page.locator("script").count() == 2 and page.locator("b, i").count() == 0
