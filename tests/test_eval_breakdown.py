"""The question → document language breakdown (`lang_pair`) of eval summaries: the grouping (gold `lang`,
vendor.yaml `language`, detection where either is missing), its recomputation per split, its report
sections, and compare / table on older summaries that lack it. Fast: bm25, retrieval only, no model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings, load_settings
from evals.cli import main
from evals.compare import render_compare, render_table
from evals.report import load_run, render_html, render_markdown
from evals.runner import breakdowns, document_languages, lang_pair, question_language

FIX = Path(__file__).parent / "fixtures" / "lang_pair"
GOLD = FIX / "gold.jsonl"
CORPUS = FIX / "corpus"

# Gold item id -> its pair: lyon-saas has vendor.yaml `language: fr`; berlin-hosting has no vendor.yaml and
# English text (detected); fr-no-lang has no `lang` (its question is detected French).
EXPECTED = {
    "en-on-fr": "en→fr",
    "fr-on-fr": "fr→fr",
    "en-on-detected-en": "en→en",
    "fr-on-detected-en": "fr→en",
    "en-mixed": "mixed",
    "en-unanswerable": "en→(none)",
    "fr-no-lang": "fr→fr",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        env={},
        corpus_dir=str(CORPUS),
        store_dir=str(tmp_path / "store"),
        **{"embedding.kind": "hashing", "llm.provider": "fake"},
    )


def _run(settings: Settings, out: Path, *extra: str) -> int:
    return main(
        [
            "run",
            "--gold",
            str(GOLD),
            "--corpus",
            str(CORPUS),
            "--out",
            str(out),
            "--no-progress",
            "--retrieval-only",
            "--system",
            "bm25",
            *extra,
        ],
        settings=settings,
    )


# ------------------------------------------------------------------ grouping
def _languages(settings: Settings, corpus: Path = CORPUS):  # type: ignore[no-untyped-def]
    """The document -> language map an eval run uses: the store's records after ingest."""
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import HashingEmbeddings
    from vectorstore.store import ClauseStore

    s = settings.replace(corpus_dir=str(corpus))
    store = ClauseStore(s, HashingEmbeddings())
    run_ingest(s, embeddings=HashingEmbeddings(), store=store, progress=False)
    return document_languages(store.documents())


def test_document_language_from_vendor_yaml_else_detected_from_the_text(settings: Settings) -> None:
    language = _languages(settings)
    assert language("lyon-saas/cgv.txt") == "fr"  # vendor.yaml says it
    assert language("berlin-hosting/terms.txt") == "en"  # no vendor.yaml: detected from the English text
    assert language("ghost/none.txt") is None  # not in the store


def test_vendor_without_yaml_language_is_detected_per_its_text(settings: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "nantes-crm").mkdir(parents=True)
    (corpus / "nantes-crm" / "vendor.yaml").write_text("name: Nantes CRM\n", encoding="utf-8")  # no language
    (corpus / "nantes-crm" / "cgu.txt").write_text(
        "Le prestataire conserve les données pendant la durée du contrat et les supprime ensuite.\n",
        encoding="utf-8",
    )
    assert _languages(settings, corpus)("nantes-crm/cgu.txt") == "fr"


