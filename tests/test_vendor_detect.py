"""Vendor detection: names, slugs, aliases, light misspellings, unknown vendors, and no false positives."""

from __future__ import annotations

import pytest

from assistant.vendors import VendorInfo, detect_vendors, find_unknown_vendor

CATALOG = [
    VendorInfo("aura-digital", "Aura Digital"),
    VendorInfo("boost-my-mail", "Boost My Mail", ("BoostMyMail", "A5Groupe")),
    VendorInfo("humanlinker", "Humanlinker"),
    VendorInfo("leo-bizdev", "LEO Bizdev", ("SalesTech", "Leo Bizdev", "LEO")),
    VendorInfo("unnamed-provider", "Unnamed Provider"),
]
CORPUS_WORDS = {"mail", "provider", "digital", "aura", "client", "google", "données", "service"}


def known(word: str) -> bool:
    return word.lower() in CORPUS_WORDS


@pytest.mark.parametrize(
    "question,expected",
    [
        ("How quickly must Humanlinker notify a data breach?", ["humanlinker"]),
        ("Quel est le plafond de responsabilité de Boost My Mail ?", ["boost-my-mail"]),
        ("What does boost-my-mail say about refunds?", ["boost-my-mail"]),
        ("Does BoostMyMail allow termination?", ["boost-my-mail"]),
        ("What about A5Groupe?", ["boost-my-mail"]),
        ("Is SalesTech a processor?", ["leo-bizdev"]),
        ("LEO Bizdev retention period", ["leo-bizdev"]),
        ("Chez leo bizdev, quelle durée de conservation ?", ["leo-bizdev"]),
        ("aura-digital governing law", ["aura-digital"]),
        ("What does the Unnamed Provider DPA say about audits?", ["unnamed-provider"]),
        # light misspellings
        ("How fast does Humanlinkr notify breaches?", ["humanlinker"]),
        ("Human Linker liability cap", ["humanlinker"]),
        ("Boost My Mial liability cap", ["boost-my-mail"]),
        ("Aura Digitale: quel préavis ?", ["aura-digital"]),
        # several vendors, in order of mention
        ("Compare Humanlinker and Aura Digital on liability", ["humanlinker", "aura-digital"]),
    ],
)
def test_detects_named_vendors(question: str, expected: list[str]) -> None:
    assert detect_vendors(question, CATALOG, known).vendors == expected


@pytest.mark.parametrize(
    "question",
    [
        "Il y aura un préavis de trente jours ?",  # "aura" the verb
        "Which restaurant aurait le meilleur SLA ?",  # "aura" inside other words
        "Can I send a mail to the provider?",  # "mail" alone, "provider" alone
        "What is the liability cap of the service provider?",
        "Our digital services: what is the notice period?",  # "our digital" is not "Aura Digital"
        "Does the boost apply to my mailbox?",
        "What is the governing law?",
    ],
)
def test_no_false_positives(question: str) -> None:
    det = detect_vendors(question, CATALOG, known)
    assert det.vendors == []
    assert det.unknown is None


@pytest.mark.parametrize(
    "question,name",
    [
        ("What is Salesforce's liability cap?", "Salesforce"),
        ("Quel est le plafond de responsabilité de Salesforce ?", "Salesforce"),
        ("What is the notice period for Acme Corp?", "Acme Corp"),
        ("Quelle est la durée de conservation chez HubSpot ?", "HubSpot"),
    ],
)
def test_unknown_vendor(question: str, name: str) -> None:
    det = detect_vendors(question, CATALOG, known)
    assert det.vendors == []
    assert det.unknown == name


def test_unknown_vendor_ignores_corpus_words_and_legal_terms() -> None:
    assert find_unknown_vendor("What does Google's role as sub-processor imply?", known) is None
    assert find_unknown_vendor("What does the GDPR say about the DPO?", known) is None
    assert find_unknown_vendor("Quelles sont les obligations du Client ?", known) is None


def test_mentions_carry_offsets() -> None:
    q = "And for Aura Digital?"
    det = detect_vendors(q, CATALOG, known)
    assert [q[m.start : m.end] for m in det.mentions] == ["Aura Digital"]


# ---------------------------------------------------------------------------------------------------------
# Aliases read from the documents (ingest/aliases.py): names and roles a document gives its own party.
# The excerpts are the sample corpus's own sentences.

