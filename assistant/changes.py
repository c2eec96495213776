"""Change questions ("What changed in Basecamp's DPA since 2021?", "Did Basecamp change its sub-processor
terms?", "Qu'est-ce qui a changé dans les CGV depuis 2022 ?"): answered from the stored versions, with no
model. The vendor comes from the scope; the document is the one named, else every document of the vendor
with an older version kept, its changes filtered by the question's review-grid topic; the versions are the
one in force at the date named ("since 2021": the latest labelled on or before it) and the current one,
else the two latest. Every change cites both versions verbatim: the old side with the document id
`document@label` (the store reads that version's text), the new side with the document itself when it is
the current version."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from assistant.diff.changes import Change, DiffResult, Side, TopicMatcher
from assistant.diff.stored import VersionPair, diff_versions, pick_pair, version_on_or_before
from assistant.turn import Turn
from core.dates import find_dates
from core.text import STOPWORDS, fold
from core.types import Citation, WarningCode
from vectorstore.versions import VersionRecord

log = logging.getLogger(__name__)

MAX_LISTED = 8  # changes written out in the answer; the rest are counted, with the command that lists them
SHORT_QUOTE = 160  # characters of a quote shown in the answer's text (the citation holds it whole)

# The document changed (past or perfect tense, or "since <date>"), not "can the vendor change its prices".
# English on the accent-folded question; French on the question itself (the accent of "a changé" is what
# tells it from "a change of control").
_CHANGE_EN = re.compile(
    r"\bwhat(?:'s|\s+has|\s+have)?\s+(?:been\s+)?changed\b|\bwhat\s+changes\s+(?:were|have|has|did)\b"
    r"|\b(?:did|has|have)\s+(?:[\w'-]+\s+){1,6}?(?<!to\s)"
    r"(?:change|changed|modif(?:y|ied)|amend(?:ed)?|update|updated|revise|revised)\b"
    r"|\b(?:changes?|changed|modifications?|amendments?|differences?|updates?)\s+(?:\w+\s+){0,6}?"
    r"(?:since|between)\s",
    re.I,
)
_CHANGE_FR = re.compile(
    r"qu'est[- ]ce\s+qui\s+(?:a\s+(?:chang|été\s+modifi|évolu)|change\b)"
    r"|qu'a[- ]t[- ](?:il|elle|on)\s+(?:changé|modifié)"
    r"|\b(?:a|ont)(?:-t)?-(?:il|elle|on|ils|elles)\s+(?:été\s+)?(?:changé|modifié|évolué)e?s?\b"
    r"|\b(?:a|ont)\s+(?:été\s+)?(?:changé|modifié|évolué)e?s?\b"
    r"|\b(?:changements?|modifications?|différences?|évolutions?)\s+(?:[\w'-]+\s+){0,6}?(?:depuis|entre)\s",
    re.I,
)
_SINCE = re.compile(
    r"\b(?:since|from|depuis|d[eè]s)\s+(?:(?:the|le|la|l['’])\s*)?(?P<rest>[^?.,;]{0,40})", re.I
)
_BETWEEN = re.compile(
    r"\b(?:between|entre)\s+(?:the\s+|les?\s+|la\s+)?(?P<a>[^?.,;]{0,40}?)\s+(?:and|et)\s+(?P<b>[^?.,;]{0,40})",
    re.I,
)
_YEAR = re.compile(r"(?<![\d/.-])((?:19|20)\d\d)(?![\d/]|-\d)")

TEXTS = {
    "en": {
        "head": "{doc} of {vendor}: {n} {changes} between the version of {old} and {new}{topic}:",
        "current": "the current version ({label})",
        "version": "the version of {label}",
        "about": " about {topic}",
        "changed": "- **{section}**: “{old}” [{o}] became “{new}” [{n}]{figures}",
        "added": "- **{section}**: added “{new}” [{n}]",
        "removed": "- **{section}**: removed “{old}” [{o}]",
        "moved": "- **{section}**: “{new}” [{n}] moved here from {old_section} [{o}]",
        "more": "… and {m} more (python -m assistant diff --vendor {vendor} --document {name} --from {old} "
        "--to {new}).",
        "none": "{doc} of {vendor}: no change{topic} between the version of {old} and {new}.",
        "one": "Only one version of {doc} of {vendor} is kept ({label}): there is no older version to compare "
        "it with.",
        "no_versions": "No older version of {vendor}'s documents is kept, so I cannot say what changed: "
        "ingest the earlier files (dated names such as terms-2021-09-27.md, or vendor.yaml `versions:`).",
        "earliest": "(No version of {when} or before is kept: compared from the oldest, {label}.)",
        "why": "The stored versions were compared clause by clause and sentence by sentence (no language "
        "model); each change quotes both versions verbatim.",
        "change": "change",
        "changes": "changes",
    },
    "fr": {
        "head": "{doc} de {vendor} : {n} {changes} entre la version du {old} et {new}{topic} :",
        "current": "la version actuelle ({label})",
        "version": "la version du {label}",
        "about": " concernant {topic}",
        "changed": "- **{section}** : « {old} » [{o}] est devenu « {new} » [{n}]{figures}",
        "added": "- **{section}** : ajout de « {new} » [{n}]",
        "removed": "- **{section}** : suppression de « {old} » [{o}]",
        "moved": "- **{section}** : « {new} » [{n}] déplacé depuis {old_section} [{o}]",
        "more": "… et {m} autres (python -m assistant diff --vendor {vendor} --document {name} --from {old} "
        "--to {new}).",
        "none": "{doc} de {vendor} : aucun changement{topic} entre la version du {old} et {new}.",
        "one": "Une seule version de {doc} de {vendor} est conservée ({label}) : aucune version antérieure à "
        "comparer.",
        "no_versions": "Aucune version antérieure des documents de {vendor} n'est conservée : je ne peux pas "
        "dire ce qui a changé (ingérez les anciens fichiers : noms datés comme cgv-2021-09-27.txt, ou "
        "`versions:` dans vendor.yaml).",
        "earliest": "(Aucune version de {when} ou antérieure n'est conservée : comparaison depuis la plus "
        "ancienne, {label}.)",
        "why": "Les versions conservées ont été comparées clause par clause et phrase par phrase (sans modèle "
        "de langue) ; chaque changement cite les deux versions mot pour mot.",
        "change": "changement",
        "changes": "changements",
    },
}


def _t(lang: str, key: str, **kw: Any) -> str:
    return TEXTS.get(lang, TEXTS["en"])[key].format(**kw)


def is_change_question(question: str) -> bool:
    """Whether the question asks what changed in a vendor's documents (English or French)."""
    own = question.lower().replace("’", "'")
    return bool(_CHANGE_EN.search(fold(own)) or _CHANGE_FR.search(own))


