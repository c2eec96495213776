"""The Changes view: its pure pieces (ui/diffview.py: escaped redline marked in text, filters, timeline order,
summary, where a change opens) and the tab under AppTest over a small store with two versions of a document
(hashing embedder, fake LLM); the review grid's 'Changed since' marker on a cell whose clause changed."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from assistant_fakes import offline_settings
from changes_corpus import NEW_LABEL, OLD_LABEL, PAYLOAD, write_corpus
from streamlit.testing.v1 import AppTest

from assistant import Assistant
from assistant.diff.changes import Change, FigureChange, Side
from core.settings import PROJECT_ROOT
from ingest.pipeline import run_ingest
from review import GridBuilder, ReviewCache
from ui import diffview
from vectorstore.versions import VersionRecord, ordered

APP = str(PROJECT_ROOT / "app.py")
TIMEOUT = 60


def _side(quote: str, start: int = 0, section: str = "2. TERMINATION") -> Side:
    return Side(quote, start, start + len(quote), section)


CHANGED = Change(
    "changed",
    _side("Notice of thirty (30) days.", 10),
    _side("Notice of fourteen (14) days <b>now</b>.", 12),
    redline=(("=", "Notice of "), ("-", "thirty (30)"), ("+", "fourteen (14)"), ("=", " days <b>now</b>.")),
    figures=(FigureChange("thirty (30) days", "fourteen (14) days"),),
    topics=("termination_notice",),
)
ADDED = Change(
    "added", None, _side("Audits <script>alert(1)</script> yearly.", 40, "4. AUDIT"), topics=("audit_rights",)
)
REMOVED = Change("removed", _side("Support by email.", 50, "4. SUPPORT"), None)
MOVED = Change("moved", _side("Term of one year.", 0, "1. TERM"), _side("Term of one year.", 90, "5. TERM"))
CHANGED_MOVED = Change(
    "changed",
    _side("a b", 5),
    _side("a c", 100, "9. OTHER"),
    redline=(("=", "a "), ("-", "b"), ("+", "c")),
    moved=True,
)
ALL = [CHANGED, ADDED, REMOVED, MOVED, CHANGED_MOVED]


def _rec(label: str, sha: str, current: bool = False) -> VersionRecord:
    return VersionRecord("acme/terms.txt", label, sha, ingested_at="2024-01-01T00:00:00", current=current)


# ----------------------------------------------------------------------------- pure pieces


def _plain(markup: str) -> str:
    """HTML as the text a reader (or a copy) gets: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_redline_escapes_the_text_and_marks_insertions_and_deletions_in_words() -> None:
    out = diffview.redline_html(diffview.segments(CHANGED))
    assert "<b>" not in out and "&lt;b&gt;now&lt;/b&gt;" in out
    assert '<del style="text-decoration: line-through; color: inherit;">thirty (30)</del>' in out
    assert '<ins style="text-decoration: underline; color: inherit;">fourteen (14)</ins>' in out
    assert "line-through" in out and "underline" in out  # style as well as the markers
    # read as text (markup stripped), the markers say what was deleted and inserted
    assert _plain(out) == "Notice of [-thirty (30)-]{+fourteen (14)+} days <b>now</b>."
    added = diffview.redline_html(diffview.segments(ADDED))
    assert "<script>" not in added and "&lt;script&gt;alert(1)&lt;/script&gt;" in added
    assert _plain(added) == "{+Audits <script>alert(1)</script> yearly.+}"
    assert _plain(diffview.redline_html(diffview.segments(REMOVED))) == "[-Support by email.-]"
    moved = diffview.redline_html(diffview.segments(MOVED))
    assert "Term of one year." in moved and "<ins" not in moved and "<del" not in moved
    assert "[-" in diffview.LEGEND and "{+" in diffview.LEGEND and "struck through" in diffview.LEGEND