def test_lang_pair_groups(settings: Settings) -> None:
    language = _languages(settings)
    items = {
        json.loads(line)["id"]: json.loads(line)
        for line in GOLD.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    assert {i: lang_pair(it, language) for i, it in items.items()} == EXPECTED
    # A side that is not known: no document languages at all, or a document nobody knows.
    assert lang_pair(items["en-on-fr"], None) == "(unknown)"
    ghost = {**items["en-on-fr"], "evidence": [{"document": "ghost/x.txt", "quote": "x"}]}
    assert lang_pair(ghost, language) == "(unknown)"
    assert lang_pair(items["en-unanswerable"], None) == "en→(none)"  # no evidence: no document side
    # The question's language: the gold `lang` (normalised), else detected from the question.
    assert question_language({"lang": "EN", "question": "Quel est le préavis ?"}) == "en"
    assert question_language({"question": "What is the notice period?"}) == "en"
    assert question_language({"lang": "?", "question": "Quelle est la durée du contrat ?"}) == "fr"


def test_breakdowns_group_by_pair_and_fall_back_on_rows_without_one() -> None:
    def row(pair: str | None, lang: str, ok: bool) -> dict[str, Any]:
        gold = {"lang": lang, "question": "q", "evidence": []}
        r: dict[str, Any] = {"vendors": ["v"], "lang": lang, "gold": gold, "scores": {"pass": ok}}
        if pair:
            r["lang_pair"] = pair
        return r

    bd = breakdowns([row("en→fr", "en", True), row("en→fr", "en", False), row(None, "fr", True)], 5)
    assert set(bd) == {"vendor", "language", "lang_pair"}
    assert {key: g["n"] for key, g in bd["lang_pair"].items()} == {"en→fr": 2, "fr→(none)": 1}


# ------------------------------------------------------------------ through `python -m evals run`
def test_run_writes_the_pair_breakdown_per_split_and_reports_it(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "both"
    assert _run(settings, out, "--split", "both") == 0
    summary, rows = load_run(out)
    assert {r["id"]: r["lang_pair"] for r in rows} == EXPECTED
    pairs = summary["breakdown"]["lang_pair"]
    assert {key: g["n"] for key, g in pairs.items()} == {
        "en→(none)": 1,
        "en→en": 1,
        "en→fr": 1,
        "fr→en": 1,
        "fr→fr": 2,
        "mixed": 1,
    }
    assert "evidence_recall@5" in pairs["en→fr"] and pairs["en→(none)"]["evidence_recall@5"] is None
    assert set(summary["breakdown"]) >= {"vendor", "language", "lang_pair"}  # extended, nothing dropped
    gold = {
        json.loads(line)["id"]: json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()
    }
    for split in ("dev", "test"):
        part, part_rows = load_run(out / split)
        want: dict[str, int] = {}
        for i, pair in EXPECTED.items():
            if gold[i]["split"] == split:
                want[pair] = want.get(pair, 0) + 1
        assert {key: g["n"] for key, g in part["breakdown"]["lang_pair"].items()} == want
        assert {r["lang_pair"] for r in part_rows} == set(want)

    md = (out / "report.md").read_text(encoding="utf-8")
    section = md.split("## By language pair (question → document)")[1].split("\n## ")[0]
    assert "| lang_pair | n |" in section
    assert "| en→fr | 1 |" in section and "| mixed | 1 |" in section and "| fr→fr | 2 |" in section
    assert md.index("## By vendor") < md.index("## By language\n") < md.index("## By language pair")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>By language pair (question → document)</h2>" in html
    assert "<td>en→fr</td>" in html and "en→(none) (n=1)" in html


def test_a_run_over_several_gold_files_breaks_its_metrics_down_by_file(
    settings: Settings, tmp_path: Path
) -> None:
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[4:]) + "\n", encoding="utf-8")
    out = tmp_path / "two"
    code = main(
        [
            "run",
            *("--gold", str(first), "--gold", str(second)),
            *("--corpus", str(CORPUS), "--out", str(out), "--no-progress", "--retrieval-only"),
            *("--system", "bm25", "--split", "both"),
        ],
        settings=settings,
    )
    assert code == 0
    summary, rows = load_run(out)
    assert {key: g["n"] for key, g in summary["breakdown"]["gold_file"].items()} == {"first": 4, "second": 3}
    assert {r["id"]: r["gold"]["gold_file"] for r in rows} == {
        json.loads(line)["id"]: ("first" if k < 4 else "second") for k, line in enumerate(lines)
    }
    for split in ("dev", "test"):
        part, part_rows = load_run(out / split)
        want: dict[str, int] = {}
        for r in part_rows:
            want[r["gold"]["gold_file"]] = want.get(r["gold"]["gold_file"], 0) + 1
        if len(want) > 1:
            assert {key: g["n"] for key, g in part["breakdown"]["gold_file"].items()} == want
    assert "## By gold file" in (out / "report.md").read_text(encoding="utf-8")
    # one gold file: no such breakdown
    single, _ = load_run(_single_run(settings, tmp_path))
    assert "gold_file" not in single["breakdown"]


def _single_run(settings: Settings, tmp_path: Path) -> Path:
    out = tmp_path / "one"
    assert _run(settings, out) == 0
    return out


def test_reports_compare_and_table_work_on_summaries_without_the_pair(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "new"
    assert _run(settings, new, "--limit", "5") == 0
    old = tmp_path / "old"
    shutil.copytree(new, old)
    summary = json.loads((old / "summary.json").read_text(encoding="utf-8"))
    del summary["breakdown"]["lang_pair"]
    (old / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    old_summary, old_rows = load_run(old)
    for r in old_rows:
        r.pop("lang_pair", None)

    md = render_markdown(old_summary, old_rows)
    assert "## By vendor" in md and "## By language" in md and "By language pair" not in md
    assert "By language pair" not in render_html(old_summary, old_rows)
    # A dimension the report does not know is still shown, after the known ones.
    extra = {**old_summary, "breakdown": {**old_summary["breakdown"], "kind": {"x|y": {"n": 3}}}}
    assert "## By kind" in render_markdown(extra, old_rows).split("## By language")[1]
    assert "| x\\|y | 3 |" in render_markdown(extra, old_rows)

    new_summary, new_rows = load_run(new)
    assert "`evidence_recall@5`" in render_compare(old_summary, old_rows, new_summary, new_rows)
    assert "| old |" in render_table([("old", old_summary), ("new", new_summary)])
    capsys.readouterr()
    assert main(["compare", str(old), str(new)]) == 0
    assert main(["table", str(old), str(new)]) == 0
    printed = capsys.readouterr().out
    assert "# Compare" in printed and "| old |" in printed and "| new |" in printed
