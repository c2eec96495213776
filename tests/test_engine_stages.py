"""The answer engine's stages one by one, with fakes: the ranker's features, the check's output parsing
(logits/logprobs yes/no, none, garbage, a provider without logprobs), the key phrase of a one-quote
answer, the say stage's wording checks, two-ask splitting, the LangChain adapters, and the assistant's
caches after an ingest through the page's services."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from assistant_fakes import FakeChecker, ScriptedChat, build_store, offline_settings
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from assistant import Assistant
from assistant.check import LogprobsChecker, ParsedChecker, make_checker, verdict_from_logprobs
from assistant.outcomes import key_phrase, marked_quote
from assistant.prompts import load_prompt
from assistant.rank import question_types, rank, type_match
from assistant.say import missing_key_fact, normalise
from assistant.scope import split_asks
from assistant.spans import split_clause
from core.text import sentence_spans
from core.types import Clause
from ingest.loaders import is_supported, load_bytes

ROOT = Path(__file__).resolve().parents[1]
PROMPT = load_prompt("engine.v1")


def clause(text: str, section: str = "Violations de données", vendor: str = "acme") -> Clause:
    return Clause(
        id=f"{vendor}-0",
        vendor=vendor,
        vendor_name=vendor.title(),
        document=f"{vendor}/terms.txt",
        section=section,
        start=0,
        end=len(text),
        text=text,
        language="fr",
        ordinal=0,
        doc_sha256="x",
    )


# ----------------------------------------------------------------------------- rank
@pytest.mark.parametrize(
    "question,expected",
    [
        ("How quickly must Humanlinker notify a data breach?", "duration"),
        ("Combien de jours de préavis pour résilier ?", "duration"),
        ("Quel est le plafond de responsabilité de Boost My Mail ?", "amount"),
        ("What availability does Aura Digital guarantee?", "percent"),
        ("Where are LEO Bizdev's data hosted?", "place"),
        ("Who is Humanlinker's DPO?", "who"),
        ("Which court has jurisdiction over disputes with Boost My Mail?", "law"),
    ],
)
def test_question_types(question: str, expected: str) -> None:
    assert expected in question_types(question)


def test_combien_de_jours_is_a_duration_not_an_amount() -> None:
    assert question_types("Combien de jours pour payer une facture ?") == ["duration"]


def test_type_match_needs_the_kind_of_fact_asked_for() -> None:
    assert type_match(["duration"], "au plus tard 48 heures ouvrées après en avoir pris connaissance") == 1.0
    assert type_match(["duration"], "Le Sous-traitant notifie toute violation de données.") == 0.0
    assert type_match(["amount"], "plafonnée au montant de 1 000 € HT") == 1.0
    assert type_match(["place"], "Les données sont hébergées en France.") == 1.0
    assert type_match([], "48 heures") == 0.0


def test_rank_prefers_the_sentence_with_the_asked_fact() -> None:
    text = (
        "Le Sous-traitant notifie au Client toute violation de données à caractère personnel. "
        "La notification intervient au plus tard 48 heures ouvrées après en avoir pris connaissance."
    )
    spans = split_clause(clause(text))
    assert len(spans) == 2
    w = {"dense": 0.0, "lexical": 0.0, "section": 0.0, "qtype": 1.0, "rank": 0.0, "figure": 0.0, "short": 0.0}
    best = rank(spans, "How quickly must a breach be notified?", w)[0]
    assert "48 heures" in best.span.text and best.score == pytest.approx(1.0)
    # the sentence similarity feature, when given, is used with its weight
    best2 = rank(spans, "notification", {**w, "qtype": 0.0, "sentence": 1.0}, sentence_sims=[0.9, 0.1])[0]
    assert best2.span.text.startswith("Le Sous-traitant")


# ----------------------------------------------------------------------------- check
def lp(*pairs: tuple[str, float]) -> dict[str, Any]:
    return {
        "content": [
            {
                "token": pairs[0][0],
                "logprob": pairs[0][1],
                "top_logprobs": [{"token": t, "logprob": v} for t, v in pairs],
            }
        ]
    }


def test_verdict_from_logprobs() -> None:
    assert verdict_from_logprobs(lp(("yes", math.log(0.9)), ("no", math.log(0.1)))) == pytest.approx(0.9)
    assert verdict_from_logprobs(lp((" No", math.log(0.7)), ("Yes", math.log(0.2)))) == pytest.approx(
        0.2 / 0.9
    )
    assert verdict_from_logprobs(lp(("oui", -0.1))) == pytest.approx(1.0)
    assert verdict_from_logprobs(lp(("maybe", -0.1), ("perhaps", -2.0))) is None  # garbage: no yes/no
    assert verdict_from_logprobs(None) is None
    assert verdict_from_logprobs({"content": []}) is None


class LogprobChat(BaseChatModel):
    """A chat model that answers with given content and logprobs in response_metadata (as ChatOpenAI)."""

    content: str = "yes"
    logprobs: dict[str, Any] | None = None
    seen_kwargs: list[dict[str, Any]] = []

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen_kwargs.append(dict(kwargs))
        meta = {"logprobs": self.logprobs} if self.logprobs is not None else {}
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content=self.content, response_metadata=meta))]
        )

    @property
    def _llm_type(self) -> str:
        return "logprob-chat"


def test_logprobs_checker_reads_the_probability() -> None:
    llm = LogprobChat(content="no", logprobs=lp(("no", math.log(0.75)), ("yes", math.log(0.25))))
    v = LogprobsChecker(llm, PROMPT).check("How fast?", "Within 48 hours.", "Acme")
    assert v.p_yes == pytest.approx(0.25) and v.calibrated
    assert llm.seen_kwargs[-1].get("logprobs") is True and llm.seen_kwargs[-1].get("max_tokens") == 1


def test_provider_without_logprobs_falls_back_to_a_parsed_reply() -> None:
    v = LogprobsChecker(LogprobChat(content="Yes.", logprobs=None), PROMPT).check("q", "s", "l")
    assert v.p_yes == 1.0 and not v.calibrated


@pytest.mark.parametrize(
    "reply,p",
    [
        ("yes", 1.0),
        ("Yes, it does.", 1.0),
        ("Oui", 1.0),
        ("no", 0.0),
        ("Non.", 0.0),
        ("I think so", 0.0),
        ("", 0.0),
        ("yesterday", 0.0),
    ],
)
def test_parsed_checker(reply: str, p: float) -> None:
    v = ParsedChecker(ScriptedChat(replies=[reply]), PROMPT).check("q", "s", "l")
    assert v.p_yes == p and not v.calibrated


def test_check_prompt_puts_the_question_before_the_sentence() -> None:
    llm = ScriptedChat(replies=["yes"])
    ParsedChecker(llm, PROMPT).check("How fast must Acme notify?", "Within 48 hours.", "Acme")
    system, user = (str(m.content) for m in llm.calls[-1])
    assert system == PROMPT.render("system")  # shared with the say stage: one cached prefix
    assert user.index("How fast must Acme notify?") < user.index("Within 48 hours.")


def test_make_checker_picks_by_model_kind() -> None:
    assert isinstance(make_checker(ScriptedChat(replies=[]), PROMPT), ParsedChecker)


# ----------------------------------------------------------------------------- outcomes and say
@pytest.mark.parametrize(
    "text,types,phrase",
    [
        (
            "au plus tard, 48 heures ouvrées après en avoir pris connaissance",
            ["duration"],
            "48 heures ouvrées",
        ),
        ("dans un délai de trente (30) jours calendaires", ["duration"], "trente (30) jours calendaires"),
        ("un taux de disponibilité de 99 % du temps", ["percent"], "99 %"),
        ("les tribunaux de Paris seront seuls compétents", ["law"], "tribunaux"),
        ("hébergées en France, au sein de l'Union Européenne", ["place"], "France"),
    ],
)
def test_key_phrase(text: str, types: list[str], phrase: str) -> None:
    span = key_phrase(text, types)
    assert span is not None and text[span[0] : span[1]] == phrase


def test_marked_quote_is_one_line_with_the_key_phrase_in_bold() -> None:
    q = marked_quote("Le Sous-traitant notifie,\n au plus tard, 48 heures ouvrées après.", ["duration"])
    assert q == "« Le Sous-traitant notifie, au plus tard, **48 heures ouvrées** après. »"


@pytest.mark.parametrize(
    "text,types,bold",
    [
        # an area's name, not its first letters: "outside the EU" once matched inside "European"
        (
            "The Provider may not transfer data to a country outside the European Union without consent.",
            ["place"],
            "outside the European Union",
        ),
        ("Transfers to recipients outside the European Economic Area are framed.", ["place"], None),
        ("Data stays in the EU.", ["place"], "EU"),
        # an e-mail address whole, not "@" and its first letter
        ("Write to privacy@acme-cloud.com or to our DPO.", ["who"], "privacy@acme-cloud.com"),
        (
            "Notre délégué est la société Dataguard SAS, joignable à dpo@dataguard.fr.",
            ["who"],
            "Dataguard SAS",
        ),
    ],
)
def test_the_bold_key_phrase_is_whole_words(text: str, types: list[str], bold: str | None) -> None:
    q = marked_quote(text, types)
    inside = q.split("**")[1]
    assert bold is None or inside == bold
    head, tail = q.split("**")[0], q.split("**")[2]
    assert not (head[-1:].isalnum() and inside[:1].isalnum()), q
    assert not (inside[-1:].isalnum() and tail[:1].isalnum()), q


def test_no_key_phrase_of_the_sample_corpus_cuts_a_word() -> None:
    """Every sentence of the shipped documents, for every kind of fact a question may ask for."""
    n = 0
    for path in sorted((ROOT / "data" / "contracts").rglob("*")):
        if not is_supported(path):
            continue
        text = load_bytes(path.read_bytes(), path.suffix)
        for s, e in sentence_spans(text):
            one = " ".join(text[s:e].split())
            for types in (["place"], ["duration"], ["amount"], ["percent"], ["law"], ["who"], []):
                span = key_phrase(one, types)
                if span is None:
                    continue
                n += 1
                a, b = span
                assert not (0 < a and one[a - 1].isalnum() and one[a].isalnum()), one[a - 20 : b + 20]
                assert not (b < len(one) and one[b - 1].isalnum() and one[b].isalnum()), one[a - 20 : b + 20]
    assert n > 1000  # the documents were read


def test_normalise_wording() -> None:
    assert normalise("[1] The cap is 12 months of fees.", 1) == "The cap is 12 months of fees. [1]"
    assert normalise("Within 48 hours [Extract 1].", 1) == "Within 48 hours [1]."
    assert normalise("Within 48 hours.", 1) == "Within 48 hours. [1]"  # one source: attributed to it
    assert normalise("Within 48 hours.", 2) == "Within 48 hours."  # two: never guessed
    assert normalise("[2] Acme | Breach :: Within 48 hours.", 2) == "Within 48 hours. [2]"


def test_missing_key_fact() -> None:
    spans = split_clause(clause("La notification intervient au plus tard 48 heures ouvrées après."))
    assert missing_key_fact("Acme notifies the client of breaches [1].", spans, ["duration"])
    assert not missing_key_fact("Within 48 business hours [1].", spans, ["duration"])
    place = split_clause(clause("Les données sont hébergées en France chez OVH."))
    assert missing_key_fact("The data are hosted in a data centre [1].", place, ["place"])
    assert not missing_key_fact("The data are hosted in France [1].", place, ["place"])
    outside = split_clause(clause("No data is transferred outside the European Union."))
    assert not missing_key_fact("Acme keeps data inside the EU [1].", outside, ["place"])  # its initials
    assert missing_key_fact("Acme keeps data where it likes [1].", outside, ["place"])


@pytest.mark.parametrize(
    "question,n",
    [
        ("How quickly must Humanlinker notify a breach, and what is its liability cap?", 2),
        ("Quel est le délai de préavis et quel tribunal est compétent ?", 2),
        ("What is the cap? Which court?", 2),
        ("What are the terms and conditions of Boost My Mail?", 1),
        ("How quickly must Humanlinker notify a breach?", 1),
        (
            "Who should receive LEO Bizdev breach notifications, and within how many hours must it report one?",
            2,
        ),
        ("Where does the provider host data, and with which main hosting subcontractor?", 2),
        ("Quel est le plafond et dans quel délai faut-il réclamer ?", 2),
        ("Can data be transferred to the US and in which cases?", 2),
        ("Which courts in Paris and Lyon are competent?", 1),
        ("Puis-je transférer mon contrat à une autre société, et le Fournisseur peut-il céder le sien ?", 2),
        ("Le client et le fournisseur peuvent-ils résilier le contrat ?", 1),  # one subject, no second ask
        ("After how long can the vendor close an inactive account? Give every case.", 1),  # an instruction
    ],
)
def test_split_asks(question: str, n: int) -> None:
    assert len(split_asks(question)) == n


@pytest.mark.parametrize(
    "question,first",
    [
        (
            "Avec quel préavis et par quel moyen le Prestataire prévient-il ses clients d'une hausse de prix ?",
            "Avec quel préavis le Prestataire prévient-il ses clients d'une hausse de prix ?",
        ),
        (
            "Within what period and by which means must the Provider report an incident?",
            "Within what period must the Provider report an incident?",
        ),
        # the first ask has its own predicate: it keeps it
        ("Quel est le plafond et dans quel délai faut-il réclamer ?", "Quel est le plafond ?"),
    ],
)
def test_two_question_words_share_the_predicate(question: str, first: str) -> None:
    """An ask that is a bare question word ("Avec quel préavis") borrows the predicate of the ask after it,
    so that each ask can be checked on its own."""
    asks = split_asks(question)
    assert asks[0] == first and len(asks) == 2


@pytest.mark.parametrize(
    "question,second",
    [
        # after a closed first ask: the whole of it
        (
            "Can the client inspect the data centre, and under what conditions?",
            "under what conditions can the client inspect the data centre ?",
        ),
        (
            "Le Fournisseur peut-il augmenter ses prix en cours d'année, et avec quel préavis ?",
            "avec quel préavis Le Fournisseur peut-il augmenter ses prix en cours d'année ?",
        ),
        # after an open English one: its predicate, after the auxiliary, with the words before it
        (
            "Under the master agreement, which records may the supplier keep, and for how long?",
            "Under the master agreement, for how long may the supplier keep ?",
        ),
        (
            "Where does the vendor store backups, and with which provider?",
            "with which provider does the vendor store backups ?",
        ),
        # after an open French one: its subject and inverted verb, and what follows
        (
            "Dans le SLA de X, à partir de quelle durée de panne un crédit est-il accordé, et de quel montant ?",
            "Dans le SLA de X, de quel montant un crédit est-il accordé ?",
        ),
        (
            "Dans quel délai Acme doit-il notifier une violation, et par quel moyen ?",
            "par quel moyen Acme doit-il notifier une violation ?",
        ),
        # a second ask with a verb of its own, or after a first ask with no auxiliary, is kept as it is
        ("What is the notice period, and which court has jurisdiction?", "which court has jurisdiction?"),
        ("Quel est le préavis, et quel tribunal est compétent ?", "quel tribunal est compétent ?"),
        ("When are backups deleted from active systems, and when from archives?", "when from archives?"),
        ("Can the client buy extra seats, and what it costs?", "what it costs?"),
    ],
)
def test_a_verbless_second_ask_takes_the_first_ask_s_predicate(question: str, second: str) -> None:
    """ "…, and under what conditions?" cannot be retrieved or checked on its own: it is completed with the
    first ask's predicate, and the first ask stays as it was."""
    asks = split_asks(question)
    assert len(asks) == 2 and asks[1] == second
    assert asks[0] == question.split(", and")[0].split(", et")[0] + " ?"


