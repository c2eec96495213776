"""A closed question's yes or no (assistant.verdict): stated only when the negation reading and the model's
reading of the sentence agree, as the verdict and the sentence quoted verbatim; otherwise a wording's own
yes or no is rejected. Then the same through the engine, with the check, the verdict reading and the wording
faked."""

from __future__ import annotations

from typing import Any

import pytest
from assistant_fakes import FakeChecker, ScriptedChat, build_store

from assistant import Assistant
from assistant.check import Verdict
from assistant.lists import read_with
from assistant.outcomes import one_quote
from assistant.reasons import Rejection
from assistant.say import Said, is_yes_no_question, negation_verdict
from assistant.spans import Span
from assistant.verdict import NO_AT, YES_AT, Settled, settle, stated, unsettled
from core.types import Clause, WarningCode

SENTENCE = "Le Sous-traitant n’est pas autorisé à prendre en charge les notifications de violation."
QUESTION = "Le Sous-traitant peut-il notifier lui-même une violation à la CNIL ?"


def span(text: str = SENTENCE) -> Span:
    c = Clause(
        id="acme-0",
        vendor="acme",
        vendor_name="Acme",
        document="acme/terms.txt",
        section="Violations",
        start=0,
        end=len(text),
        text=text,
        language="fr",
        ordinal=0,
        doc_sha256="x",
    )
    return Span(c, 0, len(text), text)


class Reading:
    """A verdict reader that answers one fixed P(yes), or fails."""

    name = "reading"

    def __init__(self, p: float | None) -> None:
        self.p = p
        self.calls: list[tuple[str, str]] = []

    def check(self, question: str, sentence: str, label: str) -> Verdict:
        self.calls.append((question, sentence))
        if self.p is None:
            raise RuntimeError("model down")
        return Verdict(self.p, True, 0.0)


@pytest.mark.parametrize(
    "question,closed",
    [
        ("Le Prestataire peut-il sous-traiter ?", True),
        ("Can Boost My Mail change its prices?", True),
        ("Puis-je transférer mon contrat à une autre société ?", True),
        ("Est-ce que les sauvegardes sont chiffrées ?", True),
        ("Sous quel délai Humanlinker notifie-t-il une violation ?", False),
        ("Où Humanlinker héberge-t-il les données ?", False),
        ("Quels droits un administrateur peut-il exercer ?", False),
        ("Qu'est-ce que le Client doit-il fournir ?", False),
        ("What does LEO Bizdev use Amazon Web Services for?", False),
        # a condition first: the question proper follows its comma
        ("If I cancel mid-month, is the unused time refunded?", True),
        ("Si le client résilie avant le terme, est-il remboursé ?", True),
        ("Lorsque le contrat prend fin, les données sont-elles supprimées ?", True),
        ("If the customer pays late, what penalties apply?", False),
        ("When must the provider notify a breach, and how?", False),
        # a relative pronoun after a noun asks nothing; a question word after a preposition or a comma does
        ("Un employé qui accède à tort aux données est-il sanctionné ?", True),
        ("À qui le client doit-il adresser sa demande ?", False),
        ("Pour les clients de l'UE, quel droit s'applique-t-il ?", False),
        # a statement of context first: the question proper follows its colon or full stop
        ("We are restructuring our group: can we move the contract to a sister company?", True),
        ("Nous changeons d'hébergeur. Est-ce que nos données seront supprimées ?", True),
        ("Our data is in France; does the provider ever move it abroad?", True),
        ("We use the free plan: what is the liability cap?", False),
        ("What is the notice period? Can it be shortened?", False),  # two questions: "?" ends no context
        # a frame before the question: the question proper follows its comma
        ("Under the DPA, can the customer audit the provider?", True),
        ("Chez Acme, est-ce que les sauvegardes sont chiffrées ?", True),
        ("Under the DPA, what can the customer audit?", False),
        ("What, in short, can the customer audit?", False),
    ],
)
def test_closed_questions(question: str, closed: bool) -> None:
    assert is_yes_no_question(question) is closed