def _when(text: str) -> str | None:
    """The date a phrase names, as a label: "2021", "2021-09" (September 2021), "2021-09-28"."""
    for d in find_dates(text):
        if d.precision == "date":
            return d.day.isoformat()
        if d.precision == "month_date":
            return d.day.isoformat()[:7]
    m = _YEAR.search(text)
    return m.group(1) if m else None


def asked_dates(question: str) -> tuple[str | None, str | None]:
    """(from, to) dates the question names: "between 2020 and 2022" -> ("2020", "2022"); "since 2021" /
    "depuis 2021" -> ("2021", None)."""
    m = _BETWEEN.search(question)
    if m:
        a, b = _when(m.group("a")), _when(m.group("b"))
        if a and b:
            return a, b
    m = _SINCE.search(question)
    if m:
        return _when(m.group("rest")), None
    return None, None


def _words(name: str) -> list[str]:
    stem = PurePath(name).stem
    return [w for w in re.split(r"[^a-z0-9]+", fold(stem)) if w and w not in STOPWORDS and not w.isdigit()]


def _acronym(name: str) -> str:
    words = [w for w in re.split(r"[^a-z0-9]+", fold(PurePath(name).stem)) if w and not w.isdigit()]
    return "".join(w[0] for w in words) if len(words) >= 2 else ""