@pytest.mark.parametrize(
    "question,second",
    [
        # a frame that opens the question scopes both asks
        (
            "Under the provider's DPA, how quickly must a complaint be passed on, and within how many days is"
            " the copy deleted after the contract ends?",
            "Under the provider's DPA, within how many days is the copy deleted after the contract ends?",
        ),
        (
            "Chez Acme, quel préavis faut-il donner avant un audit, et de combien de jours dispose le client"
            " pour s'opposer ?",
            "Chez Acme, de combien de jours dispose le client pour s'opposer ?",
        ),
        (  # a subordinate clause is a frame too, before a closed first ask
            "Lors d'un audit sur site, le prestataire peut-il fermer certaines zones, et qui paie la mise en"
            " conformité ?",
            "Lors d'un audit sur site, qui paie la mise en conformité ?",
        ),
        (  # a name that opens the second ask keeps its capital
            "Pour un contrat annuel, puis-je céder mon contrat, et Boost My Mail peut-il céder le sien ?",
            "Pour un contrat annuel, Boost My Mail peut-il céder le sien ?",
        ),
        # no frame: a comma inside the question itself, or a second ask with its own frame
        ("What is the cap, in euros, and which court has jurisdiction?", "which court has jurisdiction?"),
        (
            "Under the DPA, what is the cap? Under the terms, which court has jurisdiction?",
            "Under the terms, which court has jurisdiction ?",
        ),
    ],
)
def test_a_frame_scopes_both_asks(question: str, second: str) -> None:
    """ "Under X's DPA, A, and B?" asks B under X's DPA too: the second ask carries the frame, so that it is
    retrieved and checked in the same document and case as the first."""
    asks = split_asks(question)
    assert len(asks) == 2 and asks[1] == second


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        (
            "Quand dois-je payer la redevance avec un contrat annuel, et avec un contrat mensuel ?",
            [
                "Quand dois-je payer la redevance avec un contrat annuel ?",
                "Quand dois-je payer la redevance avec un contrat mensuel ?",
            ],
        ),
        (
            "Which law governs the contract for customers in the EU, and for customers in the US?",
            [
                "Which law governs the contract for customers in the EU ?",
                "Which law governs the contract for customers in the US ?",
            ],
        ),
        # a question word, a verb of its own, or a preposition the first ask lacks: another ask
        (
            "Which law applies to customers in France, and in which courts?",
            ["Which law applies to customers in France ?", "in which courts?"],
        ),
        (
            "Which law governs the contract, and for how long is it signed?",
            ["Which law governs the contract ?", "for how long is it signed?"],
        ),
        (
            "Who hosts the data for customers in the EU, and for others?",
            ["Who hosts the data for customers in the EU ?", "Who hosts the data for others ?"],
        ),
        (
            "Dans quels cas et au bout de combien de temps Acme peut-il fermer un compte ?",
            [
                "Dans quels cas Acme peut-il fermer un compte ?",
                "au bout de combien de temps Acme peut-il fermer un compte ?",
            ],
        ),
        (
            "Quel est le préavis de résiliation, et pour les contrats en cours ?",
            ["Quel est le préavis de résiliation, et pour les contrats en cours ?"],
        ),
        # prepositions of time before the question word, and a phrase of up to two words after "how long"
        (
            "In which cases, and after how long, can Acme close an account?",
            ["In which cases can Acme close an account?", "after how long can Acme close an account?"],
        ),
        (
            "Does Acme keep backups, and for how long at most?",
            ["Does Acme keep backups ?", "for how long at most does Acme keep backups ?"],
        ),
        (
            "Acme peut-il conserver des logs, et pendant combien de temps au maximum ?",
            [
                "Acme peut-il conserver des logs ?",
                "pendant combien de temps au maximum Acme peut-il conserver des logs ?",
            ],
        ),
        (
            "Does Acme keep backups, and during which period?",
            ["Does Acme keep backups ?", "during which period does Acme keep backups ?"],
        ),
    ],
)
def test_the_same_question_asked_for_two_cases(question: str, asks: list[str]) -> None:
    """ ", and with a monthly one?" asks the first question again for another case: the second ask is the
    first with its last phrase of that preposition replaced."""
    assert split_asks(question) == asks


