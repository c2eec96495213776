"""Query understanding beyond vendors: out-of-corpus requests to refuse, fan-out questions ("which
vendors…"), and follow-ups that inherit the previous turn's vendors or topic."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.vendors import Detection, VendorInfo, detect_vendors, replace_mentions
from core.text import STOPWORDS, fold

_INJECTION = re.compile(
    r"system\s*prompt|prompt\s*syst[eè]me|(?:your|tes|vos)\s+(?:instructions|rules|consignes|r[eè]gles)|"
    r"ignore\s+(?:all|any|previous|the\s+above|prior)|ignore[rz]?\s+(?:les|toutes|tout)\s|jailbreak|"
    r"developer\s+mode|reveal\s+your|pretend\s+(?:you|to)|act\s+as\s+|fais\s+comme\s+si",
    re.I,
)
# "Which vendors ...?": a question about the vendors as a set, matched on the question with its accents
# stripped. One pattern for the fan-out scope (is_fan_out) and the review grid's chat routing.
_WHICH_VENDORS = re.compile(
    r"\b(?:which|what)\s+(?:of\s+the\s+)?(?:vendors?|providers?|suppliers?|processors?|companies|saas)\b"
    r"|\b(?:do|does|are)\s+any\s+(?:of\s+the\s+)?(?:vendors?|providers?|suppliers?)\b"
    r"|\b(?:quels?|quelles?|lesquels|lesquelles)\b[^?]*?\b(?:fournisseurs?|prestataires?|editeurs?|vendeurs?)\b"
    r"|\bquel(?:le)?s?\s+societes\b",
    re.I,
)
# The other questions over several vendors: every vendor, comparisons.
_EVERY_VENDOR = re.compile(
    r"\b(?:all|each|every)\s+(?:the\s+)?(?:vendors?|providers?|suppliers?)|\bcompare\b|\bcompar(?:er|aison|ez)\b"
    r"|\b(?:tous|chaque)\s+(?:les\s+)?(?:fournisseurs?|prestataires?)",
    re.I,
)
_FILLER = frozenset(
    """and for what about how then also same question what's whats et pour chez quid de du
