"""Lists the answer quotes whole, read from the document's own structure: a list a sentence refers back to
("ces droits" right after the list of rights), an enumeration that follows the checked sentence ("sont
considérés comme tels …, …, …"), an introduction with a single item, and bullets Word wrote in a symbol
font. Each rule is written against the language, not a vendor: the cases below are invented."""

from __future__ import annotations

import pytest
from assistant_fakes import FakeChecker, ScriptedChat, build_store

from assistant import Assistant
from assistant.lists import (
    enumerates,
    enumeration_after,
    governing_words,
    is_list_question,
    list_referred,
    list_run,
    refers_back,
)
from assistant.spans import split_clause
from core.text import is_list_item
from core.types import Clause


@pytest.mark.parametrize(
    "question",
    [
        "Which subcontractors does the vendor rely on?",
        "What types of cookies are set on the site?",
        "What rules apply to refunds?",
        "Which regulators must be told of an incident?",
        "Which payment methods, such as cards or transfers, are accepted?",
        "Which insurance policies cover the supplier's liability?",
        "Can the client inspect the premises, and under what conditions?",
        "Does the provider encrypt backups, and with which algorithms?",
        "Quelles garanties le fournisseur donne-t-il ?",
        "Quels sont les cas de résiliation anticipée ?",
        "What are the supplier's obligations on termination?",
        "List the hosting locations.",
        "Donne-moi tous les sous-traitants du fournisseur.",
    ],
)
def test_a_question_for_several_items_is_a_list_question(question: str) -> None:
    assert is_list_question(question)


@pytest.mark.parametrize(
    "question",
    [
        # an auxiliary is no plural noun
        "What uptime does the supplier promise?",
        "What does the supplier do with logs after closure?",
        "Within what period does the vendor delete the backups?",
        # a word in -s right after "what", or after a singular noun, is the question's verb
        "What happens to invoices when a plan is downgraded?",
        "What governs disputes between the parties?",
        "What notice period applies when the client leaves?",
        "Which entity provides the platform and signs the order form?",
        "Which subcontractor handles payment processing?",
        "If the order form and the terms disagree, which one prevails?",
        # "what" inside a clause, a preposition before "tous les"
        "Does the vendor stand behind the accuracy of what its models produce?",
        "En combien de temps les fichiers sont-ils effacés de tous les serveurs ?",
        "Quel est le plafond de responsabilité ?",
    ],
)
def test_a_question_for_one_thing_is_no_list_question(question: str) -> None:
    assert not is_list_question(question)


def _spans(text: str):
    c = Clause("c", "v", "V", "v/t.txt", "S", 0, len(text), text, "fr", 0, "x")
    return split_clause(c)


def _at(spans, start: str):
    return next(sp for sp in spans if sp.text.startswith(start))


RIGHTS = (
    "Toute personne concernée peut, dans les conditions de la loi :\n"
    "\uf0a7 obtenir l’accès à ses données ;\n"
    "\uf0a7 obtenir leur rectification ;\n"
    "\uf0a7 s’opposer au traitement pour des motifs légitimes.\n\n"
    "La personne concernée exerce ces droits en écrivant au Prestataire. Une copie est facturée si la "
    "demande est excessive.\n"
)


def test_a_symbol_font_bullet_opens_an_item() -> None:
    assert is_list_item("\uf0a7 obtenir l’accès à ses données ;")
    assert is_list_item("\uf0b7 the right of access;")
    assert not is_list_item("obtenir l’accès à ses données ;")


def test_a_sentence_that_refers_back_answers_with_the_list_before_it() -> None:
    spans = _spans(RIGHTS)
    text = RIGHTS
    after = _at(spans, "La personne concernée exerce ces droits")
    assert list_run(after, spans, text) == (None, [])  # it is no item of the list
    intro, items = list_referred(after, spans, text)
    assert intro is not None and intro.text.endswith("loi :")
    assert [sp.text.split()[1:3] for sp in items] == [
        ["obtenir", "l’accès"],
        ["obtenir", "leur"],
        ["s’opposer", "au"],
    ]
    # the paragraph's second sentence does not follow the list: it refers to nothing before it
    assert list_referred(_at(spans, "Une copie est facturée"), spans, text) == (None, [])
    # a sentence without a word that points back does not take the list before it
    plain = RIGHTS.replace("exerce ces droits", "écrit")
    sp2 = _spans(plain)
    assert list_referred(_at(sp2, "La personne concernée écrit"), sp2, plain) == (None, [])


def test_an_enumeration_that_refers_back_follows_its_sentence() -> None:
    text = (
        "Le Prestataire ne répond pas des dommages indirects. Sont considérés comme tels les pertes de "
        "marchés, les pertes de clientèle, les pertes de données et les atteintes à l’image.\n"
        "The Provider is not liable for indirect losses. Such losses include lost profits.\n"
    )
    spans = _spans(text)
    best = _at(spans, "Le Prestataire ne répond pas")
    assert enumeration_after(best, spans, text) == _at(spans, "Sont considérés comme tels")
    # "Such losses include lost profits." refers back but enumerates nothing: no list
    assert enumeration_after(_at(spans, "The Provider is not liable"), spans, text) is None
    assert enumerates("les pertes de marchés, les pertes de clientèle, les pertes de données")
    assert not enumerates("un taux de 1,5 % par mois (soit 18, 20 ou 22 euros)")
    assert refers_back("Such losses include lost profits.") and refers_back("comme telles")
    assert not refers_back("Le Client paie les factures.")


