"""The review grid: topics file, cache hits/misses/invalidation, crash safety, CLI JSON shape, exports,
and "Which vendors ...?" answers from the grid. Offline: hashing embedder and the extractive fake LLM."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from assistant_fakes import build_store, offline_settings

from assistant import Assistant
from assistant.cli import main
from assistant.query import is_which_vendors
from core.settings import PROJECT_ROOT
from core.types import Answer
from review import (
    CellKey,
    GridBuilder,
    ReviewCache,
    Topic,
    TopicError,
    grid_answer,
    grid_csv,
    grid_markdown,
    grid_xlsx,
    load_topics,
    match_topic,
)

REQUIRED_KEYS = {
    "breach_notification",
    "liability_cap",
    "governing_law",
    "hosting_location",
    "sub_processors",
    "retention_after_end",
    "termination_notice",
    "price_change_notice",
    "audit_rights",
    "availability_sla",
    "security_certifications",
    "dpo_contact",
}
CITATION_KEYS = {
    "n": int,
    "vendor": str,
    "vendor_name": str,
    "document": str,
    "section": str,
    "quote": str,
    "start": int,
    "end": int,
}
VENDORS = ["humanlinker", "boost-my-mail"]
TOPICS = ["breach_notification", "liability_cap", "governing_law"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Any]:
    return build_store(tmp_path_factory.mktemp("store"))


def fresh_cache(tmp_path: Path) -> ReviewCache:
    return ReviewCache(tmp_path / "review-cache.sqlite")


class CrashingAssistant(Assistant):
    """The real assistant, killed (BaseException, like a Ctrl-C or a dying process) at its Nth answer."""

    crash_at = 3
    calls = 0

    def answer(self, question: str, vendors: Any = None, history: Any = None, checks: Any = None) -> Answer:
        type(self).calls += 1
        if type(self).calls >= self.crash_at:
            raise KeyboardInterrupt("simulated crash")
        return super().answer(question, vendors=vendors, history=history, checks=checks)


class NewPromptAssistant(Assistant):
    """The real assistant after a prompt change: its answers carry another prompt version."""

    prompt_version = "answer.v99"

    def answer(self, question: str, vendors: Any = None, history: Any = None, checks: Any = None) -> Answer:
        ans = super().answer(question, vendors=vendors, history=history, checks=checks)
        ans.model["prompt"] = self.prompt_version
        return ans


# ----------------------------------------------------------------------------- topics


def test_topics_file_has_the_twelve_keys_in_both_languages() -> None:
    topics = load_topics()
    assert REQUIRED_KEYS <= {t.key for t in topics}
    for t in topics:
        for lang in ("en", "fr"):
            assert t.label(lang).strip()
            q = t.question(lang, "Acme")
            assert "Acme" in q and "{vendor}" not in q and q.rstrip().endswith("?")
        assert t.keywords.get("en") and t.keywords.get("fr"), t.key
    fr = {t.key: t.question("fr", "Acme") for t in topics}
    assert fr["liability_cap"] != {t.key: t.question("en", "Acme") for t in topics}["liability_cap"]


def test_adding_a_topic_is_adding_an_entry(tmp_path: Path) -> None:
    text = (PROJECT_ROOT / "config" / "review_topics.yaml").read_text(encoding="utf-8")
    text += (
        "  insurance:\n    label: {en: Insurance, fr: Assurance}\n"
        "    question:\n      en: What insurance does {vendor} hold?\n      fr: Quelle assurance {vendor} a-t-il ?\n"
    )
    p = tmp_path / "topics.yaml"
    p.write_text(text, encoding="utf-8")
    topics = load_topics(p)
    assert (
        topics[-1].key == "insurance"
        and topics[-1].question("en", "Acme") == "What insurance does Acme hold?"
    )
    p.write_text("topics:\n  Bad Key:\n    label: {en: x, fr: y}\n    question: {en: x, fr: y}\n")
    with pytest.raises(TopicError, match="Bad Key"):
        load_topics(p)
    p.write_text("topics:\n  x:\n    label: {en: x}\n    question: {en: x, fr: y}\n")
    with pytest.raises(TopicError, match="fr"):
        load_topics(p)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\n", "no `topics:` mapping"),
        ("topics: [a, b]\n", "no `topics:` mapping"),
        ("topics:\n  x: hello\n", "topic 'x': expected label/question mappings"),
        ("topics:\n  x:\n    label: {en: x, fr: y}\n", "topic 'x': `question` needs non-empty `en` and `fr`"),
        ("topics:\n  x:\n    label: {en: x, fr: ' '}\n", "topic 'x': `label` needs non-empty `en` and `fr`"),
        (
            "topics:\n  a:\n    label: {en: x, fr: y}\n    question: {en: x, fr: y}\n  2b: {}\n",
            "topic '2b': keys are lowercase letters, digits and '_'",
        ),
    ],
)
def test_a_bad_topics_file_gives_one_error_naming_the_entry(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "topics.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(TopicError) as err:
        load_topics(p)
    assert str(err.value).startswith(f"{p}: {message}")


# ----------------------------------------------------------------------------- cache


def test_build_then_cache_hit(built, tmp_path: Path) -> None:
    settings, store, emb = built
    cache = fresh_cache(tmp_path)
    b = GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=cache)
    seen: list[str] = []
    grid = b.build(VENDORS, TOPICS, "en", on_progress=lambda p, s: seen.append(s))
    assert b.progress.computed == 6 and b.progress.cached == 0 and b.progress.failed == 0
    assert len(grid.cells) == 6 and not grid.missing and cache.count() == 6
    assert sum(s.startswith("computed") for s in seen) == 6
    b2 = GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=cache)
    grid2 = b2.build(VENDORS, TOPICS, "en")
    assert b2.progress.computed == 0 and b2.progress.cached == 6
    assert grid2.to_json() == grid.to_json()
    # another language is another set of cells
    b3 = GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=cache)
    b3.build(["humanlinker"], ["liability_cap"], "fr")
    assert b3.progress.computed == 1 and cache.count() == 7


def test_changed_prompt_version_recomputes(built, tmp_path: Path) -> None:
    settings, store, emb = built
    cache = fresh_cache(tmp_path)
    GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=cache).build(VENDORS, TOPICS[:1])
    b = GridBuilder(NewPromptAssistant(settings, store=store, embeddings=emb), cache=cache)
    assert b.prompt.startswith("answer.v99+engine@")  # no prompt file: the version, then the engine key
    assert len(b.cached(VENDORS, TOPICS[:1]).missing) == 2
    b.build(VENDORS, TOPICS[:1])
    assert b.progress.computed == 2
    again = GridBuilder(NewPromptAssistant(settings, store=store, embeddings=emb), cache=cache)
    again.build(VENDORS, TOPICS[:1])
    assert again.progress.computed == 0 and again.progress.cached == 2


def test_edited_prompt_file_recomputes_without_a_version_bump(
    built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant import prompts

    settings, store, emb = built
    monkeypatch.setattr(prompts, "PROMPTS_DIR", tmp_path)
    (tmp_path / "answer.v99.txt").write_text("### system\nfirst wording\n", encoding="utf-8")
    cache = fresh_cache(tmp_path)
    first = GridBuilder(NewPromptAssistant(settings, store=store, embeddings=emb), cache=cache)
    assert first.prompt.startswith("answer.v99@")
    first.build(VENDORS[:1], TOPICS[:1])
    assert first.progress.computed == 1
    (tmp_path / "answer.v99.txt").write_text("### system\nsecond wording\n", encoding="utf-8")
    again = GridBuilder(NewPromptAssistant(settings, store=store, embeddings=emb), cache=cache)
    assert again.prompt != first.prompt and len(again.cached(VENDORS[:1], TOPICS[:1]).missing) == 1


def test_changed_document_recomputes_only_that_vendor(sample_corpus_copy: Path, tmp_path: Path) -> None:
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import make_embeddings
    from vectorstore.store import ClauseStore

    settings = offline_settings(sample_corpus_copy, tmp_path / "store")
    emb = make_embeddings(settings.embedding)
    store = ClauseStore(settings, emb)
    # two vendors are enough here
    for vendor in ("aura-digital", "unnamed-provider", "leo-bizdev", "basecamp"):
        shutil.rmtree(sample_corpus_copy / vendor)
    run_ingest(settings, embeddings=emb, store=store, progress=False)
    cache = ReviewCache.for_store(settings.store_dir)
    GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=cache).build(None, TOPICS)
    doc = sample_corpus_copy / "boost-my-mail" / "cgs.txt"
    doc.write_text(
        doc.read_text(encoding="utf-8") + "\nARTICLE 99 – Avenant\nLe prix est revu chaque année.\n",
        encoding="utf-8",
    )
    run_ingest(settings, embeddings=emb, store=store, progress=False)
    b = GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=cache)
    assert sorted({v for v, _ in b.cached(None, TOPICS).missing}) == ["boost-my-mail"]
    b.build(None, TOPICS)
    assert b.progress.computed == len(TOPICS) and b.progress.cached == len(TOPICS)


def test_a_re_split_document_recomputes_its_vendor(built, tmp_path: Path) -> None:
    # the same text split again (a new splitter version, chunk size or embedder): the cached cells quote
    # clauses the store no longer holds, so the vendor's cells are computed again
    from dataclasses import replace

    settings, store, emb = built
    cache = ReviewCache(tmp_path / "review-cache.sqlite")
    GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=cache).build(VENDORS, TOPICS)
    docs = store.documents()
    resplit = [replace(d, fingerprint="another-splitter") if d.vendor == VENDORS[0] else d for d in docs]
    store.documents = lambda: resplit  # type: ignore[method-assign]
    try:
        b = GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=cache)
        assert sorted({v for v, _ in b.cached(VENDORS, TOPICS).missing}) == [VENDORS[0]]
    finally:
        del store.documents


def test_a_crash_mid_build_keeps_the_cells_already_computed(built, tmp_path: Path) -> None:
    settings, store, emb = built
    path = tmp_path / "review-cache.sqlite"
    CrashingAssistant.calls = 0
    with pytest.raises(KeyboardInterrupt):
        GridBuilder(CrashingAssistant(settings, store=store, embeddings=emb), cache=ReviewCache(path)).build(
            VENDORS, TOPICS
        )
    assert ReviewCache(path).count() == CrashingAssistant.crash_at - 1  # a new connection sees them
    b = GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=ReviewCache(path))
    b.build(VENDORS, TOPICS)
    assert b.progress.cached == 2 and b.progress.computed == 4


def test_cell_key_depends_on_every_part() -> None:
    base = CellKey("v", "t", "en", "docs", "q?", "answer.v2", "m|e")
    fields = ["vendor", "topic", "lang", "docs", "question", "prompt", "model"]
    digests = {base.digest}
    for f in fields:
        digests.add(CellKey(**{**base.__dict__, f: getattr(base, f) + "x"}).digest)
    assert len(digests) == len(fields) + 1


def test_known_cells_keep_their_cache_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key's recipe is pinned: a change to it recomputes every user's grid, so it must be deliberate.
    Last changed on purpose when the documents' ingest fingerprint and clause count joined it (a re-split of
    the same text recomputes the cells: test_a_re_split_document_recomputes_its_vendor). (The engine's code
    joins the key too, test_engine_key_changes_with_the_engine_s_code; it is held empty here.)"""
    from types import SimpleNamespace

    import review.cache as cache
    from assistant import prompts

    monkeypatch.setattr(prompts, "PROMPTS_DIR", tmp_path)
    monkeypatch.setattr(cache, "engine_code_key", lambda: "")
    (tmp_path / "engine.v7.txt").write_text("### system\nYou check one sentence.\n", encoding="utf-8")
    docs = [
        SimpleNamespace(
            document="acme/cgv.txt", sha256="a" * 64, fingerprint="f" * 16, n_clauses=12, vendor="acme"
        ),
        SimpleNamespace(
            document="acme/dpa.txt", sha256="b" * 64, fingerprint="f" * 16, n_clauses=7, vendor="acme"
        ),
        SimpleNamespace(
            document="globex/terms.md", sha256="c" * 64, fingerprint="f" * 16, n_clauses=30, vendor="globex"
        ),
    ]
    store = SimpleNamespace(documents=lambda: docs, vendors=lambda: {"acme": "Acme SA", "globex": "Globex"})
    fusion = SimpleNamespace(
        is_hand_set=False, to_json=lambda: {"weights": {"dense": 1.0, "bm25": 0.35}, "rrf_k": 20}
    )
    asst = SimpleNamespace(
        store=store,
        embeddings=None,
        engine="EngineConfig(abstain_below=0.4)",
        weights={"dense": 6.0, "type": 1.5},
        fusion=fusion,
        model_info=lambda prompt="engine.v7": {
            "llm": "fake-llm",
            "embeddings": "hashing-256",
            "prompt": prompt,
        },
    )
    topic = Topic(
        "breach_notification",
        {"en": "Breach", "fr": "Violation"},
        {
            "en": "How quickly must {vendor} notify a breach?",
            "fr": "Dans quel délai {vendor} doit-il notifier une violation ?",
        },
    )
    b = GridBuilder(asst, cache=fresh_cache(tmp_path), topics=[topic])
    assert (b.prompt, b.model) == ("engine.v7@0bd52ab5b85c+engine@a49a723f", "fake-llm|hashing-256")
    vendors = b.select()[0]
    got = {
        (lang, v): k.digest for lang in ("en", "fr") for (v, _), k in b.keys(vendors, [topic], lang).items()
    }
    assert got == {
        ("en", "acme"): "a578bff975917f570473e03bbe8c7dedf1d95d57f34e28dfc64b5f32f70f8192",
        ("en", "globex"): "bd1bb87142ce1ee6c627b83a3c332e950affc3fd443b28eab26286a8ec8fa51c",
        ("fr", "acme"): "749932e32305fff21dc66ef48de460bedead7d13772fc9e78c6710960e8eaef1",
        ("fr", "globex"): "f9ba6798f33af8df3fc93a82444974b735499a5bbe6fe85bbbd8d3e2aa09f026",
    }


