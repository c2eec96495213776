"""A table cell as the answer (assistant.cells): the cell the question asks for, named by its row and column,
when the meaning reading and the checker's reading agree on the column; every cell of the row, each named,
when they do not. And the definitions a document gives of a table's row names (ingest.tables.terms_defined),
which the model reads with the row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from assistant_fakes import FakeChecker, ScriptedChat, build_store

from assistant import Assistant
from assistant.cells import Cell, read_cell
from core.types import WarningCode
from ingest.tables import find_tables, terms_defined

SLA = (
    "Le Prestataire s'engage à prendre en charge les signalements dans les délais suivants.\n"
    "\n"
    "\u00a0Anomalies bloquantesAnomalies majeuresAnomalies mineures\n"
    "Délai de traitement2 h8 h18 h\n"
    "Temps de récupération3 j.6 j.N/A\n"
    "\n"
    "Délai de traitement : délai selon lequel le Prestataire s'engage à mobiliser du personnel.\n"
    "\n"
    "Temps de récupération : délai selon lequel le Prestataire s'engage à corriger l'Anomalie.\n"
)

ROW = [
    Cell("Délai de traitement", "Anomalies bloquantes", "2 h"),
    Cell("Délai de traitement", "Anomalies majeures", "8 h"),
    Cell("Délai de traitement", "Anomalies mineures", "18 h"),
]


def _meaning(best: int | None) -> Any:
    """A meaning reading that ranks column `best` first (None: a tie, no column)."""

    def sims(question: str, texts: Sequence[str]) -> list[float]:
        return [0.5 if best is None else (0.9 if i == best else 0.2) for i in range(len(texts))]

    return sims


def _columns(best: int | None, row_word: str | None = None) -> Any:
    """A meaning reading for the whole engine: the columns as _meaning(best) ranks them, and of a table's
    rows (read with their definitions) the one holding `row_word` first (no word: a tie, the ranker's row
    stands)."""
    columns = _meaning(best)

    def sims(question: str, texts: Sequence[str]) -> list[float]:
        if all(t.startswith("Anomalies") for t in texts):
            return columns(question, texts)
        return [0.9 if row_word and row_word in t else 0.5 for t in texts]

    return sims


def _read_meaning(monkeypatch: pytest.MonkeyPatch, sims: Any) -> None:
    """The engine's meaning reading (of columns and of rows) replaced by `sims`."""
    from assistant.parts import Parts

    monkeypatch.setattr(Parts, "similarities", lambda self: sims)


def test_the_row_names_are_read_with_their_definitions_near_the_table() -> None:
    (table,) = find_tables(SLA)
    defined = terms_defined(SLA, table)
    assert defined["Temps de récupération"].startswith("Temps de récupération : délai selon lequel")
    assert defined["Temps de récupération"].endswith("corriger l'Anomalie.")
    assert "mobiliser du personnel" in defined["Délai de traitement"]
    assert "Anomalies majeures" not in defined  # a header the text does not define


def test_a_definition_far_from_the_table_or_inside_a_sentence_is_not_the_rows() -> None:
    far = SLA.replace("\nDélai de traitement : délai", "\n" + "x " * 1500 + "\nDélai de traitement : délai")
    (table,) = find_tables(far)
    assert "Délai de traitement" not in terms_defined(far, table)
    inside = SLA.replace("\nDélai de traitement : délai", "\nLe Délai de traitement : délai")
    (table,) = find_tables(inside)
    assert "Délai de traitement" not in terms_defined(inside, table)


def test_both_readings_agree_on_the_column_the_cell_answers() -> None:
    checker = FakeChecker([(r"Anomalies majeures: 8 h", 0.8)], default=0.3)
    read = read_cell("En combien d'heures une anomalie majeure ?", ROW, "Acme", checker, _meaning(1))
    assert read.cells == (ROW[1],)
    assert read.text == "Délai de traitement — Anomalies majeures: 8 h"
    assert "-> agree" in read.note()


@pytest.mark.parametrize("meaning", [0, None])  # another column; no column closest in meaning
def test_when_the_readings_differ_the_whole_row_is_shown_each_cell_named(meaning: int | None) -> None:
    checker = FakeChecker([(r"Anomalies majeures", 0.8)], default=0.3)
    read = read_cell("How quickly are anomalies handled?", ROW, "Acme", checker, _meaning(meaning))
    assert read.cells == tuple(ROW)
    assert read.text == (
        "Délai de traitement — Anomalies bloquantes: 2 h; Anomalies majeures: 8 h; Anomalies mineures: 18 h"
    )


def test_without_a_second_reading_or_when_the_checker_fails_the_whole_row() -> None:
    class Broken:
        def check(self, question: str, sentence: str, label: str) -> Any:
            raise RuntimeError("model down")

    assert read_cell("q?", ROW, "Acme", None, _meaning(1)).cells == tuple(ROW)
    assert read_cell("q?", ROW, "Acme", Broken(), _meaning(1)).cells == tuple(ROW)  # type: ignore[arg-type]
    tied = FakeChecker([], default=0.5)
    assert read_cell("q?", ROW, "Acme", tied, _meaning(1)).cells == tuple(ROW)