# ----------------------------------------------------------------------------- assistant-level
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return build_store(tmp_path_factory.mktemp("store"))


def test_langchain_retriever_and_runnable(built) -> None:
    settings, store, emb = built
    asst = Assistant(
        settings,
        store=store,
        embeddings=emb,
        llm=ScriptedChat(replies=["Within 48 business hours [1]."] * 2),
        checker=FakeChecker([("48 heures ouvrées", 0.9)]),
    )
    docs = asst.as_retriever(vendors=["humanlinker"]).invoke("data breach notification deadline")
    assert docs and all(d.metadata["vendor"] == "humanlinker" for d in docs)
    d = docs[0]
    assert (
        store.document_text(d.metadata["document"])[d.metadata["start"] : d.metadata["end"]] == d.page_content
    )
    out = asst.as_runnable().batch(
        [
            "How quickly must Humanlinker notify a data breach?",
            {
                "question": "Sous quel délai Humanlinker notifie-t-il une violation de données ?",
                "vendors": ["humanlinker"],
            },
        ]
    )
    assert [a.mode for a in out] == ["generated", "generated"]


def test_corpus_changes_are_seen_at_once(tmp_path: Path, sample_corpus_copy: Path) -> None:
    """A vendor added through the page (run_ingest on the shared store, as ui.components.run_ingest_ui
    does) is known to the very next question: the assistant's caches follow the store's generation."""
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import make_embeddings
    from vectorstore.store import ClauseStore

    settings = offline_settings(sample_corpus_copy, tmp_path / "store")
    emb = make_embeddings(settings.embedding)
    store = ClauseStore(settings, emb)
    run_ingest(settings, embeddings=emb, store=store, progress=False)
    asst = Assistant(
        settings,
        store=store,
        embeddings=emb,
        llm=ScriptedChat(replies=["Thirty (30) calendar days [1]."] * 2),
        checker=FakeChecker(default=0.9),
        min_dense=-1.0,  # the English test embedder barely relates the question to the French clause
    )
    first = asst.answer("What is Zorglub Cloud's notice period?")
    assert "zorglub-cloud" not in first.vendors
    new = sample_corpus_copy / "zorglub-cloud"
    new.mkdir()
    (new / "vendor.yaml").write_text("name: Zorglub Cloud\n", encoding="utf-8")
    (new / "terms.txt").write_text(
        "Résiliation\n\nLe Client peut résilier le contrat avec un préavis de "
        "trente (30) jours calendaires notifié par écrit.\n",
        encoding="utf-8",
    )
    run_ingest(settings, paths=[new / "terms.txt"], embeddings=emb, store=store, progress=False)
    second = asst.answer("What is Zorglub Cloud's notice period?")
    assert second.vendors == ["zorglub-cloud"] and not second.abstained, (
        second.warnings,
        [(h.clause.vendor, h.clause.text[:60]) for h in second.retrieved],
    )
    assert "trente (30) jours" in second.citations[0].quote