# ----------------------------------------------------------------------------- CLI


def _cli_env(monkeypatch: pytest.MonkeyPatch, store_dir: Path) -> None:
    monkeypatch.setenv("CQA__STORE_DIR", str(store_dir))
    monkeypatch.setenv("CQA__EMBEDDING__KIND", "hashing")
    monkeypatch.setenv("CQA__LLM__PROVIDER", "fake")


def test_cli_review_json_matches_the_spec(
    built, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, store, _ = built
    _cli_env(monkeypatch, settings.store_dir)
    args = [
        "review",
        "--json",
        "--topic",
        "breach_notification",
        "--topic",
        "liability_cap",
        "--vendor",
        "humanlinker",
        "--vendor",
        "unnamed-provider",
    ]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "[4/4]" in captured.err  # progress on stderr
    d = json.loads(captured.out)
    assert set(d) == {"topics", "rows"}
    assert d["topics"] == [
        {"key": "breach_notification", "label": "Personal data breach notification"},
        {"key": "liability_cap", "label": "Liability cap"},
    ]
    assert [r["vendor"] for r in d["rows"]] == ["humanlinker", "unnamed-provider"]
    for row in d["rows"]:
        assert set(row) == {"vendor", "vendor_name", "cells"} and isinstance(row["vendor_name"], str)
        assert set(row["cells"]) == {"breach_notification", "liability_cap"}
        for cell in row["cells"].values():
            assert isinstance(cell["answer"], str) and cell["answer"]
            assert isinstance(cell["abstained"], bool)
            assert cell["confidence"] is None or 0.0 <= cell["confidence"] <= 1.0
            for c in cell["citations"]:
                for k, t in CITATION_KEYS.items():
                    assert isinstance(c[k], t), (k, c)
                assert c["vendor"] == row["vendor"]
                assert store.document_text(c["document"])[c["start"] : c["end"]] == c["quote"]
            req = cell["requirement"]  # the example requirements name both topics
            assert req["status"] in {"green", "amber", "red", "unknown"} and req["reason"]
    # second run: everything from the cache, nothing computed
    assert main(args) == 0
    assert "0 computed" in capsys.readouterr().err


def test_cli_review_errors(
    built, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli_env(monkeypatch, built[0].store_dir)
    assert main(["review", "--vendor", "nobody", "--cached-only"]) == 2
    assert "unknown vendor" in capsys.readouterr().err
    assert main(["review", "--topic", "nothing", "--cached-only"]) == 2
    assert "unknown topic" in capsys.readouterr().err


# ----------------------------------------------------------------------------- exports


@pytest.fixture(scope="module")
def small_grid(built, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings, store, emb = built
    cache = ReviewCache(tmp_path_factory.mktemp("grid") / "c.sqlite")
    g = GridBuilder(Assistant(settings, store=store, embeddings=emb), cache=cache).build(VENDORS, TOPICS)
    out = g.to_json()
    out["rows"][0]["cells"]["breach_notification"]["requirement"] = {"status": "amber", "reason": "why"}
    return out


def test_csv_export_round_trips(small_grid: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(grid_csv(small_grid))))
    assert len(rows) == len(VENDORS) * len(TOPICS)
    first = rows[0]
    cell = small_grid["rows"][0]["cells"]["breach_notification"]
    assert first["vendor"] == "humanlinker" and first["answer"] == cell["answer"]
    assert first["requirement"] == "amber" and first["requirement_reason"] == "why"
    for c in cell["citations"]:
        assert " ".join(c["quote"].split()) in first["quotes"]


def test_xlsx_export_has_grid_and_cells(small_grid: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(grid_xlsx(small_grid)))
    grid, cells = wb["Grid"], wb["Cells"]
    assert [c.value for c in grid[1]] == ["Vendor", *[t["label"] for t in small_grid["topics"]]]
    assert grid.max_row == 1 + len(VENDORS) and cells.max_row == 1 + len(VENDORS) * len(TOPICS)
    assert grid["A2"].value == "Humanlinker"
    assert grid["B2"].fill.fgColor.rgb.endswith("FFEB9C")  # amber
    quotes = [r[-1].value for r in cells.iter_rows(min_row=2)]
    cell = small_grid["rows"][0]["cells"]["breach_notification"]
    assert all(" ".join(c["quote"].split()) in (quotes[0] or "") for c in cell["citations"])


def test_markdown_export_quotes_verbatim(small_grid: dict[str, Any]) -> None:
    md = grid_markdown(small_grid)
    assert md.count("\n## ") == len(TOPICS)
    for row in small_grid["rows"]:
        for cell in row["cells"].values():
            for c in cell["citations"]:
                assert " ".join(c["quote"].split()) in md
    assert "🟠 why" in md


# ----------------------------------------------------------------------------- chat


def test_which_vendors_detection_and_topic_match() -> None:
    topics = load_topics()
    assert is_which_vendors("Which vendors host data outside the EU?")
    assert is_which_vendors("Quels fournisseurs hébergent les données hors de l'UE ?")
    assert not is_which_vendors("How fast must Humanlinker notify a breach?")
    key = lambda q: (match_topic(q, topics) or type("N", (), {"key": None})).key  # noqa: E731
    assert key("Which vendors host data outside the EU?") == "hosting_location"
    assert key("Which vendors must notify a breach within 48 hours?") == "breach_notification"
    assert key("Quels fournisseurs ont un délégué à la protection des données ?") == "dpo_contact"
    assert key("Which vendors cap their liability?") == "liability_cap"
    assert key("Which vendors sell sandwiches?") is None


def test_grid_answer_from_cached_cells(built, tmp_path: Path) -> None:
    settings, store, emb = built
    asst = Assistant(settings, store=store, embeddings=emb)
    cache = fresh_cache(tmp_path)
    q = "Which vendors must notify a personal data breach, and how fast?"
    assert grid_answer(q, asst, vendors=VENDORS, cache=cache) is None  # nothing cached yet
    GridBuilder(asst, cache=cache).build(VENDORS, ["breach_notification"])
    ans = grid_answer(q, asst, vendors=VENDORS, cache=cache)
    assert ans is not None and ans.comparison is not None
    assert [r.vendor for r in ans.comparison] == VENDORS
    by_n = {c.n: c for c in ans.citations}
    assert len(by_n) == len(ans.citations)  # numbers are global and unique
    for row in ans.comparison:
        for n in row.citation_ns:
            assert by_n[n].vendor == row.vendor and f"[{n}]" in row.answer
            assert store.document_text(by_n[n].document)[by_n[n].start : by_n[n].end] == by_n[n].quote
        if row.abstained:
            assert "not specified" in row.answer and not row.citation_ns
    fr = grid_answer(
        "Quels fournisseurs doivent notifier une violation de données, et dans quel délai ?",
        asst,
        VENDORS,
        "en",
        cache=cache,
    )
    assert fr is not None and fr.comparison is not None  # French keywords route to the same cells
    assert [(r.vendor, r.answer) for r in fr.comparison] == [(r.vendor, r.answer) for r in ans.comparison]
    assert grid_answer("How fast must Humanlinker notify a breach?", asst, cache=cache) is None
    assert grid_answer("Which vendors sell sandwiches?", asst, vendors=VENDORS, cache=cache) is None
    # a selection is settled vendor by vendor by the engine's rows, not read from the topic's cells
    assert grid_answer("Which vendors notify a breach within 48 hours?", asst, VENDORS, cache=cache) is None


def test_refitting_the_engine_recomputes_the_cells() -> None:
    """The cells' prompt key carries the engine's tuned numbers: a new threshold is a new key."""
    from types import SimpleNamespace

    from assistant.confidence import EngineConfig
    from review import current_prompt

    a = SimpleNamespace(
        prompt_version="engine.v1", engine=EngineConfig(abstain_below=0.1), weights={"dense": 1}
    )
    b = SimpleNamespace(
        prompt_version="engine.v1", engine=EngineConfig(abstain_below=0.2), weights={"dense": 1}
    )
    bare = SimpleNamespace(prompt_version="engine.v1")
    assert current_prompt(a) != current_prompt(b)
    assert current_prompt(a).startswith(current_prompt(bare) + "+engine@")


def test_engine_key_changes_with_a_fitted_fusion_only() -> None:
    from types import SimpleNamespace

    from assistant.fusion import DEFAULT_WEIGHTS, Fusion
    from review import engine_key

    def asst(fusion: Fusion | None) -> SimpleNamespace:
        return SimpleNamespace(
            embeddings=None, engine="engine-numbers", weights={"dense": 6.0}, fusion=fusion
        )

    without = engine_key(asst(None))
    assert without.startswith("+engine@")
    assert engine_key(asst(Fusion(dict(DEFAULT_WEIGHTS), 60, None))) == without  # hand-set: cached cells kept
    fitted = Fusion({"dense": 1.0, "bm25": 0.35, "bm25_glossary": 0.15}, 20, "embeddinggemma-300m")
    assert engine_key(asst(fitted)) not in ("", without)  # other clauses seen: cells recomputed


def test_engine_key_changes_with_the_engine_s_code(monkeypatch) -> None:
    """A new version of the answer engine's code (same prompt, same fitted numbers) recomputes the cells."""
    from types import SimpleNamespace

    import review.cache as cache

    a = SimpleNamespace(embeddings=None, engine="engine-numbers", weights={"dense": 6.0}, fusion=None)
    before = cache.engine_key(a)
    assert len(cache.engine_code_key()) == 12 and cache.engine_key(a) == before  # stable within a version
    monkeypatch.setattr(cache, "engine_code_key", lambda: "another-code")
    assert cache.engine_key(a) != before