def named_documents(question: str, documents: Sequence[str]) -> list[tuple[float, str]]:
    """(score, document) of the documents the question names, best first: 1.0 for its acronym ("DPA" for
    data-processing-addendum) or all its name's words, else the share of its words found (by their first
    six letters, so "sub-processor" finds "subprocessors")."""
    q = fold(question, apostrophes=True)
    qwords = set(re.findall(r"[a-z0-9]+", q)) | set(re.findall(r"[a-z0-9]+", q.replace("-", "")))
    out: list[tuple[float, str]] = []
    for d in documents:
        ac = _acronym(d)
        words = _words(d)
        if ac and len(ac) >= 2 and ac in qwords:
            out.append((1.0, d))
            continue
        hit = [w for w in words if any(q_[:6] == w[:6] and len(q_) >= min(4, len(w)) for q_ in qwords)]
        if words and hit:
            out.append((len(hit) / len(words), d))
    return sorted(out, key=lambda x: -x[0])


@dataclass
class DocChanges:
    """One document's comparison, the changes kept (the topic's, or all) and how the old side was chosen."""

    pair: VersionPair
    result: DiffResult
    kept: list[Change]
    note: str = ""


def _pair(
    store: Any, document: str, versions: list[VersionRecord], question: str, lang: str
) -> tuple[VersionPair, str]:
    """The versions to compare for this question, and a note when the date named predates them all."""
    start, end = asked_dates(question)
    new = versions[-1]
    if end:
        new = version_on_or_before(versions, end) or new
    if start:
        old = version_on_or_before(versions, start)
        if old is None:
            return VersionPair(document, versions[0], new), _t(
                lang, "earliest", when=start, label=versions[0].label
            )
        return VersionPair(document, old, new), ""
    return pick_pair(store, document, None, new.label), ""