@pytest.mark.parametrize(
    "text,title",
    [
        ("19. Droit applicable et juridiction compétente", True),
        ("ARTICLE 13. RESPONSABILITES", True),
        ("4.2. MODALITÉS DE RÉSILIATION", True),
        ("• SORT DES DONNEES PERSONNELLES A LA FIN DES SERVICES", True),
        ("OBLIGATIONS OF THE CONTROLLER TOWARDS THE PROCESSOR", True),
        ("Version française - LEO Bizdev", True),
        ("Droit français. Tribunaux compétents de Paris.", False),
        ("Préavis 30 jours par e-mail.", False),
        ("Stripe traite les paiements de manière sécurisée.", False),
        (
            "L’EXECUTION OU LA CESSATION DU CONTRAT, SERA SOUMIS AUX TRIBUNAUX COMPETENTS DE NANTES, Y COMPRIS EN "
            "CAS DE PLURALITE DE DEFENDEURS.",
            False,
        ),
        ("Le Client souscrit à un Contrat d’une durée d’un (1) an.", False),
        # a Markdown title is a heading even with a figure in it
        ("## 12-month refunds", True),
        ("### What happens if uptime falls below 99.9%?", True),
        ("#1 in customer satisfaction, we refund within 30 days.", False),
    ],
)
def test_headings_are_never_candidates(text: str, title: bool) -> None:
    from core.text import is_heading

    assert is_heading(text, labels=True) is title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Transferts internationaux des données par Aura Digital", True),  # a label line of the corpus
        ("- the secure storage and hosting of data", False),  # a list item: a possible answer
        ("• hébergement des données chez OVH à Roubaix", False),
        ("Les données ne sont pas transférées hors de l'UE.", False),  # a sentence
        ("Where is the data stored?", True),  # a question used as a heading (a question is no answer)
        ("Adresse aura digital 76 rue d'anvers 69007 Lyon", False),  # an address holds a figure
    ],
)
def test_a_short_unpunctuated_line_of_its_own_is_a_heading(text: str, title: bool) -> None:
    from core.text import is_heading

    assert is_heading(text, own_line=True, labels=True) is title
    if text.startswith("Transferts"):
        assert not is_heading(
            text, labels=True
        )  # inside a paragraph the same words may be a sentence's start


