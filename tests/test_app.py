"""The Streamlit page under AppTest, offline: the real Assistant with the hashing embedder and the fake
LLM, a copy of the sample corpus and a temporary store (settings come from the environment, as in prod)."""

from __future__ import annotations

import html
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from assistant_fakes import offline_settings
from streamlit.testing.v1 import AppTest

from core.settings import PROJECT_ROOT
from core.types import Answer
from ingest.pipeline import run_ingest
from ui import chat
from ui.render import anchor_id, chip_label

APP = str(PROJECT_ROOT / "app.py")
SAMPLE = PROJECT_ROOT / "data" / "contracts"
TIMEOUT = 60


@pytest.fixture(scope="module")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus ingested once with the hashing embedder; tests get a copy."""
    root = tmp_path_factory.mktemp("template")
    s = offline_settings(SAMPLE, root / "store")
    run_ingest(s, progress=False)
    return root / "store"


def _env(monkeypatch: pytest.MonkeyPatch, corpus: Path, store: Path) -> None:
    for k in ("CQA_SETTINGS", "LLM_BASE_URL", "VECTORSTORE_URL", "LLM_CHOICE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    monkeypatch.setenv("STORE_DIR", str(store))
    monkeypatch.setenv("CQA__EMBEDDING__KIND", "hashing")
    monkeypatch.setenv("CQA__LLM__PROVIDER", "fake")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(SAMPLE, dst)
    return dst


@pytest.fixture
def app(
    tmp_path: Path, corpus: Path, template_store: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppTest]:
    """The page over an already-ingested copy of the sample corpus."""
    store = tmp_path / "store"
    shutil.copytree(template_store, store)
    _env(monkeypatch, corpus, store)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    yield at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.sidebar.metric if m.label == label)


def _last_answer(at: AppTest) -> Answer:
    msg = at.session_state["messages"][-1]
    assert "answer" in msg, msg
    return msg["answer"]


def _ask(at: AppTest, question: str) -> Answer:
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    return _last_answer(at)


def _popover_labels(at: AppTest) -> list[str]:
    """Labels of every popover (citation chip) on the page, in order."""
    out: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and getattr(node, "type", "") == "popover":
            out.append(proto.popover.label)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def _html(at: AppTest) -> str:
    return "\n".join(h.value for h in at.get("html"))


def test_first_run_ingests_sample_corpus(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _env(monkeypatch, corpus, tmp_path / "store")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("First run" in i.value for i in at.info)
    assert at.get("progress"), "no progress bar during the first ingest"
    assert _metric(at, "Documents") == "13" and _metric(at, "Vendors") == "6"  # Basecamp has 8 documents
    assert int(_metric(at, "Clauses")) > 50
    per_vendor = at.sidebar.dataframe[0].value
    assert len(per_vendor) == 6 and per_vendor["Clauses"].sum() == int(_metric(at, "Clauses"))
    at.run()  # second run: nothing to ingest any more
    assert not any("First run" in i.value for i in at.info)


def test_ask_streams_answer_with_cited_quote(app: AppTest) -> None:
    ans = _ask(app, "How fast must Humanlinker notify a data breach?")
    assert ans.citations, ans
    assert len(app.chat_message) == 2 and app.chat_message[1].name == "assistant"
    # numbered chips match the citations, and each opens its clause with the quote highlighted
    labels = _popover_labels(app)
    assert [chip_label(c) for c in ans.citations] == labels[: len(ans.citations)]
    assert all(
        f":blue-badge[{c.n}]" in app.chat_message[1].markdown[0].value
        for c in ans.citations
        if f"[{c.n}]" in ans.answer
    )
    page_html = _html(app)
    for c in ans.citations:
        assert f"{html.escape(c.quote)}</mark>" in page_html
    # the history is replayed on the next run, with the same chips
    app.run()
    assert len(app.chat_message) == 2 and f"{html.escape(ans.citations[0].quote)}</mark>" in _html(app)


def test_vendor_filter_restricts_answers(app: AppTest) -> None:
    app.sidebar.multiselect(key="vendor_filter").set_value(["boost-my-mail"]).run()
    ans = _ask(app, "What is the liability cap?")
    assert ans.retrieved and {h.clause.vendor for h in ans.retrieved} == {"boost-my-mail"}
    assert all(c.vendor == "boost-my-mail" for c in ans.citations)


def test_follow_up_keeps_the_question_and_changes_vendor(app: AppTest) -> None:
    first = _ask(app, "How fast must Humanlinker notify a data breach?")
    assert {h.clause.vendor for h in first.retrieved[:1]} == {"humanlinker"}
    second = _ask(app, "and for Aura Digital?")
    assert second.retrieved and second.retrieved[0].clause.vendor == "aura-digital"
    assert len(app.session_state["messages"]) == 4


def test_unknown_vendor_is_abstained_and_styled_apart(app: AppTest) -> None:
    ans = _ask(app, "What is Salesforce's liability cap?")
    assert ans.abstained
    assert any(
        m.value.startswith(":orange-badge[") and "Not in the documents" in m.value for m in app.markdown
    )
    assert app.info, "abstained answers are shown in an info box"


def test_upload_into_new_vendor_then_remove(app: AppTest, corpus: Path) -> None:
    sb = app.sidebar
    sb.selectbox(key="up_vendor").set_value("➕ New vendor…").run()
    app.sidebar.text_input(key="up_new_name").input("Acme Cloud").run()
    body = (
        b"Article 1 - Notification\nAcme Cloud notifies the customer of any personal data breach "
        b"within 12 hours of becoming aware of it.\n"
    )
    app.sidebar.file_uploader(key="up_file").set_value(("acme-terms.txt", body, "text/plain")).run()
    app.sidebar.button(key="up_go").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert (corpus / "acme-cloud" / "acme-terms.txt").read_bytes() == body
    assert any("Added acme" in s.value for s in app.sidebar.success), [e.value for e in app.sidebar.error]
    app.run()
    assert _metric(app, "Documents") == "14" and _metric(app, "Vendors") == "7"
    assert "Acme Cloud" in app.sidebar.multiselect(key="vendor_filter").options
    # ... and it is answerable right away
    app.sidebar.multiselect(key="vendor_filter").set_value(["acme-cloud"]).run()
    ans = _ask(app, "How fast does Acme Cloud notify a breach?")
    assert ans.retrieved and ans.retrieved[0].clause.document == "acme-cloud/acme-terms.txt"
    # remove it: file deleted, store pruned
    app.sidebar.selectbox(key="rm_doc").set_value("acme-cloud/acme-terms.txt").run()
    app.sidebar.checkbox(key="rm_sure").check().run()
    app.sidebar.button(key="rm_go").click().run()
    assert not (corpus / "acme-cloud" / "acme-terms.txt").exists()
    app.run()
    assert _metric(app, "Documents") == "13"


def test_upload_refuses_path_names(app: AppTest, corpus: Path) -> None:
    app.sidebar.file_uploader(key="up_file").set_value(("../../evil.txt", b"x", "text/plain")).run()
    app.sidebar.button(key="up_go").click().run()
    assert any("Upload refused" in e.value for e in app.sidebar.error)
    assert not (corpus.parent / "evil.txt").exists() and not (corpus / "evil.txt").exists()


def test_comparison_table_and_exports(app: AppTest) -> None:
    app.multiselect(key="cmp_vendors").set_value(["humanlinker", "aura-digital"]).run()
    app.selectbox(key="cmp_topic").set_value("Personal data breach notification delay").run()
    app.button(key="cmp_go").click().run()
    assert not app.exception, [e.value for e in app.exception]
    ans: Answer = app.session_state["comparison"]
    assert [v.vendor for v in ans.comparison or []] == ["humanlinker", "aura-digital"]
    table = app.main.dataframe[0].value
    assert list(table["Vendor"]) == ["Humanlinker", "Aura Digital"]
    assert set(table.columns) >= {"Vendor", "Answer", "Citations", "Status"}
    keys = {b.key for b in app.get("download_button")}
    assert {"cmp_csv", "cmp_md"} <= keys


def _iframes(at: AppTest) -> list[str]:
    return [el.proto.srcdoc for el in at.get("iframe")]


def test_documents_tab_shows_escaped_text_with_highlight(app: AppTest) -> None:
    app.selectbox(key="doc_pick").set_value("humanlinker/cgu-and-dpa.txt").run()
    app.text_input(key="doc_find").input("48 heures ouvrées").run()
    docs = _iframes(app)
    assert len(docs) == 1
    assert ">48 heures ouvrées</mark>" in docs[0]
    assert docs[0].count("<script>") == 1  # ours (scroll to the mark); the document text is escaped
    assert "Le Sous-traitant s’engage à notifier au Client" in docs[0]


def test_citation_opens_full_document_at_the_quote(app: AppTest) -> None:
    ans = _ask(app, "How fast must Humanlinker notify a data breach?")
    c = ans.citations[0]
    app.button(key=f"m1-open-{c.n}").click().run()
    assert not app.exception, [e.value for e in app.exception]
    docs = _iframes(app)
    assert docs, "the document viewer did not open"
    assert f'<mark id="{anchor_id(c)}"' in docs[-1] and f"{html.escape(c.quote)}</mark>" in docs[-1]


def test_llm_failure_is_explained_and_clauses_still_shown(
    tmp_path: Path, corpus: Path, template_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    shutil.copytree(template_store, store)
    _env(monkeypatch, corpus, store)
    monkeypatch.setenv("CQA__LLM__PROVIDER", "openai")
    monkeypatch.setenv("CQA__LLM__BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("CQA__LLM__TIMEOUT_S", "3")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert at.sidebar.radio(key="llm_choice").options == ["Configured endpoint"]
    at.chat_input(key="question").set_value("How fast must Humanlinker notify a data breach?").run()
    assert not at.exception, [e.value for e in at.exception]
    last = at.session_state["messages"][-1]
    if "answer" in last:  # the assistant fell back to an extractive answer itself
        assert last["answer"].mode == "extractive" and last["answer"].citations
        assert any("Quoted from the contract" in m.value for m in at.markdown)
        why = next(e for e in at.expander if e.label == "Why this answer")
        assert why.markdown[0].value.strip()
    else:  # the page caught the failure: plain error, what to do, and the retrieved clauses
        assert any("LLM_BASE_URL" in e.value.replace("\\", "") for e in at.error), [e.value for e in at.error]
        assert last["hits"] and len(at.expander) >= len(last["hits"])
        assert last["hits"][0].clause.text[:40] in html.unescape(_html(at))  # clause text, escaped HTML


def test_unreachable_store_is_explained(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _env(monkeypatch, corpus, tmp_path / "store")
    monkeypatch.setenv("VECTORSTORE_URL", "http://127.0.0.1:9")  # no Chroma server there
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "VECTORSTORE_URL" in at.error[0].value.replace("\\", "")
    assert not at.get("chat_input")


def _answer_page(answer: object) -> None:  # runs as its own script: builtin hints only
    from ui.components import render_answer

    render_answer(None, answer, key="t")  # type: ignore[arg-type]  # no citations: no services needed


def test_empty_model_answer_is_flagged_with_the_retrieved_clauses() -> None:
    from core.types import Clause, Hit

    clause = Clause(
        id="c",
        vendor="hl",
        vendor_name="Humanlinker",
        document="hl/x.txt",
        section="Art. 9",
        start=0,
        end=20,
        text="<b>48 heures</b> max",
        language="fr",
        ordinal=0,
        doc_sha256="s",
    )
    ans = Answer(question="q", answer="  ", abstained=False, retrieved=[Hit(clause, 1.0)])
    at = AppTest.from_function(_answer_page, args=(ans,), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.warning and "no usable answer" in at.warning[0].value
    assert "&lt;b&gt;48 heures&lt;/b&gt; max" in _html(at) and "<b>" not in _html(at)


def _texts(at: AppTest) -> list[str]:
    """Every Markdown and caption text on the page, backslash escapes removed."""
    return [m.value.replace("\\", "") for m in [*at.markdown, *at.caption]]


def test_answer_reads_for_a_person_and_keeps_notes_apart() -> None:
    note = "retry: figure(s) Sixty, 60 not found in the cited passage(s)"
    ans = Answer(
        question="How fast?",
        answer="Within 48 business hours.",
        abstained=False,
        confidence=0.93,
        explanation="Article 9 of the DPA sets the delay; the checker read that sentence.",
        warnings=[note, "extractive fallback: NOT_FOUND"],
        model={"llm": "qwen-test"},
        timings_ms={"total": 2500.0},
    )
    at = AppTest.from_function(_answer_page, args=(ans,), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = _texts(at)
    assert texts[0] == "Within 48 business hours."  # the short answer comes first
    assert any("Very likely right: an estimated 93% chance that this answer is right." in t for t in texts)
    labels = [e.label for e in at.expander]
    assert labels == ["Why this answer", "Technical details"]
    why, tech = at.expander
    assert why.markdown[0].value.replace("\\", "") == ans.explanation
    details = tech.markdown[0].value.replace("\\", "")
    assert note in details and "qwen-test" in details and "total 2.50 s" in details
    # the internal notes are nowhere outside the collapsed technical details
    outside = [t for t in texts if t != tech.markdown[0].value.replace("\\", "")]
    assert not any("retry:" in t or "NOT_FOUND" in t for t in outside), outside


def _captions(at: AppTest) -> list[str]:
    return [c.value.replace("\\", "") for c in at.caption]


def test_interrupted_answer_is_asked_again_in_order(app: AppTest) -> None:
    """A run stopped mid-answer leaves its question pending with one ask: the next run asks it again
    before the question typed after it, and both answers land in the transcript, in order."""
    q1, q2 = "How fast must Humanlinker notify a data breach?", "What is Boost My Mail's liability cap?"
    first = chat.Pending(q1, asks=1)
    app.session_state["pending"] = [first, chat.Pending(q2)]
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    msgs = app.session_state["messages"]
    assert [m.get("content") for m in msgs if m["role"] == "user"] == [q1, q2]
    assert [m["answer"].question for m in msgs if "answer" in m] == [q1, q2]
    assert app.session_state["pending"] == []
    assert len(app.chat_message) == 4
    assert not any("Queued" in c or "Asking again" in c for c in _captions(app))


def test_question_interrupted_twice_stays_with_ask_again(app: AppTest) -> None:
    q = "How fast must Humanlinker notify a data breach?"
    app.session_state["pending"] = [chat.Pending(q, asks=chat.MAX_ASKS)]
    app.run()
    msgs = app.session_state["messages"]
    assert msgs[0] == {"role": "user", "content": q} and msgs[1]["retry"] == q
    assert any("interrupted twice" in e.value for e in app.error)
    app.button(key="m1-retry").click().run()
    assert not app.exception, [e.value for e in app.exception]
    msgs = app.session_state["messages"]
    assert len(msgs) == 4 and msgs[2]["content"] == q and msgs[3]["answer"].question == q
    assert "retry" not in msgs[1] and not any(b.key == "m1-retry" for b in app.button)  # asked once more


def test_question_waits_for_the_server_lock_then_is_answered(app: AppTest) -> None:
    """Another session holds the model lock: the question is counted as waiting on the server, then
    answered once the lock is free, and no queue line remains on the page."""
    from ui.services import model_gate

    lock, queue = model_gate()
    q = "How fast must Humanlinker notify a data breach?"
    lock.acquire()
    try:
        runner = threading.Thread(target=lambda: app.chat_input(key="question").set_value(q).run())
        runner.start()
        deadline = time.monotonic() + TIMEOUT
        while queue.snapshot()[0] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert queue.snapshot()[0] == 1, "the question was not counted as waiting"
        assert app.session_state["pending"][0].question == q  # kept while it waits
    finally:
        lock.release()
    runner.join(timeout=TIMEOUT)
    assert not runner.is_alive() and not app.exception, [e.value for e in app.exception]
    assert queue.snapshot()[0] == 0 and queue.ahead() == 0
    assert _last_answer(app).question == q and app.session_state["pending"] == []
    assert not any("Queued" in c for c in _captions(app))


def test_question_answered_by_another_run_meanwhile_is_not_asked_again(app: AppTest) -> None:
    """Streamlit starts a new run before a stopped one has unwound: when the question this run waits to
    ask was stored meanwhile (it leaves the queue), the run skips it instead of asking the model again."""
    from ui.services import model_gate

    lock, queue = model_gate()
    timed = queue.snapshot()[3]
    lock.acquire()
    try:
        runner = threading.Thread(target=lambda: app.chat_input(key="question").set_value("Q?").run())
        runner.start()
        deadline = time.monotonic() + TIMEOUT
        while queue.snapshot()[0] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert queue.snapshot()[0] == 1
        app.session_state["pending"].clear()  # what the other run does when it stores the answer
    finally:
        lock.release()
    runner.join(timeout=TIMEOUT)
    assert not runner.is_alive() and not app.exception, [e.value for e in app.exception]
    assert app.session_state["messages"] == [] and app.session_state["pending"] == []
    assert queue.snapshot()[3] == timed, "the model was asked (an answer was timed)"