@pytest.mark.parametrize(
    "question,sentence,verdict",
    [
        (QUESTION, SENTENCE, "no"),
        ("Are backups encrypted?", "Our database backups are encrypted using GPG.", "yes"),
        ("Can it subcontract without consent?", "It may not subcontract without prior consent.", "no"),
        ("Is the code never shared?", "The code is never shared.", "yes"),
        # a negation in an aside between dashes does not negate the sentence
        (
            "Will customers be told before their data is transferred to a buyer?",
            "If the company is acquired — we do not plan on that, but it may happen — we will tell you first.",
            "yes",
        ),
        ("Will you tell me first?", "We will not — as said above — tell you first.", "no"),
        # a negation inside an exception limits the rule, it does not negate it
        (
            "Will the processor tell the controller about requests from the police?",
            "The processor shall inform the controller of any such request unless prohibited by law.",
            "yes",
        ),
        (
            "Le contrat est-il reconduit automatiquement ?",
            "Le contrat est reconduit tacitement par périodes d'un an, sauf dénonciation sans motif, "
            "par lettre recommandée.",
            "yes",
        ),
        (
            "Can the seller keep the deposit?",
            "The seller may not keep the deposit, except where no goods ship.",
            "no",
        ),
        (
            "Le client peut-il céder le contrat ?",
            "Le client ne peut pas céder le contrat, à moins qu'il n'obtienne l'accord.",
            "no",
        ),
        # a negation inside a condition says when the sentence applies, it does not negate it
        (
            "Is the unused time refunded automatically?",
            "We don't automatically prorate unused time, but if you haven't used your account in months, "
            "contact us for a fair refund.",
            "no",
        ),
        (
            "Le prestataire peut-il suspendre le service ?",
            "Si le Client ne paie pas sous 30 jours, le Prestataire peut suspendre le service.",
            "yes",
        ),
        ("Will the data be deleted?", "When the customer does not renew, the data will be deleted.", "yes"),
        (
            "Can the provider suspend if the customer does not pay?",
            "The provider may not suspend the service, even if the customer does not pay.",
            "no",
        ),
        # "without …" tells how the act is done unless the question asks about that condition
        ("Must the vendor report a breach?", "The vendor shall report a breach without undue delay.", "yes"),
        ("Le prestataire peut-il résilier ?", "Le prestataire peut résilier sans préavis.", "yes"),
        ("Can the vendor terminate without notice?", "The vendor may terminate without notice.", "yes"),
        ("Can the vendor terminate without notice?", "The vendor may not terminate without notice.", "no"),
        ("Peut-il sous-traiter sans accord ?", "Il ne peut pas sous-traiter sans accord écrit.", "no"),
        ("Can the vendor terminate at will?", "The vendor may not terminate without cause.", "no"),
        # drafting that keeps a list open negates nothing
        (
            "Is the vendor liable for lost profits?",
            "The vendor shall not be liable for any damages, including, but not limited to, lost profits.",
            "no",
        ),
        (
            "Can the vendor terminate without notice?",
            "The vendor may not terminate without notice, including without limitation in the first year.",
            "no",
        ),
        (
            "Le client peut-il céder le contrat sans accord ?",
            "Le Client ne peut pas céder le Contrat sans accord écrit, notamment et sans que cela soit "
            "limitatif, par voie de fusion.",
            "no",
        ),
        # what the user says before the question does not negate it
        (
            "We don't want our data in the US: can the vendor host it in the EU?",
            "The vendor can host the data in the EU.",
            "yes",
        ),
    ],
)
def test_negation_reading(question: str, sentence: str, verdict: str) -> None:
    assert negation_verdict(question, sentence) == verdict


@pytest.mark.parametrize(
    "p,expected",
    [
        (0.1, "no"),  # both read "no"
        (NO_AT, "no"),
        (0.9, None),  # the model reads "yes", the negation "no": nothing is settled
        (0.5, None),  # the model reads neither
        (YES_AT - 0.01, None),
    ],
)
def test_settle_needs_both_readings(p: float, expected: str | None) -> None:
    reader = Reading(p)
    s = settle(reader, QUESTION, SENTENCE, "Acme")
    assert s.verdict == expected and s.negation == "no" and s.p_yes == p
    assert reader.calls == [(QUESTION, SENTENCE)]
    assert ("unsettled" in s.note()) is (expected is None)


