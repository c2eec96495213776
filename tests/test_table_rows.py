"""Table rows as answers: a short row ("OpenAI | Intelligence artificielle générative") is a candidate, not a
label line, and a row the question names by its first cell is checked first, its clause brought in when
retrieval did not rank it."""

from __future__ import annotations

from typing import Any

import pytest
from assistant_fakes import FakeChecker, ScriptedChat, build_store

from assistant import Assistant
from assistant.rank import names_row
from ingest.tables import find_tables, row_key

TABLE = (
    "Sous-traitant\tFinalité\nMongoDB\tHébergement des bases\nAmazon Web Services (AWS)\tHébergement cloud\n"
)


@pytest.mark.parametrize(
    "question,key,named",
    [
        ("What does LEO Bizdev use Amazon Web Services for?", "Amazon Web Services (AWS)", True),
        ("Pour quoi LEO Bizdev utilise-t-il AWS ?", "Amazon Web Services (AWS)", True),
        ("À quoi sert MongoDB ?", "MongoDB", True),
        ("Quel est le délai de support ?", "Support", False),  # a common word, not written as a name
        ("What does Acme use Mongo for?", "MongoDB", False),  # part of a name is not the name
        ("What does Acme do with data?", "Acme", False),  # the vendor itself names no row
        ("Who is OK?", "OK", False),  # too short to name anything
    ],
)
def test_names_row(question: str, key: str, named: bool) -> None:
    assert names_row(question, key, "Acme") is named


def test_row_key_is_the_first_cell_of_one_row() -> None:
    tables = find_tables(TABLE)
    aws = TABLE.index("Amazon")
    assert row_key(tables, aws, TABLE.index("\n", aws)) == "Amazon Web Services (AWS)"
    assert row_key(tables, 0, len(TABLE)) is None  # several rows
    assert row_key([], 0, 5) is None


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_store(tmp_path_factory.mktemp("store"))


def test_a_named_row_is_checked_first_and_cited_as_written(built: Any) -> None:
    settings, store, emb = built
    checker = FakeChecker([(r"Sous-traitant: MongoDB; Finalité", 0.9)], default=0.05)
    chat = ScriptedChat(replies=["For hosting and securely managing its databases [1]."])
    asst = Assistant(settings, store=store, embeddings=emb, llm=chat, checker=checker, min_dense=0.0)
    ans = asst.answer("What does LEO Bizdev use MongoDB for?", vendors=["leo-bizdev"])
    # the row is shown to the checker with its columns named, and first
    assert checker.calls and checker.calls[0][1].startswith("Sous-traitant: MongoDB; Finalité:")
    assert not ans.abstained
    # the answer is the row's cells as the table writes them, each named by its column, not a model's wording
    assert ans.answer.startswith("Sous-traitant: MongoDB; Finalité: Hébergement et gestion sécurisée"), (
        ans.answer
    )
    assert not chat.calls
    row = ans.citations[0]
    assert row.quote == "MongoDB\tHébergement et gestion sécurisée des bases de données"
    assert store.document_text(row.document)[row.start : row.end] == row.quote


def test_a_list_question_over_a_table_keeps_the_rows_the_check_accepts(built: Any) -> None:
    """ "Which generative AI providers…?": the rows of the sub-processor table that the check accepts on
    their own (two of eight), after the sentence introducing the table; the others are left out."""
    from assistant.confidence import EngineConfig

    settings, store, emb = built
    checker = FakeChecker([(r"Finalité: Intelligence artificielle générative", 0.9)], default=0.05)
    asst = Assistant(
        settings,
        store=store,
        embeddings=emb,
        llm=ScriptedChat(replies=[]),  # a list is quoted: no wording asked for
        checker=checker,
        engine=EngineConfig(max_checks=60, abstain_below=0.3),
        min_dense=0.0,
    )
    ans = asst.answer("Which generative AI providers does LEO Bizdev list as sub-processors?", ["leo-bizdev"])
    quotes = [c.quote for c in ans.citations]
    assert quotes[0] == "La liste actuelle des sous-traitants secondaires est la suivante:"
    assert quotes[1:] == [
        "OpenAI\tIntelligence artificielle générative",
        "Anthropic\tIntelligence artificielle générative",
    ]
    assert ans.mode == "extractive" and ans.answer.count("\n- ") == 2
    text = store.document_text(ans.citations[0].document)
    assert all(text[c.start : c.end] == c.quote for c in ans.citations)


def test_items_among_others_are_candidates_but_a_lone_bullet_heading_is_not() -> None:
    from assistant.rank import among_items
    from assistant.spans import split_clause
    from core.types import Clause

    def spans(text: str) -> dict[str, bool]:
        c = Clause(
            id="x",
            vendor="a",
            vendor_name="A",
            document="a/t.txt",
            section="",
            start=0,
            end=len(text),
            text=text,
            language="en",
            ordinal=0,
            doc_sha256="x",
        )
        return {sp.text: among_items(sp) for sp in split_clause(c)}

    listed = spans(
        "It includes the following information:\n\n- Profile photo\n- Title\n-Company\n\nThen a paragraph."
    )
    assert listed == {
        "It includes the following information:": False,
        "- Profile photo": True,
        "- Title": True,
        "-Company": True,
        "Then a paragraph.": False,
    }
    headed = spans(
        "A paragraph.\n\n  • Backups\n\n  • Backup schedule\n\nThe provider copies the data daily."
    )
    assert headed["• Backups"] is False and headed["• Backup schedule"] is False