def test_own_line_needs_a_line_break_or_the_clause_edge_on_both_sides() -> None:
    from types import SimpleNamespace

    from assistant.rank import own_line

    text = "Transferts internationaux\n\nCertains tiers sont basés hors UE. Ils signent des clauses."

    def span(part: str) -> Any:
        clause = SimpleNamespace(text=text, start=100)
        return SimpleNamespace(clause=clause, start=100 + text.index(part), text=part)

    assert own_line(span("Transferts internationaux"))  # clause start, then a line break
    assert not own_line(span("Certains tiers sont basés hors UE."))  # followed by another sentence
    assert own_line(span("Certains tiers sont basés hors UE. Ils signent des clauses."))  # to the clause end
    stale: Any = SimpleNamespace(clause=SimpleNamespace(text=text, start=0), start=5, text="Transferts")
    assert not own_line(stale)  # offsets that do not match the clause text: not decided as a line


# ----------------------------------------------------------------------------- confidence signals
def _cands(scores: list[float], dense: list[float]) -> list[Any]:
    from assistant.rank import FEATURES, Candidate
    from assistant.spans import Span

    out = []
    for i, (s, d) in enumerate(zip(scores, dense, strict=True)):
        text = f"Sentence number {i} of the clause."
        c = clause(text)
        feats = tuple(
            d if f == "dense" else 0.4 if f == "sentence" else 1.0 if f == "qtype" else 0.0 for f in FEATURES
        )
        out.append(Candidate(Span(c, i * 100, i * 100 + len(text), text, rank=i, clause_dense=d), feats, s))
    return out