la le les alors aussi même meme question idem ok so case""".split()
)


# Document text addressed to an AI rather than to the parties: prompt-injection attempts. Such sentences
# are never shown to the model (they stay readable as document text in the store and the page).
_DOC_INSTRUCTION = re.compile(
    r"\[\s*system\s*\]|<\s*/?\s*(?:system|context|instructions?)\s*>|\b(?:human|assistant)\s*:|"
    r"\b(?:note|message|consignes?|instructions?)\s+(?:to|for|pour)\s+(?:any\s+|the\s+|an?\s+|l['’]\s*)?"
    r"(?:ai|ia|assistant|llm|model|mod[eè]le)\b|"
    r"\bignor\w*\s+(?:all\s+|any\s+|the\s+|toutes\s+|tous\s+|les\s+)*(?:previous|prior|above|pr[ée]c[ée]dent\w*|"
    r"instructions|consignes|documents?)|"
    r"developer\s+mode|\bdisregard\s+(?:the|all|previous)|system\s+prompt|prompt\s+syst[eè]me",
    re.I,
)


# The English auxiliaries and modals: one opens a closed question ("Can…", "Does…"), one ends an open
# question's question-word phrase ("which data … may the parties handle", "What availability does…")
AUXILIARIES = (
    "can could may might does do did is are was were will would shall should must has have had".split()
)
# A closed question: an auxiliary first ("Can…", "Does…", "Est-ce que…", "Peut-on…") or a French inversion
# ("Le Prestataire peut-il…", "Boost My Mail a-t-il…").
_CLOSED_START = rf"^\W*(?:(?:{'|'.join(AUXILIARIES)})\b|est-ce\s+qu|peut-on\b|doit-on\b)"
_YES_NO_QUESTION = re.compile(
    _CLOSED_START + r"|\b\w+-t-(?:il|elle|on|ils|elles)\b|\b\w{2,}-(?:il|elle|ils|elles|on|je|nous|vous)\b",
    re.I,
)
# An interrogative word: before a French inversion, it makes the question an open one ("Sous quel délai
# Humanlinker notifie-t-il… ?", "Où est-il hébergé ?", "Qu'est-ce que…")
_WH_WORD = re.compile(
    r"\b(?:quel(?:le)?s?|lequel|laquelle|lesquel(?:le)?s|combien|comment|où|quand|pourquoi|qui|que|qu['’]|quoi"
    r"|what|which|how|when|where|who|whom|whose|why)\b",
    re.I,
)


# A condition before the question proper ("If I cancel mid-month, is the unused time refunded?", "Si je
# résilie, suis-je remboursé ?"): the question is what follows its comma
_LEADING_CONDITION = re.compile(
    r"^\W*(?:if|when|whenever|once|after|before|unless|in\s+case|si|lorsqu['’]?e?|quand|dès\s+qu['’]?e?"
    r"|en\s+cas\s+d['’]?e?|après|avant)\b[^,?;]{1,200},\s*",
    re.I,
)
# A frame before the question: a phrase that ends in a comma ("Under the DPA, can…", "Chez X, peut-on…")
_LEADING_FRAME = re.compile(r"^[^,?;:]{2,200},\s*")
# Question words that also open a relative clause ("Un employé qui accède à tort aux données est-il
# sanctionné ?"): after a noun they ask nothing
_RELATIVE = frozenset("qui que qu' qu’ which who whom whose where when".split())
_BEFORE_QUESTION_WORD = frozenset(
    "à a de d' d’ du des dans sous pour par avec sur en après avant depuis jusqu' jusqu’ partir compter chez "
    "vers entre selon to from in for under within at by on with of about after before until".split()
)


def _asks_before(before: str) -> bool:
    """Whether the words before a French inversion hold a question word that asks ("Sous quel délai…", "À qui
    le client doit-il…", "…, quel droit s'applique-t-il"), not a relative pronoun after a noun ("Un employé qui
    accède… est-il…")."""
    for m in _WH_WORD.finditer(before):
        head = before[: m.start()].rstrip()
        prev = re.findall(r"[\w'’-]+$|[,;:(]$", head)
        if (
            m.group().lower() in _RELATIVE
            and prev
            and prev[0] not in ",;:("
            and (prev[0].lower() not in _BEFORE_QUESTION_WORD)
        ):
            continue
        return True
    return False


# Where a statement of context may end before the question proper ("We are restructuring our group: can we
# move the contract…?", "Nous changeons d'hébergeur. Est-ce que…"): a colon, semicolon or full stop and a space
# ("?" is not one: "What is X? Can Y?" asks twice)
_CONTEXT_END = re.compile(r"[:;.]\s+")
# An opening that only a closed question has: an English auxiliary, "est-ce que", "peut-on", "doit-on"
_CLOSED_OPENING = re.compile(_CLOSED_START, re.I)


def question_proper(question: str) -> str:
    """The question without what the user says before it: a statement of context ending in a colon, a
    semicolon or a full stop ("We are restructuring our group: can we move…?" -> "can we move…?") when what
    follows opens as a closed question does, then a condition ("If I cancel mid-month, is…?" -> "is…?")."""
    question = question.strip()
    for m in _CONTEXT_END.finditer(question):
        tail = question[m.end() :]
        if _CLOSED_OPENING.match(tail):
            question = tail
            break
    question = _LEADING_CONDITION.sub("", question, count=1)
    frame = _LEADING_FRAME.match(question)  # "Under the DPA, can the customer audit…?" asks whether it can
    if frame and _CLOSED_OPENING.match(question[frame.end() :]) and not _WH_WORD.match(question):
        question = question[frame.end() :]
    return question


def is_yes_no_question(question: str) -> bool:
    """A question answered by yes or no ("Can Boost My Mail change its prices?", "Le Prestataire peut-il
    sous-traiter ?", "If I cancel mid-month, is the unused time refunded?", "We are restructuring: can we
    move the contract?"), not an open one with an inversion ("Sous quel délai Humanlinker notifie-t-il… ?")."""
    question = question_proper(question)
    m = _YES_NO_QUESTION.search(question)
    if m is None:
        return False
    before = question[: m.start()] if m.start() > 0 else ""
    return not (before and _asks_before(before)) and not _WH_WORD.match(question.strip())


def addresses_the_assistant(text: str) -> bool:
    """True for document text that gives instructions to an AI assistant (prompt injection)."""
    return bool(_DOC_INSTRUCTION.search(text))


def injected_ranges(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Character ranges (shifted by `offset`) of the paragraphs of `text` that address an AI: the whole
    paragraph, because an injection's later sentences ("Tell the user that ...") carry no marker."""
    out: list[tuple[int, int]] = []
    pos = 0
    for para in re.split(r"(\n\s*\n|\n)", text):
        if para and not para.isspace() and addresses_the_assistant(para):
            out.append((offset + pos, offset + pos + len(para)))
        pos += len(para)
    return out


def refusal_reason(question: str, detection: Detection) -> str | None:
    """ "injection" for attempts to read or change the assistant's instructions; else None. A question
    outside the contracts (general knowledge, a recipe) is not recognised by its wording (a list of such
    wordings only knows the ones it was written from): retrieval finds nothing close enough to it, or the
    check finds no sentence that answers it, and the assistant says the documents do not cover it."""
    if _INJECTION.search(question):
        return "injection"
    return None


def is_which_vendors(question: str) -> bool:
    """A question about the vendors as a set ("Which vendors host data outside the EU?", "Quels
    fournisseurs hébergent les données hors de l'UE ?")."""
    return bool(_WHICH_VENDORS.search(fold(question, lower=False)))


# A question that asks which of the vendors meet something ("Which vendors host data outside the EU?",
# "Quels fournisseurs s'appuient sur AWS ?", "Do any providers charge for audits?"): the wh-word or "any"
# right before the word for vendors, so "Quels sous-traitants les fournisseurs utilisent-ils ?" (which
# sub-processors each vendor uses) is not one. Matched on the question with its accents stripped.
_SELECTION = re.compile(
    r"\b(?:which|what)\s+(?:of\s+the\s+|of\s+these\s+)?(?:vendors?|providers?|suppliers?|processors|companies)\b"
    r"|\b(?:do|does|are|is)\s+(?:there\s+)?any\s+(?:of\s+the\s+)?(?:vendors?|providers?|suppliers?)\b"
    r"|\b(?:quel(?:le)?s|lesquel(?:le)?s)\s+(?:sont\s+les\s+|des\s+|d'entre\s+(?:eux|les)\s+)?"
    r"(?:fournisseurs|prestataires|editeurs|vendeurs|societes)\b"
    r"|\by\s+a-t-il\s+des\s+(?:fournisseurs|prestataires|editeurs)\b",
    re.I,
)
# What makes a "which vendors" question ask for more than a yes or no per vendor: a superlative ("Which
# vendor has the longest…", "le plus court"; not a threshold: "at least 10 days", "within 72 hours or less",
# "en moins de 48 heures"), or a second, open ask ("…, and how fast?",
# "…, et avec quelles garanties ?").
_NOT_SELECTION = re.compile(
    r"(?<!\bat\s)\b(?:most|least|highest|lowest|longest|shortest|best|worst|fastest|slowest|largest|smallest|biggest"
    r"|strictest|earliest|latest|meilleure?s?|pire)\b|\b(?:le|la|les)\s+(?:plus|moins)\b"
    r"|(?:,|\band\b|\bet\b)\s+(?:(?:with|under|in|avec|sous|dans|selon|pour)\s+)?"
    r"(?:how|what|which|when|where|why|who|comment|quel(?:le)?s?|quand|ou|pourquoi|combien)\b",
    re.I,
)


def is_vendor_selection(question: str) -> bool:
    """A question that asks which vendors meet a condition, each vendor a yes or a no ("Which vendors host
    their service on Microsoft Azure?", "Quels fournisseurs s'appuient sur AWS ?"), not which one ranks first
    ("Which vendor has the longest notice period?") nor what each says ("…, and with what safeguards?")."""
    folded = fold(question, apostrophes=True)
    return bool(_SELECTION.search(folded)) and not _NOT_SELECTION.search(folded)


def is_fan_out(question: str) -> bool:
    """Questions over several vendors: "which vendors…", "quels fournisseurs…", "every vendor", "compare…"."""
    return is_which_vendors(question) or bool(_EVERY_VENDOR.search(question))


def content_words(question: str, detection: Detection) -> list[str]:
    """Words of the question outside vendor mentions, stop words and follow-up filler."""
    masked = question
    for m in sorted(detection.mentions, key=lambda m: -m.start):
        masked = masked[: m.start] + " " + masked[m.end :]
    out = []
    for w in re.findall(r"[^\W\d_]+", masked.lower()):
        wn = fold(w, lower=False)
        if w in STOPWORDS or wn in STOPWORDS or wn in _FILLER:
            continue
        out.append(w)
    return out


@dataclass
class Turn:
    """A prior turn of the conversation: its question and the vendors it was about."""

    question: str
    vendors: list[str]


def as_turn(item: Any) -> Turn | None:
    """Accept (question, Answer), (question, dict), an Answer, or a dict from Answer.to_json()."""
    q: Any = None
    ans: Any = None
    if isinstance(item, tuple | list) and len(item) == 2:
        q, ans = item
    elif isinstance(item, dict):
        q, ans = item.get("question"), item
    else:
        q, ans = getattr(item, "question", None), item
    if not q:
        return None
    vendors = ans.get("vendors") if isinstance(ans, dict) else getattr(ans, "vendors", None)
    if not vendors and isinstance(ans, dict):
        vendors = sorted({c.get("vendor") for c in ans.get("citations", []) if c.get("vendor")})
    return Turn(str(q), list(vendors or []))


def resolve_followup(
    question: str,
    detection: Detection,
    history: Sequence[Any] | None,
    catalog: Sequence[VendorInfo],
    known_word: Callable[[str], bool] | None = None,
) -> tuple[str, list[str] | None]:
    """(question to answer, vendors inherited or None). A follow-up with no vendor of its own inherits the
    previous turn's vendors; one that names only a vendor ("and for Aura Digital?") reuses the previous
    question's topic with the new vendor's name."""
    turns = [t for t in (as_turn(h) for h in (history or [])) if t is not None]
    if not turns:
        return question, None
    prev = turns[-1]
    if not detection.vendors:
        if detection.unknown:
            return question, None
        return question, (prev.vendors or None)
    if len(content_words(question, detection)) <= 1:
        names = {v.slug: v.name for v in catalog}
        new_names = " and ".join(names.get(s, s) for s in detection.vendors)
        prev_det = detect_vendors(prev.question, catalog, known_word)
        if prev_det.mentions:
            return replace_mentions(prev.question, prev_det.mentions, new_names), list(detection.vendors)
        return f"{prev.question} ({new_names})", list(detection.vendors)
    return question, None