def test_filters_by_kind_and_topic() -> None:
    assert diffview.filter_changes(ALL) == ALL
    assert diffview.filter_changes(ALL, kinds=["added"]) == [ADDED]
    assert diffview.filter_changes(ALL, kinds=["moved"]) == [MOVED, CHANGED_MOVED]  # a changed one that moved
    assert diffview.filter_changes(ALL, kinds=["changed", "removed"]) == [CHANGED, REMOVED, CHANGED_MOVED]
    assert diffview.filter_changes(ALL, topics=["termination_notice"]) == [CHANGED]
    assert diffview.filter_changes(ALL, topics=["audit_rights", "termination_notice"]) == [CHANGED, ADDED]
    assert diffview.filter_changes(ALL, kinds=["added"], topics=["termination_notice"]) == []
    assert diffview.summary_line(ALL) == "5 changes: 2 changed, 1 added, 1 removed, 1 moved"
    assert diffview.summary_line([ADDED]) == "1 change: 0 changed, 1 added, 0 removed, 0 moved"
    assert diffview.figures_line(CHANGED) == "thirty (30) days → fourteen (14) days"
    assert diffview.figures_line(ADDED) == ""
    labels = {"termination_notice": "Termination notice"}
    assert diffview.topic_labels(ADDED, labels) == ["audit rights"]  # a key the topics file lacks: spaced
    assert diffview.topic_labels(CHANGED, labels) == ["Termination notice"]


def test_timeline_is_oldest_first_with_the_current_version_last_and_the_pair_marked() -> None:
    current = _rec("2023-01-10", "c" * 64, current=True)
    vs = ordered(
        [_rec("2024-05-01", "b" * 64), _rec("2019", "a" * 64), _rec("2021-09-27", "d" * 64)], current
    )
    stops = diffview.timeline(vs, old="2021-09-27", new="2023-01-10")
    assert [s.label for s in stops] == ["2019", "2021-09-27", "2024-05-01", "2023-01-10"]
    assert [s.text() for s in stops] == [
        "2019",
        "2021-09-27 (from)",
        "2024-05-01",
        "2023-01-10 (current, to)",
    ]
    assert diffview.default_pair(vs) == ("2024-05-01", "2023-01-10")
    assert diffview.default_pair(vs[:1]) is None
    odd = [_rec('<i onmouseover="x">', "e" * 64), current]
    out = diffview.timeline_html(diffview.timeline(odd))
    assert "<i " not in out and "&lt;i onmouseover=&quot;x&quot;&gt;" in out and "(current)" in out
    # a change opens the newer version at its new quote, the older version (document@label) at its old one
    new_t, old_t = diffview.targets(CHANGED, vs[1], current)
    assert (new_t.document, new_t.start, new_t.end) == ("acme/terms.txt", 12, 12 + len(CHANGED.new.quote))  # type: ignore[union-attr]
    assert (old_t.document, old_t.start, old_t.label) == ("acme/terms.txt@2021-09-27", 10, "2021-09-27")
    assert [t.document for t in diffview.targets(REMOVED, vs[1], current)] == ["acme/terms.txt@2021-09-27"]


def test_no_versions_says_how_to_add_one() -> None:
    text = diffview.no_versions_text("Init*ech", ["initech/cgv.pdf"])
    assert "Init\\*ech" in text and "`cgv-YYYY-MM-DD.pdf`" in text and "`cgv.pdf`" in text
    assert "Add a document" in text and "re-ingest" in text


# ----------------------------------------------------------------------------- the tab under AppTest


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The corpus with versions ingested once (hashing embedder), and ACME's grid cells for two topics."""
    root = tmp_path_factory.mktemp("changes")
    corpus = write_corpus(root / "corpus")
    s = offline_settings(corpus, root / "store")
    run_ingest(s, progress=False)
    GridBuilder(Assistant(s), cache=ReviewCache.for_store(s.store_dir)).build(
        ["acme"], ["termination_notice"], "en"
    )
    return corpus, root / "store"