def test_a_wide_row_is_checked_on_the_cells_closest_in_meaning_only() -> None:
    wide = [Cell("Response", f"Tier {i}", f"{i} h") for i in range(8)]
    checker = FakeChecker([(r"Tier 5: 5 h", 0.8)], default=0.3)
    read = read_cell("How fast for tier 5?", wide, "Acme", checker, _meaning(5))
    assert read.cells == (wide[5],)
    assert len(checker.calls) == 3  # not eight


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_store(tmp_path_factory.mktemp("store"))


def test_a_table_row_answer_is_its_cell_cited_as_the_row_is_written(
    built: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end on the sample corpus's SLA table: the row is cited verbatim, the answer is the cell of the
    column both readings pick, and the model is not asked to restate it."""
    settings, store, emb = built
    checker = FakeChecker(
        [(r"^Délai de traitement — Anomalies majeures: 8 h$", 0.8), (r"bloquantes: 2 h; ", 0.9)],
        default=0.05,
    )
    chat = ScriptedChat(replies=["It takes 2 hours [1]."])
    asst = Assistant(settings, store=store, embeddings=emb, llm=chat, checker=checker, min_dense=0.0)
    _read_meaning(monkeypatch, _columns(1))
    ans = asst.answer(
        "Délai de traitement des Anomalies majeures chez Aura Digital ?", vendors=["aura-digital"]
    )
    assert not ans.abstained
    row = ans.citations[0]
    assert row.quote == "Délai de traitement2 h8 h18 h"
    assert store.document_text(row.document)[row.start : row.end] == row.quote
    assert ans.answer.startswith("Délai de traitement — Anomalies majeures: 8 h [1]")
    assert WarningCode.TABLE_CELL in ans.warning_codes
    assert "2 hours" not in ans.answer  # the model's wording of the row was never asked for or shown
    # the first thing shown, before any check, is the row's cells too, not its run-together text
    from assistant.events import Shown

    stream = asst.stream(
        "Délai de traitement des Anomalies majeures chez Aura Digital ?", vendors=["aura-digital"]
    )
    first = next(e for e in stream if isinstance(e, Shown))
    assert first.text.startswith(
        "Délai de traitement — Anomalies bloquantes: 2 h; Anomalies majeures: 8 h"
    ), first


def test_a_comparison_row_that_is_a_table_row_reads_as_its_cells(built: Any) -> None:
    """In a comparison, a vendor's row that is a table row shows its cells, each named by its column, not
    the row's run-together text; its citation quotes the row as written."""
    settings, store, emb = built
    checker = FakeChecker([(r"Anomalies bloquantes: 2 h", 0.9)], default=0.05)
    asst = Assistant(
        settings, store=store, embeddings=emb, llm=ScriptedChat(replies=[]), checker=checker, min_dense=0.0
    )
    ans = asst.compare("Délai de traitement des Anomalies bloquantes ?", ["aura-digital", "humanlinker"])
    assert ans.comparison is not None
    aura = next(r for r in ans.comparison if r.vendor == "aura-digital")
    assert aura.answer.startswith(
        "Délai de traitement — Anomalies bloquantes: 2 h; Anomalies majeures: 8 h; Anomalies mineures: 18 h ["
    ), aura.answer
    cited = ans.citations[aura.citation_ns[0] - 1]
    assert cited.quote == "Délai de traitement2 h8 h18 h"
    assert store.document_text(cited.document)[cited.start : cited.end] == cited.quote


@pytest.mark.parametrize(
    "question,column,expected",
    [
        # the asked cell settles a bound: 2 h is within 4 hours, 18 h is not
        (
            "Is the Délai de traitement of Aura Digital for Anomalies bloquantes within 4 hours?",
            0,
            "Yes. Délai de traitement — Anomalies bloquantes: 2 h [1]",
        ),
        (
            "Is the Délai de traitement of Aura Digital for Anomalies mineures within 4 hours?",
            2,
            "No. Délai de traitement — Anomalies mineures: 18 h [1]",
        ),
    ],
)
def test_a_closed_question_on_a_table_row_is_settled_by_the_asked_cell_alone(
    built: Any, monkeypatch: pytest.MonkeyPatch, question: str, column: int, expected: str
) -> None:
    """Read on the whole row, "within 4 hours?" found 2 h among 2 h, 8 h and 18 h and said "Yes." for the
    minor anomalies too; the verdict is now read on the cell both readings agree on."""
    settings, store, emb = built
    heads = ["bloquantes", "majeures", "mineures"]
    checker = FakeChecker(
        [(rf"^Délai de traitement — Anomalies {heads[column]}: ", 0.8), (r"bloquantes: 2 h; ", 0.9)],
        default=0.05,
    )
    asst = Assistant(
        settings, store=store, embeddings=emb, llm=ScriptedChat(replies=[]), checker=checker, min_dense=0.0
    )
    _read_meaning(monkeypatch, _columns(column))
    ans = asst.answer(question, vendors=["aura-digital"])
    assert ans.answer.startswith(expected), (ans.answer, ans.warnings)
    assert ans.citations[0].quote == "Délai de traitement2 h8 h18 h"


def test_a_closed_question_on_a_row_whose_column_is_not_settled_gets_the_row_without_a_verdict(
    built: Any, monkeypatch: pytest.MonkeyPatch
) -> None:

    settings, store, emb = built
    checker = FakeChecker(
        [(r"^Délai de traitement — Anomalies bloquantes: ", 0.8), (r"bloquantes: 2 h; ", 0.9)]
    )
    asst = Assistant(
        settings, store=store, embeddings=emb, llm=ScriptedChat(replies=[]), checker=checker, min_dense=0.0
    )
    _read_meaning(monkeypatch, _columns(2))
    ans = asst.answer(
        "Is the Délai de traitement of Aura Digital for Anomalies mineures within 4 hours?",
        vendors=["aura-digital"],
    )
    assert ans.answer.startswith("Délai de traitement — Anomalies bloquantes: 2 h; Anomalies majeures: 8 h;")
    assert not ans.answer.startswith(("Yes", "No"))


@pytest.mark.parametrize("p_asked_row", [0.6, 0.05])
def test_the_row_a_question_asks_for_is_the_one_closest_in_meaning_when_the_check_accepts_it(
    built: Any, monkeypatch: pytest.MonkeyPatch, p_asked_row: float
) -> None:
    """The check prefers the row « Délai de traitement » (the ranker's order among rows of one table is little
    more than their words); the row closest in meaning to the question, read with its definition (« Temps de
    récupération : délai selon lequel le Prestataire s'engage à corriger l'Anomalie… »), answers when the
    check accepts it; when the check refuses it, the checked row stands."""
    settings, store, emb = built
    checker = FakeChecker(
        [
            (r"^Délai de traitement — Anomalies bloquantes: 2 h$", 0.8),
            (r"^Temps de récupération — Anomalies bloquantes: 3 j\.$", 0.8),
            (r"bloquantes: 2 h; ", 0.9),
            (r"bloquantes: 3 j\.; ", p_asked_row),
        ],
        default=0.05,
    )
    asst = Assistant(
        settings, store=store, embeddings=emb, llm=ScriptedChat(replies=[]), checker=checker, min_dense=0.0
    )
    _read_meaning(monkeypatch, _columns(0, "corriger"))
    ans = asst.answer(
        "Délai pour corriger les Anomalies bloquantes chez Aura Digital ?", vendors=["aura-digital"]
    )
    row_notes = [w for w in ans.warnings if w.startswith("table row by meaning")]
    if p_asked_row > 0.5:
        assert ans.answer.startswith("Temps de récupération — Anomalies bloquantes: 3 j. [1]"), ans.answer
        assert ans.citations[0].quote == "Temps de récupération3 j.6 j.N/A"
        assert row_notes and row_notes[0].endswith("-> taken")
    else:
        assert ans.answer.startswith("Délai de traitement — Anomalies bloquantes: 2 h [1]"), ans.answer
        assert row_notes and row_notes[0].endswith("-> not accepted")


def test_a_comparison_row_takes_the_row_of_its_table_the_question_asks_for(
    built: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a comparison too, a vendor's row that is a row of a table takes the table's row closest in meaning
    to the question when the check accepts it."""
    settings, store, emb = built
    checker = FakeChecker([(r"bloquantes: 2 h; ", 0.9), (r"bloquantes: 3 j\.; ", 0.6)], default=0.05)
    asst = Assistant(
        settings, store=store, embeddings=emb, llm=ScriptedChat(replies=[]), checker=checker, min_dense=0.0
    )
    _read_meaning(monkeypatch, _columns(0, "corriger"))
    ans = asst.compare("Délai pour corriger les Anomalies bloquantes ?", ["aura-digital", "humanlinker"])
    assert ans.comparison is not None
    aura = next(r for r in ans.comparison if r.vendor == "aura-digital")
    assert aura.answer.startswith("Temps de récupération — Anomalies bloquantes: 3 j.;"), aura.answer
    cited = ans.citations[aura.citation_ns[0] - 1]
    assert cited.quote == "Temps de récupération3 j.6 j.N/A"


def test_the_meaning_reading_embeds_a_question_once() -> None:
    """The row's reading and the cell's reading of one answer read the same question: it is embedded once."""
    from assistant.cells import question_similarities
    from vectorstore.embeddings import HashingEmbeddings

    class Counting(HashingEmbeddings):
        calls = 0

        def embed_query(self, text: str) -> list[float]:
            Counting.calls += 1
            return super().embed_query(text)

    class Vectors:
        def similarities(self, q: Sequence[float], texts: Sequence[str]) -> list[float]:
            return [float(len(t)) for t in texts]

    sims = question_similarities(Counting(), Vectors())  # type: ignore[arg-type]
    assert sims("Délai de correction ?", ["a", "bbb"]) == [1.0, 3.0]
    assert sims("Délai de correction ?", ["cc"]) == [2.0]
    assert Counting.calls == 1
    sims("Another question?", ["a"])
    assert Counting.calls == 2
