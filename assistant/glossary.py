"""A small EN<->FR legal glossary so that BM25 finds French clauses for English questions (and back),
and a question-language guess."""

from __future__ import annotations

import re

from core.text import fold

# (english terms, french terms): any term of one side found in a question adds the other side's terms.
GLOSSARY: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("data breach", "breach", "security incident", "incident"),
        ("violation de données", "violation", "incident de sécurité", "notifier"),
    ),
    (("notify", "notification", "notified"), ("notifier", "notification", "informer")),
    (("liability", "liable"), ("responsabilité", "responsable")),
    (("cap", "capped", "limit", "limitation", "maximum"), ("plafond", "plafonnée", "limitation", "limitée")),
    (("damages", "indirect damages"), ("dommages", "dommages indirects", "préjudice")),
    (("terminate", "termination", "cancel", "cancellation"), ("résiliation", "résilier", "résilié")),
    (("notice", "notice period", "prior notice"), ("préavis", "délai de préavis")),
    (
        ("sub-processor", "subprocessor", "sub-processors", "subcontractor"),
        ("sous-traitant ultérieur", "sous-traitants ultérieurs", "sous-traitant", "sous-traitance"),
    ),
    (
        ("hosting", "hosted", "host", "servers", "data center"),
        ("hébergement", "hébergées", "hébergeur", "serveurs"),
    ),
    (
        ("account closure", "closed", "closure", "close the account", "end of the contract"),
        ("clôture", "clôture du compte", "suppression du compte", "fin du contrat", "rétention"),
    ),
    (
        ("retention", "retain", "keep", "keeps", "kept", "stored", "storage", "delete", "deletion"),
        ("conservation", "conservées", "durée de conservation", "suppression", "supprimées"),
    ),
    (("audit", "audits", "inspection"), ("audit", "audits", "contrôle", "inspection")),
    (
        ("jurisdiction", "court", "courts", "competent court"),
        ("tribunal compétent", "tribunaux", "juridiction"),
    ),
    (("governing law", "applicable law", "law"), ("droit applicable", "loi applicable", "droit français")),
    (
        ("transfer", "transfers", "outside the eu", "third country"),
        ("transfert", "transferts", "hors de l'union européenne", "pays tiers"),
    ),
    (("sla", "availability", "uptime", "service level"), ("disponibilité", "niveau de service", "sla")),
    (("refund", "reimburse", "reimbursement"), ("remboursement", "rembourser", "remboursé")),
    (
        ("price", "prices", "fee", "fees", "payment", "invoice", "late payment"),
        ("prix", "tarif", "redevance", "paiement", "facture", "retard de paiement"),
    ),
    (("penalty", "penalties", "interest"), ("pénalité", "pénalités", "intérêts", "indemnité forfaitaire")),
    (
        ("renewal", "renew", "auto-renewal", "duration", "term"),
        ("renouvellement", "reconduction", "tacite reconduction", "durée"),
    ),
    (("confidentiality", "confidential"), ("confidentialité", "confidentielles")),
    (("personal data",), ("données personnelles", "données à caractère personnel")),
    (("security measures", "security", "encryption"), ("sécurité", "mesures de sécurité", "chiffrement")),
    (("insurance",), ("assurance",)),
    (("force majeure",), ("force majeure",)),
    (("maintenance", "downtime", "interruption"), ("maintenance", "interruption", "suspension")),
    (("support",), ("support", "assistance")),
    (("intellectual property", "ownership"), ("propriété intellectuelle", "propriété")),
    (("warranty", "guarantee"), ("garantie", "garantit")),
    (("backup", "backups"), ("sauvegarde", "sauvegardes")),
    (("data protection officer", "dpo"), ("délégué à la protection des données", "dpo")),
    (("rights", "access right", "erasure"), ("droits", "droit d'accès", "effacement")),
    (("instructions",), ("instructions documentées", "instructions")),
    (("processor",), ("sous-traitant",)),
    (("controller",), ("responsable de traitement", "responsable du traitement")),
    (("amend", "amendment", "modify", "changes"), ("modification", "modifier", "modifications")),
    (("days",), ("jours",)),
    (("hours",), ("heures",)),
    (("months",), ("mois",)),
)


def _norm(text: str) -> str:
    return " " + re.sub(r"[^\w']+", " ", fold(text)) + " "


def translate_terms(question: str) -> list[str]:
    """Glossary terms of the other language (and synonyms) for the legal terms found in the question."""
    q = _norm(question)
    out: list[str] = []
    for en, fr in GLOSSARY:
        for side, other in ((en, fr), (fr, en)):
            if any(_norm(t) in q for t in side):
                for t in (*other, *side):
                    if t not in out:
                        out.append(t)
    return out


def expanded_query(question: str) -> str:
    """The question followed by its glossary translations: the second BM25 query."""
    extra = translate_terms(question)
    return question + (" " + " ".join(extra) if extra else "")