@pytest.fixture
def page(tmp_path: Path, template: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    corpus, store = template
    shutil.copytree(store, tmp_path / "store")
    for k in ("CQA_SETTINGS", "LLM_BASE_URL", "VECTORSTORE_URL", "LLM_CHOICE", "CQA_REQUIREMENTS"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    monkeypatch.setenv("STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("CQA__EMBEDDING__KIND", "hashing")
    monkeypatch.setenv("CQA__LLM__PROVIDER", "fake")
    monkeypatch.setenv("CQA_REVIEW_AUTOBUILD", "off")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["rv_vendors"] = ["acme"]
    at.session_state["rv_topics"] = ["termination_notice"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    yield at


def _html(at: AppTest) -> str:
    return "\n".join(h.value for h in at.get("html"))


def _viewer(at: AppTest, mark_id: str) -> str:
    """The document viewer's page whose highlight has this id (the Documents tab has a viewer too)."""
    docs = [el.proto.srcdoc for el in at.get("iframe") if f'id="{mark_id}"' in el.proto.srcdoc]
    assert len(docs) == 1, "the document viewer did not open at the change"
    assert "<img" not in docs[0]
    return docs[0]


def _redlines(at: AppTest) -> list[str]:
    return [h.value for h in at.get("html") if "cqa-redline" in h.value]


def test_changes_tab_shows_the_pair_redlines_and_filters(page: AppTest) -> None:
    at = page
    assert at.selectbox(key="chg_vendor").value == "acme"
    assert at.selectbox(key="chg_doc").value == "acme/terms.txt"
    assert at.selectbox(key="chg_from-acme/terms.txt").value == OLD_LABEL  # the two latest by default
    assert at.selectbox(key="chg_to-acme/terms.txt").value == NEW_LABEL
    timeline = next(h.value for h in at.get("html") if "cqa-timeline" in h.value)
    assert timeline.index(f"{OLD_LABEL} (from)") < timeline.index(f"{NEW_LABEL} (current, to)")
    summary = "5 changes: 3 changed, 1 added, 1 removed, 0 moved"
    assert any(summary in m.value.replace("\\", "") for m in at.markdown)
    reds = _redlines(at)
    assert len(reds) == 5
    notice = next(r for r in reds if "fourteen (14)" in r)
    assert (
        "giving [-thirty (30)-]{+fourteen (14)+} days" in _plain(notice)
        and "<del" in notice
        and "<ins" in notice
    )
    assert html.escape(PAYLOAD) in notice and PAYLOAD not in _html(at)  # the payload is text
    figures = [m.value.replace("\\", "") for m in at.markdown if "Figures:" in m.value]
    assert "**Figures:** thirty (30) days → fourteen (14) days" in figures
    assert {b.key for b in at.get("download_button")} >= {"chg_md", "chg_json"}

    at.multiselect(key="chg_kinds").set_value(["removed"]).run()
    assert _redlines(at) and all(_plain(r).startswith("[-Support is provided") for r in _redlines(at))
    assert any("Showing 1 of 5 changes" in c.value.replace("\\", "") for c in at.caption)
    at.multiselect(key="chg_kinds").set_value([]).run()
    at.multiselect(key="chg_topics").set_value(["termination_notice"]).run()
    assert len(_redlines(at)) == 1 and "fourteen (14)" in _redlines(at)[0]

    # the change opens the current document at its new quote; its old side opens the older version
    at.button(key=f"chg-open-2-{NEW_LABEL}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    new = _viewer(at, "cqa-change-2")
    assert html.escape(f"fourteen (14) days' written notice to ACME {PAYLOAD} by email.") + "</mark>" in new
    at.button(key=f"chg-open-2-{OLD_LABEL}").click().run()
    assert html.escape("thirty (30) days' written notice to ACME.") + "</mark>" in _viewer(at, "cqa-change-2")


def test_changes_tab_pair_choice_and_a_vendor_without_versions(page: AppTest) -> None:
    at = page
    at.selectbox(key="chg_from-acme/terms.txt").set_value(NEW_LABEL).run()
    assert any("older than" in i.value for i in at.info) and not _redlines(at)
    at.selectbox(key="chg_vendor").set_value("initech").run()
    assert not at.exception, [e.value for e in at.exception]
    info = next(i.value for i in at.info if "No earlier version" in i.value)
    assert "Initech" in info and "`terms-YYYY-MM-DD.txt`" in info and not _redlines(at)


def test_grid_cell_says_its_clause_changed_since_the_previous_version(page: AppTest) -> None:
    at = page
    badges = [m.value.replace("\\", "") for m in at.main.markdown if "-badge[" in m.value]
    assert any(f"Changed since {OLD_LABEL}" in b for b in badges), badges
    exp = next(e for e in at.expander if e.label.replace("\\", "") == f"What changed since {OLD_LABEL}")
    shown = "\n".join(h.value for h in exp.get("html"))
    assert html.escape("thirty (30) days' written notice to ACME.") in shown and html.escape(PAYLOAD) in shown
    assert PAYLOAD not in shown
    texts = [c.value.replace("\\", "") for c in exp.caption]
    assert f"Before ({OLD_LABEL}):" in texts and f"Now ({NEW_LABEL}):" in texts
    exp.button[0].click().run()
    doc = _viewer(at, "cqa-changed-rv-acme-termination_notice-en")
    assert html.escape("thirty (30) days' written notice to ACME.") + "</mark>" in doc
