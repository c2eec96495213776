"""The Compare tab's review grid under AppTest, offline (hashing embedder, extractive fake LLM): the grid
from the cache, requirement colours, a cell's chip opening the clause highlighted, exports, and the
background build of missing cells with its progress."""

from __future__ import annotations

import html
import shutil
import time
from pathlib import Path

import pytest
from assistant_fakes import offline_settings
from streamlit.testing.v1 import AppTest

from assistant import Assistant
from core.settings import PROJECT_ROOT
from ingest.pipeline import run_ingest
from review import GridBuilder, ReviewCache
from ui.render import anchor_id

APP = str(PROJECT_ROOT / "app.py")
SAMPLE = PROJECT_ROOT / "data" / "contracts"
VENDORS = ["humanlinker", "leo-bizdev"]
TOPICS = ["breach_notification", "liability_cap", "governing_law"]


@pytest.fixture(scope="module")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus ingested with the hashing embedder, and 2 vendors x 3 topics in the review cache."""
    root = tmp_path_factory.mktemp("template")
    s = offline_settings(SAMPLE, root / "store")
    run_ingest(s, progress=False)
    GridBuilder(Assistant(s), cache=ReviewCache.for_store(s.store_dir)).build(VENDORS, TOPICS, "en")
    return root / "store"


@pytest.fixture
def page(tmp_path: Path, template_store: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    store = tmp_path / "store"
    shutil.copytree(template_store, store)
    for k in ("CQA_SETTINGS", "LLM_BASE_URL", "VECTORSTORE_URL", "LLM_CHOICE", "CQA_REQUIREMENTS"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("CORPUS_DIR", str(SAMPLE))
    monkeypatch.setenv("STORE_DIR", str(store))
    monkeypatch.setenv("CQA__EMBEDDING__KIND", "hashing")
    monkeypatch.setenv("CQA__LLM__PROVIDER", "fake")
    monkeypatch.setenv("CQA_REVIEW_AUTOBUILD", "off")
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["rv_vendors"] = VENDORS
    at.session_state["rv_topics"] = TOPICS
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _cells(store: Path) -> dict[tuple[str, str], dict]:
    s = offline_settings(SAMPLE, store)
    grid = GridBuilder(Assistant(s), cache=ReviewCache.for_store(store)).cached(VENDORS, TOPICS, "en")
    return grid.cells


def test_grid_shows_cached_cells_with_requirements_and_exports(page: AppTest, template_store: Path) -> None:
    cells = _cells(template_store)
    text = "\n".join(m.value for m in page.main.markdown)
    assert "Humanlinker" in text and "LEO Bizdev" in text and "Liability cap" in text
    badges = [m.value for m in page.main.markdown if "-badge[:material/" in m.value]
    colours = [b for b in badges if any(f"{w}]" in b for w in ("Meets", "Check", "Fails", "Unknown"))]
    # the example requirements have a rule for each of the three topics; a silent cell says so instead
    assert len(colours) == sum(not c["abstained"] for c in cells.values())
    assert sum("Not in the documents" in b for b in badges) == sum(c["abstained"] for c in cells.values())
    assert any("green-badge" in b or "orange-badge" in b or "red-badge" in b for b in colours)
    assert any("6/6 cells ready" in c.value for c in page.caption)
    keys = {b.key for b in page.get("download_button")}
    assert {"rv_csv", "rv_xlsx", "rv_md"} <= keys
    assert page.session_state["rv_render_ms"] < 5000  # generous: the machine is shared; README has the figure


def test_a_cell_chip_opens_the_clause_highlighted(page: AppTest, template_store: Path) -> None:
    cells = _cells(template_store)
    (vendor, topic), cell = next(((k, c) for k, c in cells.items() if c["citations"] and not c["abstained"]))
    c = cell["citations"][0]
    page.button(key=f"rv-{vendor}-{topic}-en-open-{c['n']}").click().run()
    assert not page.exception, [e.value for e in page.exception]
    docs = [el.proto.srcdoc for el in page.get("iframe")]
    assert docs, "the document viewer did not open"
    from core.types import Citation

    cit = Citation(**{k: c[k] for k in Citation.__dataclass_fields__ if k in c})
    assert f'<mark id="{anchor_id(cit)}"' in docs[-1] and f"{html.escape(cit.quote)}</mark>" in docs[-1]


def test_filters_and_missing_cells_then_a_build(page: AppTest) -> None:
    page.multiselect(key="rv_topics").set_value([*TOPICS, "dpo_contact"]).run()
    assert any("6/8 cells ready" in c.value for c in page.caption)
    assert any("not computed yet" in c.value for c in page.caption)
    page.button(key="rv_build").click().run()
    from ui.review import background_builds

    runner = background_builds(page.session_state["rv_store"])
    deadline = time.monotonic() + 60
    while runner.running and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not runner.running and runner.progress is not None and runner.progress.computed == 2
    page.run()
    assert any("8/8 cells ready" in c.value for c in page.caption)