AURA_PREAMBLE = (
    "La société Aura Digital, société par actions simplifiée au capital de 1.500 euros, dont le siège social "
    "est situé 76 rue d’Anvers à (69007) Lyon, immatriculée au registre du commerce et des sociétés de Lyon "
    "sous le numéro 915 347 777 (ci-après le « Prestataire ») accompagne les professionnels dans leur "
    "digitalisation.\n\nElles ont pour objet de définir les conditions dans lesquelles le Prestataire fournit "
    "aux clients professionnels (ci-après le(s) « Client(s) ») qui lui en font la demande les Produits et "
    "Services.\n\nLa présente Annexe s’applique lorsque le Prestataire agit en qualité de Sous-traitant au sens "
    "du RGPD.\n"
)
HUMANLINKER_DPA = (
    'L’Accord de protection des données (ci-après "Accord") vise à régir l’utilisation des Données à '
    'caractère personnel des clients (ci-après le "Client") de Humanlinker (ci-après le "Sous-traitant" ou '
    '"Humanlinker") lorsqu\'ils utilisent le service Humanlinker (ci-après le "Service").\n'
)
LEO_PREAMBLE = (
    "LEO Bizdev est une solution éditée, développée et commercialisée par SalesTech.\n\n"
    "SalesTech est une société par actions simplifiée de droit français au capital social de 12.500 euros.\n\n"
    "Sous-traitant: désigne la personne qui traite des données personnelles pour le compte du Responsable du "
    "traitement. Dans ce cadre, SalesTech, via LEO Bizdev, agit en principe comme Sous-traitant du Client.\n"
)
UNNAMED_PREAMBLE = (
    "As part of the performance of the Contract, The Service Provider, as a subcontractor, is required to "
    "process personal data on behalf of the Customer, who acts as a data controller within the meaning of "
    'Regulation (EU) 2016/679 (hereinafter "the European Data Protection Regulation" or "EDPR").\n'
)
BOOST_PREAMBLE = (
    "La société BOOST MY MAIL, société par actions simplifiée au capital de 100 000,00 €, ayant son siège "
    "social au 10 boulevard du Zénith à Saint-Herblain (44800), immatriculée au registre du commerce et des "
    "sociétés de Nantes sous le numéro 835 398 272, représentée par A5Groupe (ci-après le « Fournisseur »), "
    "est l’éditeur d’une solution innovante.\n\nL’acceptation des CGS forme le contrat (ci-après le "
    "« Contrat ») entre le Fournisseur et le professionnel identifié (ci-après le « Client »).\n"
)


@pytest.mark.parametrize(
    "text,known,names,roles",
    [
        (AURA_PREAMBLE, ["Aura Digital"], [], ["Prestataire", "Sous-traitant"]),
        (HUMANLINKER_DPA, ["Humanlinker"], [], ["Sous-traitant"]),  # not "Client", not "Service"
        (LEO_PREAMBLE, ["LEO Bizdev", "leo bizdev"], ["SalesTech"], ["Sous-traitant"]),
        (UNNAMED_PREAMBLE, ["Unnamed Provider"], [], ["Service Provider"]),  # not "Customer"
        (BOOST_PREAMBLE, ["Boost My Mail"], [], ["Fournisseur"]),  # not "Contrat", not "Client"
        # English definitions without "hereinafter"; the customer's definition is not the vendor's
        (
            'Acme Hosting Ltd, a company registered in England under number 01234567 ("the Service Provider"), '
            'and the customer ("the Customer") agree as follows.',
            ["Acme Hosting"],
            [],
            ["Service Provider"],
        ),
        # policyqa-dev (fool.com): the first person marks the document's own party
        (
            'The Motley Fool, LLC ("The Motley Fool" or "we" or "us") respects your privacy.',
            ["fool"],
            [],
            ["Motley Fool"],
        ),
        # a bracketed remark that quotes something defines nothing
        ('Acme Hosting Ltd hosts the data in France (see "Annex 2").', ["Acme Hosting"], [], []),
        # a capitalised word that opens a sentence before "a company" is no company name (a held-out policy
        # got the alias "To", and questions with "to" widened to it)
        (
            "To a company that buys our assets, we may transfer your data. For a corporation acquiring "
            "us, the same applies. À une société tierce, rien n'est cédé.",
            ["archives"],
            [],
            [],
        ),
    ],
)
def test_aliases_derived_from_the_documents(text, known, names, roles):
    from ingest.aliases import derive_aliases

    assert derive_aliases(text, known) == (names, roles)


def test_document_aliases_reach_the_catalogue_as_roles_and_names():
    from assistant.vendors import catalog_from
    from ingest.aliases import document_aliases

    stored = {"leo-bizdev": ["LEO", *document_aliases(LEO_PREAMBLE, ["LEO Bizdev"])]}
    (leo,) = catalog_from({"leo-bizdev": "LEO Bizdev"}, stored)
    assert leo.aliases == ("LEO", "SalesTech") and leo.roles == ("Sous-traitant",)


# A catalogue as the store gives it after ingest: vendor.yaml aliases plus what each document calls itself.
DERIVED = {
    "aura-digital": ["role:Prestataire", "role:Sous-traitant"],
    "boost-my-mail": ["BoostMyMail", "role:Fournisseur"],
    "humanlinker": ["role:Sous-traitant"],
    "leo-bizdev": ["SalesTech", "role:Sous-traitant"],
    "unnamed-provider": ["role:Service Provider"],
}


