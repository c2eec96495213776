"""Scope: which vendors a question is about (named, misspelt, given as a filter, or inherited from the
previous turn), whether it fans out over several vendors ("which vendors…", comparisons), whether it names a
vendor that is not in the corpus, and whether it is out of scope altogether (refused)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.query import AUXILIARIES, is_fan_out, is_yes_no_question, refusal_reason, resolve_followup
from assistant.vendors import Detection, VendorInfo, detect_vendors

# French prepositions of several words that may open an ask ("au bout de combien de temps…")
_LONG_PREPOSITIONS = r"au\s+bout\s+de|à\s+partir\s+de|à\s+compter\s+de|jusqu['’]à"
# The prepositions a question word may follow ("and within how many hours", "et pendant combien de temps",
# "and during which period"), English and French, one list for every pattern below
_PREPOSITIONS = (
    r"within|in|under|for|from|to|with|at|by|on|through|during|after|before|until|since|between|dans|sous|avec|"
    rf"pour|par|de|à|en|chez|sur|pendant|durant|après|avant|depuis|entre|{_LONG_PREPOSITIONS}"
)
# Two asks in one question: "What is X's cap, and which court has jurisdiction?" / "… et quel tribunal …"
# "… and within how many hours …?" / "… et dans quel délai …?": a preposition may come before the question word
_SECOND_ASK = re.compile(
    rf"[,;]?\s+(?:and|et)\s+(?=(?:(?:{_PREPOSITIONS}|a)\s+)?(?:what|which|who|whom|where|when|how|is|are|does|do|can|quel(?:le)?s?|qui|"
    r"o[uù]|quand|comment|combien|lequel|laquelle|lesquel(?:le)?s|est-ce|peut-il|peut-elle|doit-il|doit-elle)\b)"
    # after a comma, a French inversion a few words on: "…, et Boost My Mail peut-il céder le sien ?"
    r"|,\s+(?:and|et)\s+(?=(?:[\w'’]+\s+){0,4}?[\w'’]+-(?:t-)?(?:il|elle|ils|elles|on)\b)",
    re.I,
)

# The same question for another case: "…with an annual contract, and with a monthly one?" / "…pour les
# clients de l'UE, et pour ceux des États-Unis ?": a comma, and/et, a preposition the first ask also has,
# and a short phrase with no verb of its own
_OTHER_CASE = re.compile(
    r"[,;]\s+(?:and|et)\s+(?P<prep>in|under|for|with|at|by|on|to|from|during|dans|sous|avec|pour|par|en|"
    r"chez|sur|pendant)\s+(?P<case>[^?,;]{1,60}?)\s*\?\s*$",
    re.I,
)

_QUESTION_WORD = re.compile(
    r"(?:what|which|whose|who|whom|how|when|where|quel(?:le)?s?|combien|lequel|laquelle|lesquel(?:le)?s|qui|"
    r"quoi|quand|où)\b",
    re.I,
)

# A question word and at most one noun after it, with its preposition: "Avec quel préavis", "By which means",
# "Dans quel délai"; `_BARE_WH` when it is the whole of an ask, `_LEAD_WH` when it opens one.
_WH_PHRASE = (
    rf"(?:(?:{_PREPOSITIONS})\s+)?"
    r"(?:(?:quel(?:le)?s?|which|what)\s+[\w'’-]+|combien\s+de\s+[\w'’-]+|how(?:\s+(?:long|often|much|many))?"
    r"|when|where|why|comment|quand|où|pourquoi)"
)
_BARE_WH = re.compile(_WH_PHRASE, re.I)
# What opens a question: a question word after at most a preposition, an auxiliary, "est-ce que"
_QUESTION_OPENING = re.compile(
    rf"(?:(?:{_PREPOSITIONS})\s+)?(?:{_QUESTION_WORD.pattern}|(?:{'|'.join(AUXILIARIES)})\b|est-ce\b)", re.I
)
# A subordinate clause may open with a question word and still be a frame: "Quand nous signalons X, …",
# "When I cancel, …": a subject pronoun follows it
_SUBORDINATE = re.compile(
    r"(?:when|where|quand|lorsqu['’]?|où)\s+(?:i|we|you|they|nous|vous|on|ils|elles)\b", re.I
)
# A second ask that opens on a name keeps its capital ("Boost My Mail peut-il céder le sien ?")
_PROPER_START = re.compile(r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)+|[A-Z]{2,}|[A-Z]\w*\d")
# the whole phrase ("after how long, can…"), and a comma after it
_LEAD_WH = re.compile(_WH_PHRASE + r"(?![\w'’-])[\s,]+", re.I)
# A second ask with no verb of its own: a question word, perhaps after a preposition, and up to three words
# ("in what GDPR role?", "et avec quel préavis ?", "and under what conditions?", "and where?"); after "how
# long" or "combien de temps", up to two ("for how long at most?", "pendant combien de temps au maximum ?")
_ELLIPTIC_ASK = re.compile(
    rf"(?:(?:{_PREPOSITIONS})\s+)?"
    r"(?:(?:quel(?:le)?s?|which|what)(?:\s+[\w'’-]+){1,3}|(?:how\s+(?:long|often|much|many)"
    r"|combien\s+de\s+[\w'’-]+)(?:\s+[\w'’-]+){0,2}|how|when|where|why|comment|quand|où|pourquoi|combien)",
    re.I,
)
# An auxiliary ends an open question's question-word phrase: what follows is the predicate a verbless
# second ask shares
_AUXILIARY = re.compile(rf"\b(?:{'|'.join(AUXILIARIES)})\b", re.I)
_FRENCH_VERB = re.compile(
    r"\b(?:est|sont|a|ont|peut|peuvent|doit|doivent|sera|seront|fait|font|s['’]applique\w*)\b|-(?:t-)?(?:il|elle|on)s?\b",
    re.I,
)
# a subject pronoun opens a clause with a verb of its own ("and what it costs?", "et ce qu'il couvre ?")
_PRONOUN = re.compile(r"\b(?:i|we|you|he|she|it|they|il|elle|ils|elles|on|nous|vous)\b", re.I)
_OPEN_WH = re.compile(r"\b(?:which|what|who|whom|where|when|how)\b", re.I)
# French: an open question's word, the inverted verb that ends its subject ("un crédit est-il accordé",
# "Basecamp doit-il notifier"), and the determiner that opens a subject noun phrase
_FRENCH_OPEN = re.compile(r"(?<![\w'’])(?:quel(?:le)?s?|combien|comment|quand|où|pourquoi)\b", re.I)
_FRENCH_INVERTED = re.compile(r"[\w'’]+-(?:t-)?(?:il|elle|on)s?\b", re.I)
_DETERMINER = re.compile(
    r"(?<![\w'’])(?:un|une|le|la|les|des|du|ce|cet|cette|ces|son|sa|ses|leur|leurs|mon|ma|mes|notre|nos|votre"
    r"|vos)\b|(?<![\w'’])l['’]",
    re.I,
)


@dataclass
class Scope:
    """What the question is about, decided before any retrieval."""

    question: str  # the effective question (a follow-up rewritten with its inherited topic)
    detection: Detection
    vendors: list[str]  # vendors to search (empty: the whole corpus)
    fan_out: bool = False
    unknown_vendor: str | None = None
    refusal: str = ""
    asks: list[str] = field(default_factory=list)  # the question's asks (two for "X and Y?" questions)


def split_asks(question: str) -> list[str]:
    """One or two asks: a question joining two questions with "and/et" (or two question marks) is split. An
    instruction after the question ("…? Give every case.") is no ask of its own. A frame that opens the
    question ("Under X's DPA, …", "Chez X, …") scopes both asks, and the second gets it too (`_framed`)."""
    asks = _split(question)
    return [asks[0], _framed(asks[0], asks[1])] if len(asks) == 2 else asks


def _split(question: str) -> list[str]:
    asked = [p.strip() for p in question.split("?")[:-1] if p.strip()]  # each part that a "?" closes
    if len(asked) >= 2:
        return [p + " ?" for p in asked[:2]]
    other = _other_case(question)
    if other:
        return other
    m = _SECOND_ASK.search(question)
    if m and m.start() > 12 and len(question) - m.end() > 8:
        first, second = question[: m.start()].strip(), question[m.end() :].strip()
        # two question words sharing one predicate ("Avec quel préavis et par quel moyen X prévient-il… ?",
        # "Within what period and by which means must X…?"): the first ask takes the second's predicate
        lead = _LEAD_WH.match(second)
        if _BARE_WH.fullmatch(first) and lead and second[lead.end() :].strip(" ?"):
            rest = second[lead.end() :].strip()
            return [f"{first} {rest}", f"{second[: lead.end()].rstrip(' ,')} {rest}"]
        return [first + " ?", _completed(first, second)]
    return [question]


def _framed(first: str, second: str) -> str:
    """The second ask with the frame that opens the first ("Under the Unnamed Provider's DPA, how quickly…,
    and within how many days is the copy deleted?" -> "Under the Unnamed Provider's DPA, within how many
    days…?"; "Chez X, quel préavis…, et de combien de jours…?"): the words before the first ask's first comma,
    when they hold no question of their own and what follows the comma opens one (a question word after at
    most a preposition, an auxiliary, or a French inverted verb a few words on). Without the frame the second
    ask is retrieved and checked as if the question had none: on another document, or another case. The
    second ask is kept as it is when it has the frame already or one of its own."""
    head, comma, rest = first.partition(",")
    frame = head.strip()
    if not comma or not 2 <= len(frame.split()) <= 16 or "," in second or frame in second:
        return second
    if _QUESTION_OPENING.match(frame) and not _SUBORDINATE.match(frame):
        return second  # "What is X, …": the question itself, not a frame
    opens = rest.strip()
    if not (_QUESTION_OPENING.match(opens) or _FRENCH_INVERTED.search(" ".join(opens.split()[:6]))):
        if not is_yes_no_question(opens):  # "puis-je céder…", "est-ce que…"
            return second
    body = second.strip()
    if body[:1].isupper() and not _PROPER_START.match(body):  # "Boost My Mail peut-il…" keeps its capital
        body = body[0].lower() + body[1:]
    return f"{frame}, {body}"


def _has_own_verb(text: str) -> bool:
    """Whether a part of a question has a verb of its own: an English auxiliary, a French verb or inversion,
    or a subject pronoun ("and what it costs?")."""
    return bool(_AUXILIARY.search(text) or _FRENCH_VERB.search(text) or _PRONOUN.search(text))


def _other_case(question: str) -> list[str]:
    """The two asks of one question asked for two cases ("Quand dois-je payer avec un contrat annuel, et avec
    un contrat mensuel ?" -> "… avec un contrat annuel ?", "… avec un contrat mensuel ?"): the second case
    takes the place of the first ask's last phrase opened by the same preposition. [] when the question is
    not of that shape (the second part has a verb of its own, or the first ask lacks the preposition)."""
    m = _OTHER_CASE.search(question)
    if m is None or m.start() < 12:
        return []
    case = f"{m['prep']} {m['case']}"
    if _has_own_verb(m["case"]):
        return []
    if _QUESTION_WORD.match(m["case"]):  # "…, and in which courts?" is another ask, not another case
        return []
    first = question[: m.start()].strip()
    at = list(re.finditer(rf"(?<![\w'’]){re.escape(m['prep'])}\s", first, re.I))
    if not at or len(first[at[-1].start() :].split()) > 8:  # the first case must end the first ask
        return []
    return [first + " ?", f"{first[: at[-1].start()].rstrip()} {case} ?"]


def _completed(first: str, second: str) -> str:
    """A second ask with no verb of its own completed with the first ask's predicate, so that it can be
    retrieved, checked and named on its own: after a closed first ask, the whole of it ("Can the customer
    audit X, and under what conditions?" -> "under what conditions can the customer audit X ?"; "X peut-il
    modifier ce document, et avec quel préavis ?" -> "avec quel préavis X peut-il modifier ce document ?");
    after an open English one, what follows its question word's phrase ("which data about … may the parties
    handle, and in what role?" -> "in what role may the parties handle ?", with any words before the first
    ask's question word). Any other second ask is kept as it is."""
    wh = second.rstrip(" ?").strip()
    if not _ELLIPTIC_ASK.fullmatch(wh) or _has_own_verb(wh):
        return second
    body = first.rstrip(" ?").strip()
    if is_yes_no_question(body + " ?"):
        lead = body.split()[0]
        if _AUXILIARY.fullmatch(lead):  # English: "Can the customer…" -> "… can the customer…"
            body = lead.lower() + body[len(lead) :]
        return f"{wh} {body} ?"
    if _FRENCH_OPEN.search(body) and not _OPEN_WH.search(body):
        return _completed_french(body, wh) or second
    opening = _OPEN_WH.search(body)
    if opening is None or len(re.split(r"[,;:]", body[: opening.start()])[-1].split()) > 2:
        return second
    aux = _AUXILIARY.search(body, opening.end())
    if aux is None or len(body[opening.end() : aux.start()].split()) > 6:
        return second
    before = body[: opening.start()].rstrip()
    return " ".join(p for p in (before, wh, body[aux.start() :], "?") if p)


def _completed_french(body: str, wh: str) -> str | None:
    """A French open first ask's predicate for a verbless second ask: the subject before the inverted verb
    and what follows ("Dans le SLA X, à partir de quelle durée de panne un crédit est-il accordé, et de quel
    montant ?" -> "Dans le SLA X, de quel montant un crédit est-il accordé ?"), with the words before the
    first ask's question phrase; None when the first ask has no inverted verb after its question word."""
    opening = _FRENCH_OPEN.search(body)
    verb = _FRENCH_INVERTED.search(body, opening.end()) if opening else None
    if opening is None or verb is None:
        return None
    between = body[opening.end() : verb.start()]
    dets = list(_DETERMINER.finditer(between))
    if dets:
        start = opening.end() + dets[-1].start()
    else:  # a subject with no determiner is a name, the word before the verb ("Basecamp doit-il")
        words = list(re.finditer(r"\S+", between))
        if len(words) < 2:
            return None
        start = opening.end() + words[-1].start()
    lead = re.split(r"[,;:]", body[: opening.start()])
    if len(lead[-1].split()) > 3:  # the question word must open its ask, after at most a preposition
        return None
    before = body[: opening.start() - len(lead[-1])].rstrip()
    return " ".join(p for p in (before, wh, body[start:], "?") if p)


def decide(
    question: str,
    vendors: Sequence[str] | None,
    history: Sequence[Any] | None,
    catalog: Sequence[VendorInfo],
    known_word: Callable[[str], bool],
) -> Scope:
    """The scope of a question (see module docstring)."""
    det = detect_vendors(question, catalog, known_word)
    reason = refusal_reason(question, det)
    if reason and not vendors:
        return Scope(question, det, [], refusal=reason, asks=[question])
    effective, inherited = resolve_followup(question, det, history, catalog, known_word)
    if effective != question:
        det = detect_vendors(effective, catalog, known_word)
    use = list(vendors) if vendors else (inherited or None)
    known = {v.slug for v in catalog}
    unknown = det.unknown
    if use:
        chosen = [v for v in use if v in known]
        missing = [v for v in use if v not in known]
        if missing and not chosen:
            unknown = missing[0]
        named = [v for v in det.vendors if v in chosen]
        if named:  # a filter of several vendors and a question naming some of them: those
            chosen = named
        unknown = unknown if not chosen else None
    else:
        chosen = list(det.vendors)
    fan_out = len(chosen) >= 2 or (not chosen and is_fan_out(effective) and len(known) > 1)
    if fan_out and not chosen:
        chosen = sorted(known)
    return Scope(effective, det, chosen, fan_out, unknown, asks=split_asks(effective))