@pytest.mark.parametrize(
    "p,expected",
    [
        (0.9, "yes"),
        (YES_AT, "yes"),
        (0.55, None),  # inside the band: the model reads neither (0.4-0.5 lost end to end: verdict.py)
        (NO_AT, None),  # the model reads "no", the negation reading "yes"
    ],
)
def test_settle_on_a_sentence_without_negation(p: float, expected: str | None) -> None:
    question = "Le Sous-traitant peut-il fournir une preuve écrite de destruction ?"
    sentence = "À la demande du Client, le Sous-traitant fournit une preuve écrite de destruction."
    s = settle(Reading(p), question, sentence, "Acme")
    assert s.negation == "yes" and s.verdict == expected


def test_settle_without_reader_or_with_a_failing_one() -> None:
    assert settle(None, QUESTION, SENTENCE, "Acme") == Settled("no", "no")
    failed = settle(Reading(None), QUESTION, SENTENCE, "Acme")
    assert failed.verdict is None and failed.p_yes is None


def test_a_settled_verdict_is_stated_with_the_sentence_quoted() -> None:
    sp = span()
    out = stated("no", sp, [], "fr")
    assert out.text.startswith("Non. «") and out.text.endswith("[1]") and out.reason is None
    assert [c.quote for c in out.citations] == [SENTENCE] and out.citations[0].start == sp.start
    assert stated("yes", sp, [], "en").text.startswith("Yes. «")


def test_an_item_is_read_and_quoted_after_the_words_it_completes() -> None:
    # "(iv) utiliser la Solution pour stocker…" alone reads as allowed; under "Le Client ne doit pas" it is not
    question = "Pouvons-nous stocker des numéros de carte bancaire dans la Solution ?"
    item = "(iv) utiliser la Solution pour stocker des numéros de carte bancaire ;"
    assert settle(None, question, item, "Acme").verdict == "yes"
    reading = read_with("Le Client ne doit pas", item)
    assert reading == "Le Client ne doit pas […] " + item
    assert settle(None, question, reading, "Acme").verdict == "no"
    sp = span()
    out = stated("no", sp, [], "fr", lead="Le Client ne doit pas")
    assert out.text.startswith("Non. « Le Client ne doit pas […] ") and out.text.endswith("» [1]")
    assert [c.quote for c in out.citations] == [SENTENCE]  # the citation is the item, verbatim
    assert read_with(None, item) == item
    # a quoted answer (no wording) quotes it so too
    assert one_quote([sp], [], leads={sp.key: "Le Client ne doit pas"}).startswith(
        "« Le Client ne doit pas […] "
    )
    assert one_quote([sp], [], leads={}) == one_quote([sp], [])


def test_without_a_settled_verdict_a_wording_s_yes_or_no_is_rejected() -> None:
    said = Said(text="Oui, le Sous-traitant peut notifier la CNIL [1].")
    out = unsettled(said)
    assert out.text == "" and out.reason is Rejection.UNSETTLED and out.reason.states_no_answer
    plain = Said(text="Le Sous-traitant ne prend pas en charge ces notifications [1].")
    assert unsettled(plain) == plain  # no verdict of its own: it restates the sentence
    rejected = Said(reason=Rejection.REPEATS_QUESTION, failure=Rejection.REPEATS_QUESTION.value)
    assert unsettled(rejected) == rejected


# ----------------------------------------------------------------------------- through the engine
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_store(tmp_path_factory.mktemp("store"))


ASK = (
    "Humanlinker peut-il notifier lui-même une violation de données à l'Autorité de contrôle pour le Client ?"
)
RULE = [("n’est pas autorisé à prendre en charge les notifications", 0.95)]


