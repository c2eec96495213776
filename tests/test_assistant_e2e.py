"""End to end with the real models (EmbeddingGemma + the local GGUF LLM) on the configured store.
Run with `pytest -m slow tests/test_assistant_e2e.py` after `python -m ingest`."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def asst():
    from assistant import Assistant
    from core.settings import load_settings

    settings = load_settings(**({"llm.choice": os.environ["E2E_LLM_CHOICE"]}
                                if os.environ.get("E2E_LLM_CHOICE") else {}))
    a = Assistant(settings)
    if a.store.count() == 0:
        pytest.skip("the store is empty: run `python -m ingest` first")
    if not settings.llm.model_path.exists() and settings.llm.provider == "llamacpp":
        pytest.skip(f"model file missing: {settings.llm.model_path}")
    return a


def verbatim(a, ans) -> bool:
    return all(a.store.document_text(c.document)[c.start:c.end] == c.quote for c in ans.citations)


def test_humanlinker_breach_deadline(asst) -> None:
    ans = asst.answer("How quickly must Humanlinker notify a personal data breach?")
    assert not ans.abstained and ans.mode in ("generated", "extractive")
    assert "48" in ans.answer or "forty-eight" in ans.answer.lower()
    assert any("48 heures ouvrées" in c.quote for c in ans.citations)
    assert verbatim(asst, ans)
    assert {"retrieve", "generate", "total", "first_token"} <= set(ans.timings_ms)


def test_boost_my_mail_liability_cap_in_french(asst) -> None:
    ans = asst.answer("Quel est le plafond de responsabilité de Boost My Mail ?")
    assert not ans.abstained and ans.language == "fr"
    assert any("douze (12) mois" in c.quote for c in ans.citations)
    assert "12" in ans.answer or "douze" in ans.answer.lower()
    assert verbatim(asst, ans)


def test_english_question_on_a_french_document(asst) -> None:
    ans = asst.answer("How long does LEO Bizdev keep data after the account is closed?")
    assert not ans.abstained and ans.vendors == ["leo-bizdev"]
    assert any("trois (3) mois" in c.quote for c in ans.citations)
    assert "3" in ans.answer or "three" in ans.answer.lower() or "trois" in ans.answer.lower()
    assert verbatim(asst, ans)


def test_unknown_vendor_abstains(asst) -> None:
    ans = asst.answer("What is Salesforce's liability cap?")
    assert ans.abstained and not ans.citations


def test_unanswerable_question_abstains_or_quotes(asst) -> None:
    ans = asst.answer("What colour is Humanlinker's logo?")
    # the model must not invent: either it abstains, or every figure it gives was verified
    assert ans.abstained or ans.mode in ("generated", "extractive")
    assert verbatim(asst, ans)
    if not ans.abstained:
        from assistant.citations import check_answer

        assert ans.mode == "extractive" or check_answer(ans.answer, ans.citations, asst.store.document_text).ok