def test_the_transferable_signals_do_not_move_with_the_corpus_scale() -> None:
    """Rank position, the score's z within the question's candidates, the clause similarity relative to the
    retrieval's best, and P(yes)'s log-odds read the same when a corpus puts every score and similarity on
    another scale; the raw ones (rank_score, its mean over the weights, best_dense) move with it."""
    from assistant.confidence import SIGNALS, candidate_signals

    cands = _cands([3.1, 2.9, 2.2, 1.0], [0.61, 0.58, 0.55, 0.40])
    scaled = _cands(
        [s * 0.5 - 0.7 for s in (3.1, 2.9, 2.2, 1.0)], [d * 0.7 for d in (0.61, 0.58, 0.55, 0.40)]
    )
    a = candidate_signals(0.62, cands[1], cands, ["duration"], 0.61, 8.0)
    b = candidate_signals(0.62, scaled[1], scaled, ["duration"], 0.61 * 0.7, 8.0)
    assert set(a) == set(SIGNALS)
    # rank_score_mean does not move with the ranker's weights' size (test_calibration), but with the corpus
    assert a["rank_score_mean"] != pytest.approx(b["rank_score_mean"])
    assert set(SIGNALS) - set(candidate_signals(0.62, cands[1], cands, [], 0.61)) == {"rank_score_mean"}
    for k in ("p_yes", "p_yes_logit", "rank_position", "score_z", "dense_ratio", "type_match"):
        assert a[k] == pytest.approx(b[k]), k
    assert a["rank_position"] == 1.0 and a["p_yes_logit"] == pytest.approx(math.log(0.62 / 0.38))
    assert a["rank_score"] != pytest.approx(b["rank_score"]) and a["best_dense"] != pytest.approx(
        b["best_dense"]
    )
    assert candidate_signals(1.0, cands[0], cands, [], 0.61)["p_yes_logit"] == 8.0  # clipped, finite
    assert candidate_signals(0.5, cands[0], cands, [], 0.61)["type_match"] == 0.5  # the kind asked is unknown


def test_the_confidence_model_reads_the_inputs_it_names() -> None:
    from assistant.confidence import EngineConfig

    sig = {"p_yes": 0.7, "p_yes_logit": 0.85, "rank_position": 0.0, "score_z": 1.2, "type_match": 1.0}
    plain = EngineConfig()
    assert plain.confidence(sig) == 0.7  # not fitted: P(yes) itself
    named = EngineConfig(
        confidence_weights=(-1.0, 2.0, -0.5), confidence_inputs=("bias", "p_yes_logit", "rank_position")
    )
    assert named.confidence(sig) == pytest.approx(1 / (1 + math.exp(-(-1.0 + 2.0 * 0.85))))
    assert "confidence_inputs" in repr(named) and "confidence_inputs" not in repr(plain)


# ----------------------------------------------------------------------------- yes/no wordings
@pytest.mark.parametrize(
    "question,sentence,wording,shown",
    [
        # a yes or no that agrees with the sentence is an answer, though its other words repeat the question
        (
            "Can Acme change its prices during the contract?",
            "Acme may change its prices at any time with thirty days' notice.",
            "Yes, Acme can change its prices with thirty days' notice [1].",
            True,
        ),
        # a yes that drops the sentence's condition (its figure) still leaves out the key fact
        (
            "Can Acme change its prices during the contract?",
            "Acme may change its prices at any time with thirty days' notice.",
            "Yes, Acme can change its prices during the contract [1].",
            False,
        ),
        (
            "Le Prestataire peut-il sous-traiter sans autorisation ?",
            "Le Prestataire ne peut pas sous-traiter sans l'accord écrit préalable du Client.",
            "Non, le Prestataire ne peut pas sous-traiter sans autorisation [1].",
            True,
        ),
        (
            "Does Acme sell personal data?",
            "Acme never sells your personal information.",
            "No, Acme does not sell personal data [1].",
            True,
        ),
        # "may not" is not "may": a yes or no that contradicts the sentence's negation is refused
        (
            "Le Prestataire peut-il sous-traiter sans autorisation ?",
            "Le Prestataire ne peut pas sous-traiter sans l'accord écrit préalable du Client.",
            "Oui, le Prestataire peut sous-traiter sans autorisation [1].",
            False,
        ),
        (
            "Does Acme sell personal data?",
            "Acme never sells your personal information.",
            "Yes, Acme sells personal data [1].",
            False,
        ),
        (
            "Can Acme change its prices during the contract?",
            "Acme may change its prices at any time with thirty days' notice.",
            "No, Acme cannot change its prices [1].",
            False,
        ),
        # not a closed question: a bare restatement still answers nothing
        (
            "Which law governs Acme's terms?",
            "These terms are governed by French law.",
            "The law governing Acme's terms is [1].",
            False,
        ),
    ],
)
def test_a_yes_or_no_that_agrees_with_the_sentence_is_an_answer(
    question: str, sentence: str, wording: str, shown: bool
) -> None:
    from assistant.reasons import Rejection
    from assistant.say import wording_problem
    from assistant.spans import Span

    c = clause(sentence, vendor="acme")
    span = Span(c, 0, len(sentence), sentence)
    reason, _, cited = wording_problem(wording, question, [span], ["Acme"], lambda _d: sentence)
    assert (reason is None) is shown, reason
    if not shown:
        assert reason in (Rejection.POLARITY, Rejection.REPEATS_QUESTION, Rejection.MISSING_KEY_FACT)
        assert reason.states_no_answer