@pytest.mark.parametrize("p_verdict", [0.1, 0.9])
def test_engine_states_a_verdict_only_when_both_readings_agree(built: Any, p_verdict: float) -> None:
    settings, store, emb = built
    reader = Reading(p_verdict)
    llm = ScriptedChat(replies=["Oui, Humanlinker peut notifier l'Autorité de contrôle [1]."])
    asst = Assistant(
        settings,
        store=store,
        embeddings=emb,
        llm=llm,
        checker=FakeChecker(RULE),
        verdict_checker=reader,
        min_dense=0.0,
    )
    ans = asst.answer(ASK, vendors=["humanlinker"])
    assert not ans.abstained and ans.citations
    assert "n’est pas autorisé" in ans.citations[0].quote
    assert WarningCode.VERDICT in ans.warning_codes and reader.calls
    assert not ans.answer.startswith("Oui")  # the wording's "yes" contradicts the sentence either way
    if p_verdict < NO_AT:  # both read "no": stated, before the sentence quoted verbatim; no wording asked
        assert ans.mode == "generated" and ans.answer.startswith("Non. «")
        assert llm.replies  # the scripted wording was never asked for
        assert "deux lectures" in ans.explanation  # the reader is told how the verdict was reached
    else:  # the readings disagree: the wording's "yes" is rejected, the sentence is quoted
        assert ans.mode == "extractive" and not ans.answer.startswith("Non") and not llm.replies


CARDS = "numéros de carte de crédit"


def _cards_assistant(built: Any, **kw: Any) -> Assistant:
    """The engine over the sample corpus with a check that accepts the sentences on credit card numbers and
    no wording model (a call to it fails the test)."""
    settings, store, emb = built
    return Assistant(
        settings,
        store=store,
        embeddings=emb,
        llm=ScriptedChat(replies=[]),
        checker=FakeChecker([(CARDS, 0.95)]),
        min_dense=0.0,
        **kw,
    )


def test_an_item_of_a_prohibition_is_worded_and_read_after_its_governing_words(built: Any) -> None:
    """Aura Digital's "Le Client ne doit pas (i) … (iv) utiliser la Solution pour … stocker des numéros de
    carte de crédit…" is split at its markers: the item alone reads as allowed (the 1.5B model restated it
    as "Aura Digital states that it will use the Solution to … store credit card numbers"). The wording is
    asked of it after "Le Client ne doit pas", and a closed question's readings read it so too."""
    settings, store, emb = built
    llm = ScriptedChat(
        replies=["Le Client ne doit pas stocker de numéros de carte de crédit dans la Solution [1]."]
    )
    asst = Assistant(
        settings, store=store, embeddings=emb, llm=llm, checker=FakeChecker([(CARDS, 0.95)]), min_dense=0.0
    )
    ans = asst.answer(
        "Que dit le contrat sur l'utilisation de la Solution pour stocker des numéros de carte de crédit ou de "
        "débit et des informations de compte bancaire personnel ?",
        vendors=["aura-digital"],
    )
    assert not ans.abstained and ans.citations[0].quote.startswith("(iv) utiliser la Solution"), ans.warnings
    prompt = "\n".join(str(m.content) for m in llm.calls[-1])
    assert "Le Client ne doit pas […] (iv) utiliser la Solution" in prompt
    assert ans.mode == "generated" and ans.answer.startswith("Le Client ne doit pas")

    reader = Reading(0.1)
    closed = _cards_assistant(built, verdict_checker=reader).answer(
        "Le Client peut-il stocker des numéros de carte de crédit dans la Solution ?",
        vendors=["aura-digital"],
    )
    assert reader.calls and reader.calls[0][1].startswith("Le Client ne doit pas […] (iv)")
    assert closed.answer.startswith("Non. « Le Client ne doit pas […] (iv) utiliser la Solution"), (
        closed.answer
    )
    assert closed.citations[0].quote.startswith("(iv) utiliser")  # the citation is the item, verbatim


def test_a_comparison_row_quotes_an_item_after_its_governing_words(built: Any) -> None:
    ans = _cards_assistant(built).answer(
        "Quels fournisseurs interdisent d'utiliser la Solution pour stocker des numéros de carte de crédit ou de "
        "débit et des informations de compte bancaire personnel ?"
    )
    rows = {r.vendor: r for r in ans.comparison or []}
    assert "aura-digital" in rows and not rows["aura-digital"].abstained, ans.warnings
    assert "« Le Client ne doit pas […] (iv) utiliser la Solution" in ans.answer, ans.answer