def derived_catalog():
    from assistant.vendors import catalog_from

    return catalog_from({v.slug: v.name for v in CATALOG}, DERIVED)


@pytest.mark.parametrize(
    "question,expected",
    [
        ("What is the Service Provider's liability cap?", ["unnamed-provider"]),
        ("How often does the Service Provider back up data?", ["unnamed-provider"]),
        ("Quel est le délai de traitement d'une anomalie bloquante par le Prestataire ?", ["aura-digital"]),
        ("Le Fournisseur peut-il modifier ses prix ?", ["boost-my-mail"]),
        ("Does SalesTech host data in the EU?", ["leo-bizdev"]),
        # a shared role next to a name: the name decides
        (
            "Chez Humanlinker, le Sous-traitant peut-il recourir à un sous-traitant ultérieur ?",
            ["humanlinker"],
        ),
    ],
)
def test_roles_and_names_from_the_documents(question, expected):
    assert detect_vendors(question, derived_catalog(), known).vendors == expected


@pytest.mark.parametrize(
    "question",
    [
        "What is the liability cap of the service provider?",  # lower case: the generic noun
        "Le prestataire doit-il notifier les violations ?",
    ],
)
def test_roles_in_lower_case_stay_generic(question):
    det = detect_vendors(question, derived_catalog(), known)
    assert det.vendors == [] and det.ambiguous == []


def test_a_role_several_vendors_use_widens_the_search():
    from assistant.scope import decide

    q = "Dans quel délai le Sous-traitant doit-il notifier une violation ?"
    det = detect_vendors(q, derived_catalog(), known)
    assert det.vendors == [] and det.ambiguous == ["Sous-traitant"] and det.unknown is None
    sc = decide(q, None, None, derived_catalog(), known)
    assert sc.vendors == [] and sc.unknown_vendor is None and not sc.refusal  # the whole corpus is searched


def test_a_name_two_vendors_share_names_neither():
    from assistant.vendors import catalog_from

    cat = catalog_from({"a": "Alpha Cloud", "b": "Beta Mail"}, {"a": ["Groupe Nova"], "b": ["Groupe Nova"]})
    det = detect_vendors("What does Groupe Nova say about audits?", cat, known)
    assert det.vendors == [] and det.ambiguous == ["Groupe Nova"] and det.unknown is None
    assert detect_vendors("What does Alpha Cloud say about audits?", cat, known).vendors == ["a"]


def test_ingest_records_the_documents_aliases_for_the_catalogue(fake_settings):
    """End to end with the hashing embedder: what each document calls its party reaches the catalogue;
    a role two vendors share names neither."""
    from assistant.vendors import catalog_from
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import HashingEmbeddings
    from vectorstore.store import ClauseStore

    corpus = fake_settings.corpus_dir
    docs = {
        "alpha/cgv.txt": "CONDITIONS GÉNÉRALES\n\nLa société Alpha Cloud, SAS au capital de 10 000 euros, "
        "immatriculée au RCS de Lyon (ci-après le « Prestataire ») fournit le Service.\n\n"
        "Le Prestataire agit en qualité de Sous-traitant au sens du RGPD.\n",
        "beta/cgs.txt": "CONDITIONS GÉNÉRALES DE SERVICE\n\nLa société BETAMAIL, société par actions simplifiée "
        "au capital de 5 000 euros (ci-après le « Fournisseur »), édite une solution de "
        "messagerie.\n\nLe Fournisseur agit comme Sous-traitant du Client.\n",
        "gamma/dpa.txt": "DATA PROCESSING AGREEMENT\n\nThe Service Provider, as a subcontractor, processes personal "
        "data on behalf of the Customer, who acts as a data controller.\n",
    }
    for rel, text in docs.items():
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text, encoding="utf-8")
    run_ingest(fake_settings, embeddings=HashingEmbeddings(), progress=False)
    store = ClauseStore(fake_settings)
    cat = catalog_from(store.vendors(), store.vendor_aliases())
    roles = {v.slug: v.roles for v in cat}
    assert roles == {
        "alpha": ("Prestataire", "Sous-traitant"),
        "beta": ("Fournisseur", "Sous-traitant"),
        "gamma": ("Service Provider",),
    }
    assert detect_vendors("Quel préavis pour le Prestataire ?", cat, known).vendors == ["alpha"]
    assert detect_vendors("Does the Service Provider encrypt backups?", cat, known).vendors == ["gamma"]
    shared = detect_vendors("Le Sous-traitant peut-il sous-traiter ?", cat, known)
    assert shared.vendors == [] and shared.ambiguous == ["Sous-traitant"]