@pytest.mark.parametrize(
    "text,place",
    [
        ("Les données sont hébergées en Irlande.", True),  # a country, in French
        ("All data infrastructure is located in the U.S.", True),
        ("Customer data is stored in Virginia and Oregon.", True),  # regions (ISO 3166-2)
        ("Les serveurs sont situés dans l'Union européenne.", True),
        ("No transfer to third countries without the SCCs.", True),
        ("Éditeur : Acme, SAS, 12 rue des Lilas, 69003 Lyonnais-sur-Mer", True),  # an address, any town
        ("Les données sont hébergées chez un prestataire certifié.", True),
        ("The Customer shall pay the invoice within thirty days.", False),
        ("We serve dinner on china plates and wear a jersey.", False),  # country names in lower case
    ],
)
def test_places_come_from_iso_3166_and_the_words_for_where_data_is_kept(text: str, place: bool) -> None:
    from assistant.places import has_place

    assert has_place(text) is place


@pytest.mark.parametrize(
    "question,sentence,wording,shown",
    [
        # the sentence's rule is limited to a case the question does not name: the wording must keep it
        (
            "What is Acme's liability cap?",
            "For free products, Acme's total liability is limited to 100 euros.",
            "Acme's liability is limited to 100 euros [1].",
            False,
        ),
        (
            "What is Acme's liability cap?",
            "For free products, Acme's total liability is limited to 100 euros.",
            "For free products, Acme's liability is limited to 100 euros [1].",
            True,
        ),
        # in another language: "gratuites" and "free" are one case
        (
            "What warranty does Acme give?",
            "Pour les offres gratuites, Acme ne donne aucune garantie.",
            "Acme gives no warranty on its free offers [1].",
            True,
        ),
        # the customer's place
        (
            "Which law governs Acme's terms?",
            "For customers located in the United States, California law governs these terms.",
            "California law governs these terms [1].",
            False,
        ),
        # the question names the case: the wording need not repeat it
        (
            "What is Acme's liability cap for free products?",
            "For free products, Acme's total liability is limited to 100 euros.",
            "It is limited to 100 euros [1].",
            True,
        ),
        # "business days" is a duration, and "personal data" no case
        (
            "How fast does Acme reply?",
            "Acme replies within 2 business days to requests about personal data.",
            "Acme replies within 2 business days [1].",
            True,
        ),
    ],
)
def test_a_wording_keeps_the_case_its_clause_is_limited_to(
    question: str, sentence: str, wording: str, shown: bool
) -> None:
    from assistant.reasons import Rejection

    assert_wording(question, sentence, wording, None if shown else Rejection.MISSING_CASE)


def assert_wording(question: str, sentence: str, wording: str, rejected: Any) -> None:
    """The wording of one invented Acme sentence is shown (`rejected` None) or rejected for that reason, one
    that says the model stated no answer from the sentence."""
    from assistant.say import wording_problem
    from assistant.spans import Span

    span = Span(clause(sentence, vendor="acme"), 0, len(sentence), sentence)
    reason, _, _ = wording_problem(wording, question, [span], ["Acme"], lambda _d: sentence)
    assert reason is rejected, reason
    assert rejected is None or reason.states_no_answer