def _short(text: str, at: int = 0) -> str:
    """A quote as shown in the answer: whitespace runs as one space, cut to SHORT_QUOTE characters around
    `at` (where the two versions start to differ) at word boundaries."""
    flat = " ".join(text.split())
    if len(flat) <= SHORT_QUOTE:
        return flat
    start = max(0, min(at - SHORT_QUOTE // 3, len(flat) - SHORT_QUOTE))
    if start:
        start = flat.find(" ", start) + 1 or start
    piece = flat[start : start + SHORT_QUOTE]
    if start + SHORT_QUOTE < len(flat):
        piece = piece.rsplit(" ", 1)[0] + " …"
    return ("… " if start else "") + piece


def _first_difference(a: str, b: str) -> int:
    """Where two quotes (whitespace runs as one space) start to differ."""
    fa, fb = " ".join(a.split()), " ".join(b.split())
    return len(os.path.commonprefix([fa, fb]))


def _priority(c: Change) -> tuple[int, int]:
    """Which changes to write out first: those changing a figure, then changed wording, then the rest."""
    return (0 if c.figures else 1, 0 if c.kind == "changed" else 1)


def _cite(n: int, side: Side, document: str, vendor: str, vendor_name: str) -> Citation:
    return Citation(n, vendor, vendor_name, document, side.section, side.quote, side.start, side.end)


def write_changes(
    lang: str, vendor: str, vendor_name: str, docs: list[DocChanges], topic_label: str
) -> tuple[str, list[Citation]]:
    """The answer's text (a list of changes per document) and its citations (both sides of each change)."""
    lines: list[str] = []
    cites: list[Citation] = []
    topic = _t(lang, "about", topic=topic_label) if topic_label else ""
    for dc in docs:
        p = dc.pair
        name = PurePath(p.document).name
        old_ref = p.old.ref
        new_ref = p.document if p.new.current else p.new.ref
        new_desc = _t(lang, "current" if p.new.current else "version", label=p.new.label)
        fmt = {"doc": name, "vendor": vendor_name, "old": p.old.label, "new": new_desc, "topic": topic}
        if dc.note:
            lines.append(dc.note)
        if not dc.kept:
            lines.append(_t(lang, "none", **fmt))
            continue
        many = len(dc.kept) != 1
        lines.append(
            _t(lang, "head", n=len(dc.kept), changes=_t(lang, "changes" if many else "change"), **fmt)
        )
        shown = sorted(sorted(range(len(dc.kept)), key=lambda i: _priority(dc.kept[i]))[:MAX_LISTED])
        for i in shown:
            c = dc.kept[i]
            o = n = 0
            if c.old is not None:
                o = len(cites) + 1
                cites.append(_cite(o, c.old, old_ref, vendor, vendor_name))
            if c.new is not None:
                n = len(cites) + 1
                cites.append(_cite(n, c.new, new_ref, vendor, vendor_name))
            section = (c.new or c.old).section or name  # type: ignore[union-attr]
            at = _first_difference(c.old.quote, c.new.quote) if c.old and c.new else 0
            figs = "; ".join(f"{f.old or '—'} → {f.new or '—'}" for f in c.figures)
            lines.append(
                _t(
                    lang,
                    c.kind,
                    section=section,
                    old=_short(c.old.quote, at) if c.old else "",
                    new=_short(c.new.quote, at) if c.new else "",
                    o=o,
                    n=n,
                    old_section=(c.old.section if c.old else "") or name,
                    figures=f" ({figs})" if figs else "",
                )
            )
        if len(dc.kept) > len(shown):
            lines.append(
                _t(
                    lang,
                    "more",
                    m=len(dc.kept) - len(shown),
                    vendor=vendor,
                    name=p.document.split("/", 1)[1],
                    old=p.old.label,
                    new=p.new.label,
                )
            )
    return "\n".join(lines), cites


def answer_change(turn: Turn, asst: Any, vendors: Sequence[str]) -> bool:
    """Fill `turn.answer` for a change question about one vendor; False when the question is not one, the
    store keeps no versions, or it names no single vendor (the engine answers it then)."""
    store = asst.store
    if not is_change_question(turn.question) or not hasattr(store, "all_versions") or len(vendors) != 1:
        return False
    from assistant.diff.cli import load_topic_keywords

    vendor, lang, a = vendors[0], turn.lang, turn.answer
    vendor_name = store.vendors().get(vendor, vendor)
    listing = store.all_versions([vendor])
    topics = load_topic_keywords()
    asked = TopicMatcher(topics)(turn.question)
    named = named_documents(turn.question, list(listing))
    versioned = [d for d, vs in listing.items() if len(vs) > 1]
    strong = [d for s, d in named if s >= 1.0]
    if strong and not any(d in versioned for d in strong):
        d = strong[0]
        a.answer = _t(lang, "one", doc=PurePath(d).name, vendor=vendor_name, label=listing[d][-1].label)
        _done(turn, abstained=True)
        return True
    if not versioned:
        a.answer = _t(lang, "no_versions", vendor=vendor_name)
        _done(turn, abstained=True)
        return True
    weak = [(s, d) for s, d in named if d in versioned]
    if strong:
        targets = [d for d in strong if d in versioned]
    elif weak and not asked:  # the documents the question names best
        targets = [d for s, d in weak if s == weak[0][0]]
    else:
        targets = [d for _, d in weak] + [d for d in versioned if d not in {d_ for _, d_ in weak}]
    docs: list[DocChanges] = []
    for d in targets:
        pair, note = _pair(store, d, listing[d], turn.question, lang)
        result = diff_versions(store, pair, topics, asst.settings.chunking)
        kept = [c for c in result.changes if not asked or set(asked) & set(c.topics)]
        docs.append(DocChanges(pair, result, kept, note))
    if asked and not strong:  # a topic over every versioned document: only those where it changed, if any
        docs = [dc for dc in docs if dc.kept] or docs[:1]
    label = _topic_label(asked, lang)
    a.answer, a.citations = write_changes(lang, vendor, vendor_name, docs, label)
    a.vendors = [vendor]
    _done(turn, abstained=False)
    return True


def _topic_label(keys: Sequence[str], lang: str) -> str:
    """The review-grid label of the question's topic(s), in the answer's language."""
    if not keys:
        return ""
    import yaml

    from assistant.diff.cli import TOPICS_FILE

    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8")) or {}
    labels = []
    for k in keys:
        entry = (data.get("topics") or {}).get(k) or {}
        lab = entry.get("label") if isinstance(entry, dict) else None
        labels.append(str(lab.get(lang) or lab.get("en")) if isinstance(lab, dict) else k.replace("_", " "))
    return ", ".join(labels).lower()


def _done(turn: Turn, abstained: bool) -> None:
    a = turn.answer
    a.abstained = abstained
    a.mode = "abstained" if abstained else "extractive"
    a.explanation = _t(turn.lang, "why")
    a.confidence = None
    a.warn(WarningCode.VERSIONS, "answered from the stored versions (what changed)")