def test_an_introduction_with_one_item_is_a_list_only_when_it_is_chosen() -> None:
    text = (
        "These providers are located in the United States:\n"
        "- Alpha. Hosting.\n"
        "- Beta. Email.\n\n"
        "These providers are located in Canada:\n"
        "- Gamma. Monitoring.\n\n"
        "We update this list when a provider changes.\n"
    )
    spans = _spans(text)
    intro = _at(spans, "These providers are located in Canada:")
    got, items = list_run(intro, spans, text)
    assert got == intro and [sp.text for sp in items] == ["- Gamma. Monitoring."]
    # the lone item chosen on its own is not read as a list
    assert list_run(_at(spans, "- Gamma."), spans, text) == (None, [])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return build_store(tmp_path_factory.mktemp("store"))


def test_a_list_question_whose_sentence_refers_back_quotes_the_list(built) -> None:
    """End to end on the sample corpus: the check accepts only the sentence after Boost My Mail's list of
    data-protection rights ("… peut exercer l'un ou l'autre de ces droits …"); the answer quotes the list it
    refers back to, every item cited verbatim, with no model wording."""
    settings, store, emb = built
    checker = FakeChecker([(r"l’un ou l’autre de ces droits", 0.95)], 0.05)
    llm = ScriptedChat(replies=[])
    asst = Assistant(settings, store=store, embeddings=emb, llm=llm, checker=checker)
    ans = asst.answer("Quels droits l'administrateur peut-il exercer sur ses données chez Boost My Mail ?")
    assert not ans.abstained and ans.mode == "extractive", (ans.answer, ans.warnings)
    quotes = [c.quote for c in ans.citations]
    assert quotes[0].endswith(":") and len(quotes) >= 5, quotes
    assert all(q.startswith("\uf0a7") for q in quotes[1:]), quotes
    assert "renvoie à la liste" in ans.explanation
    assert llm.calls == []
    for c in ans.citations:
        assert store.document_text(c.document)[c.start : c.end] == c.quote


def test_a_list_found_from_an_item_and_from_a_sentence_referring_back_to_it_is_one_list(built) -> None:
    """A list question's best-ranked sentences: items of Boost My Mail's list of rights, and the sentence
    after the list that refers back to it ("… de ces droits …"): both find the same list, which is one
    ranked list, not two (the answer showed the list twice)."""
    from assistant.rank import Candidate
    from assistant.single import ranked_lists

    settings, store, emb = built
    asst = Assistant(
        settings, store=store, embeddings=emb, llm=ScriptedChat(replies=[]), checker=FakeChecker([])
    )
    document = "boost-my-mail/cgs.txt"
    spans = [sp for c in store.clauses(document) for sp in split_clause(c)]
    item = next(sp for sp in spans if sp.text.lstrip("\uf0a7 ").startswith("obtenir la limitation"))
    other = next(sp for sp in spans if sp.text.lstrip("\uf0a7 ").startswith("obtenir une copie"))
    after = next(sp for sp in spans if "l’un ou l’autre de ces droits" in sp.text)
    found = ranked_lists(asst.corpus, [Candidate(item, ()), Candidate(after, ()), Candidate(other, ())])
    assert len(found) == 1 and found[0].intro is not None and found[0].intro.text.rstrip().endswith(":")
    assert found[0].holds(item) and not found[0].holds(after) and found[0].ranks == [0, 2]


LONG_ITEM = (
    "transmettre, collecter, stocker ou traiter des données sensibles soumises à une réglementation " * 3
)
PROHIBITIONS = (
    "Le Client ne doit pas (i) revendre le Service à un tiers ou le mettre à la disposition d'un tiers "
    "autrement que par les interfaces prévues à cet effet ; (ii) tenter d'obtenir un accès non autorisé au "
    "Service ni à ses systèmes ; (iii) contourner les mesures de sécurité du Service ; (iv) utiliser le "
    f"Service pour {LONG_ITEM.strip()} ; ou (v) copier le Service.\n"
)
LINE_LIST = (
    "Customer shall not:\n"
    "- resell or sublicense the Service to any third party;\n"
    "- use the Service to store payment card numbers;\n"
    "- reverse engineer the Service.\n\n"
    "The provider may audit Customer's use of the Service once a year.\n"
)


def test_an_item_split_from_its_sentence_keeps_the_words_it_completes() -> None:
    spans = _spans(PROHIBITIONS)
    item = _at(spans, "(iv)")  # the sentence is too long for one span: split at its markers
    assert governing_words(item, PROHIBITIONS) == "Le Client ne doit pas"
    assert governing_words(spans[0], PROHIBITIONS) is None  # the span holds them already


def test_an_item_of_a_line_list_keeps_its_introduction() -> None:
    spans = _spans(LINE_LIST)
    assert governing_words(_at(spans, "- use"), LINE_LIST) == "Customer shall not:"
    assert governing_words(_at(spans, "The provider"), LINE_LIST) is None  # no item


def test_an_item_after_a_paragraph_has_no_governing_words() -> None:
    text = "The provider hosts the data in France.\n- backups are encrypted;\n- logs are kept a year.\n"
    spans = _spans(text)
    assert governing_words(_at(spans, "- backups"), text) is None