@pytest.mark.parametrize(
    ("question", "sentence", "wording", "shown"),
    [
        # three marked grounds, none kept: the wording answers with something the sentence does not say
        (
            "On what grounds may Acme refuse the auditor the customer chose?",
            "Acme may refuse the auditor if it is i) a competitor of Acme, ii) in a conflict of interest with "
            "Acme or iii) in litigation with Acme.",
            "Acme may refuse the auditor if it does not meet Acme's standards [1].",
            False,
        ),
        # two of three kept
        (
            "Quels motifs permettent à Acme de refuser l'auditeur ?",
            "Acme peut refuser l'auditeur s'il est (a) un concurrent, (b) en conflit d'intérêts ou (c) en "
            "litige avec Acme.",
            "Acme peut refuser un auditeur concurrent ou en conflit d'intérêts [1].",
            False,
        ),
        # every item kept, without the markers, in another language
        (
            "On what grounds may Acme refuse the auditor the customer chose?",
            "Acme peut refuser l'auditeur s'il est i) un concurrent, ii) en conflit d'intérêts ou iii) en litige "
            "avec Acme.",
            "Acme may refuse an auditor who is a competitor, in a conflict of interest, or in litigation with "
            "it [1].",
            True,
        ),
        # markers kept
        (
            "Which remedies may Acme offer?",
            "Acme may 1) meet the customer, 2) ask the authority or 3) appoint an expert.",
            "Acme may 1) meet the customer, 2) ask the authority or 3) appoint an expert [1].",
            True,
        ),
        # the question asks for one thing: an enumeration in its sentence need not be repeated
        (
            "Can Acme refuse the auditor the customer chose?",
            "Acme may refuse the auditor if it is i) a competitor, ii) in a conflict of interest or iii) in "
            "litigation with Acme.",
            "Yes, Acme may refuse the auditor in some cases [1].",
            True,
        ),
        # an article number with a bracket is not an enumeration
        (
            "Which documents does Acme provide?",
            "Acme provides the documents listed in art. 6.1) of the agreement.",
            "Acme provides the documents listed in the agreement [1].",
            True,
        ),
    ],
)
def test_a_wording_keeps_the_items_its_sentence_enumerates(
    question: str, sentence: str, wording: str, shown: bool
) -> None:
    from assistant.reasons import Rejection

    assert_wording(question, sentence, wording, None if shown else Rejection.MISSING_ITEMS)


class CutChat(LogprobChat):
    """Streams its content word by word; the last chunk carries `stop` as its finish reason (as llama.cpp and
    OpenAI-compatible servers send "length" when the token limit cut the reply)."""

    stop: str = "stop"

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Any:
        from langchain_core.messages import AIMessageChunk
        from langchain_core.outputs import ChatGenerationChunk

        words = self.content.split(" ")
        for i, w in enumerate(words):
            last = i == len(words) - 1
            yield ChatGenerationChunk(
                message=AIMessageChunk(content=w if last else w + " "),
                generation_info={"finish_reason": self.stop} if last else None,
            )


@pytest.mark.parametrize(
    "stop,shown",
    [
        ("length", False),  # the token limit cut the paragraph
        ("max_tokens", False),  # Anthropic's word for it
        ("stop", True),  # the model ended the paragraph itself
    ],
)
def test_a_wording_cut_at_the_token_limit_is_not_shown(stop: str, shown: bool) -> None:
    from assistant.reasons import Rejection
    from assistant.say import say
    from assistant.spans import Span

    sentence = (
        "Acme accepts an objection when the sub-processor is a direct competitor of the Customer, or when it "
        "was sanctioned by a supervisory authority in the last 12 months."
    )
    span = Span(clause(sentence, vendor="acme"), 0, len(sentence), sentence)
    # the same words, shown when the model ended them itself; when the limit stopped it, the wording may
    # have lost the items after them
    reply = "Acme accepts an objection to a direct competitor, or to a sub-processor sanctioned in the last 12 months [1]"
    said = say(
        CutChat(content=reply, stop=stop),
        load_prompt("engine.v2"),
        "Which objections does Acme accept?",
        [span],
        "en",
        lambda _d: sentence,
    )
    assert (said.text != "") is shown, said.failure
    if not shown:
        assert said.reason is Rejection.TRUNCATED and not said.reason.states_no_answer
        assert said.failure.startswith(Rejection.TRUNCATED.value)


_DPO = "Le délégué à la protection des données d'Acme est joignable à dpo@acme.example."
_TERM = "Le contrat est conclu pour une durée d'un (1) an."


@pytest.mark.parametrize(
    "wording,sentence,shown",
    [
        # a hole before the marker: the answer the wording announces is not in it
        ("To contact Acme's data protection officer, you should reach out to [1].", _DPO, False),
        ("Acme's contract runs for [1] from signature.", _TERM, False),
        ("L'objection est considérée comme recevable par [1]", _DPO, False),
        ("Le contrat a fait l’objet d’une [1].", _TERM, False),
        ("The address of Acme's DPO is [1].", _DPO, False),
        ("Le délégué d'Acme est joignable aux coordonnées suivantes : [1]", _DPO, False),
        # a blank to fill in, as in a letter template
        ("Write to [Acme] at dpo@acme.example, signed [Your Name] [1].", _DPO, False),
        # finished wordings: a French "an" (a year) or a marker inside brackets end nothing open
        ("Acme's data protection officer can be reached at dpo@acme.example [1].", _DPO, True),
        ("Le contrat est conclu pour un (1) an [1].", _TERM, True),
        ("Acme : « Le contrat est conclu pour une durée d'un (1) an. » [1]", _TERM, True),
        ("Acme's data protection officer can be reached at dpo@acme.example (see [1]).", _DPO, True),
    ],
)
def test_a_wording_with_a_hole_in_it_is_not_shown(wording: str, sentence: str, shown: bool) -> None:
    from assistant.reasons import Rejection
    from assistant.say import wording_problem
    from assistant.spans import Span

    span = Span(clause(sentence, vendor="acme"), 0, len(sentence), sentence)
    reason, _, _ = wording_problem(wording, "What does Acme say?", [span], ["Acme"], lambda _d: sentence)
    assert (reason is None) is shown, reason
    if not shown:
        assert reason is Rejection.UNFINISHED and reason.states_no_answer
