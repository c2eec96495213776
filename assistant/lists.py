"""Lists in the documents, for questions that ask for several items ("Which rights…?", "Quels sont les
cas…"): the list a checked sentence introduces or belongs to, read from the document's structure (an
introduction ending with ":" and the items on their own lines after it, up to the item that ends the list),
so that the answer quotes every item, each cited, instead of the first one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.query import AUXILIARIES
from assistant.spans import Span
from core.text import is_list_item

# A question that asks for several things: list words ("list", "énumérer", "lesquels"; "all the", "every",
# "tous les" unless a preposition comes before them: "purgé de tous les systèmes" asks for no list), "quels /
# quelles" (French marks the plural on the question word), "what are", or an English "which/what" whose noun
# phrase ends with a plural noun (_english_plural_ask).
_LIST_WORDS = re.compile(r"\b(?:list|enumerate|liste[rz]?|énum[ée]r\w*|lesquel(?:le)?s)\b", re.I)
_ALL_WORDS = re.compile(r"(\w+)?\s*\b(?:all\s+the|every|tou(?:te)?s\s+les)\b", re.I)
_PREPOSITIONS = frozenset("de du des dans sur en pour par from in on of for to at across with".split())
_FRENCH_PLURAL = re.compile(r"\b(?:quel(?:le)?s|lesquel(?:le)?s)\b", re.I)
_WHAT_ARE = re.compile(r"\bwhat\s+are\b", re.I)
_WH_WORD = re.compile(r"\b(?:which|what)\b", re.I)
_WORD = re.compile(r"[\w'’-]+|[^\w\s]")
# Words that end in "s" and are no plural noun, and the words that end a question's noun phrase: an
# auxiliary or modal ("What availability does…", "What must the provider…").
_NOT_PLURAL = frozenset("was has does its his this thus us yes perhaps always whereas".split())
_AUXILIARY = frozenset((*AUXILIARIES, "be", "been"))
# After a word ending in "s": these say the word was a verb ("What happens to…", "What notice period applies
# when…", "What governs the…"), not the subject of the question; and so does a noun ("Which sub-processor
# handles payment…"), known by its ending.
_AFTER_VERB = frozenset(
    "the a an to if when whenever where after before once unless upon in on at with from by under during "
    "than that this these those my your our their his her its it i we you they he she there data".split()
)
_NOUN_ENDING = re.compile(r"(?:ment|tion|sion|ity|ness|ance|ence|ing|ure|ship|age|ism|al)$")
_PREPOSITION_EN = frozenset("under in with for on at by from to of about within through against".split())
_EXAMPLES = re.compile(r",\s*(?:such\s+as|including|like|e\.g\.)", re.I)


# What may stand between two items of one list: white space holding a line break (a blank line only right
# after the introduction, or between two marked items).
_ITEM_GAP = re.compile(r"[ \t]*\n[ \t]*")
_INTRO_GAP = re.compile(r"[ \t]*\n(?:[ \t]*\n)?[ \t]*")
MAX_ITEMS = 12


def _english_plural_ask(question: str) -> bool:
    """Whether an English "which/what" that opens the question or one of its clauses ("…, which one
    prevails?", "Under which provision…", "…, and under what conditions?") asks about a plural noun. Right
    after "which", or after "what" that follows a preposition, a word ending in "s" is that noun ("with which
    safeguards?"). Otherwise the noun phrase (up to three words, ended by an auxiliary) ends with a plural
    noun when its word ending in "s" is followed by what a plural subject or object is followed by: an
    auxiliary ("What audit rights does…"), "of/for" ("What categories of data…"), examples ("Which
    certifications, such as ISO 27001, …") or a verb in its base form ("Which security measures protect…").
    Followed by anything else, the word is the verb ("What happens to…", "What governs transfers…", "Which
    legal entity provides Basecamp…") and the question asks for one thing."""
    for match in _WH_WORD.finditer(question):
        clause = re.split(r"[,;:]|\band\b", question[: match.start()])[-1].split()
        if len(clause) > 2:  # a relative "which", or "what" inside a clause ("the accuracy of what…")
            continue
        noun_first = match.group().lower() == "which" or (clause and clause[-1].lower() in _PREPOSITION_EN)
        rest = question[match.end() :]
        words = _WORD.findall(rest)
        for k, word in enumerate(words[:3]):
            low = word.lower()
            if low in _AUXILIARY or not word[0].isalnum():
                break
            if low in _NOT_PLURAL or low.endswith(("'s", "’s", "ss", "us", "is")) or not low.endswith("s"):
                continue
            if k == 0 and noun_first:
                return True
            after = words[k + 1] if k + 1 < len(words) else "?"
            after_low = after.lower()
            if after_low in _AUXILIARY or after_low in ("of", "for"):
                return True
            if after == "," and _EXAMPLES.match(rest[rest.index(word) + len(word) :]):
                return True
            if (
                after.isalpha()
                and after.islower()
                and not after_low.endswith("s")
                and after_low not in _AFTER_VERB
                and not _NOUN_ENDING.search(after_low)
            ):
                return True
            break  # the word was the verb: this question word asks for one thing
    return False


def is_list_question(question: str) -> bool:
    """Whether the question asks for several items (a plural "which/what/quels", or list words)."""
    return bool(
        _LIST_WORDS.search(question)
        or any((m.group(1) or "").lower() not in _PREPOSITIONS for m in _ALL_WORDS.finditer(question))
        or _FRENCH_PLURAL.search(question)
        or _WHAT_ARE.search(question)
        or _english_plural_ask(question)
    )


def _ends_item(text: str) -> bool:
    """An item that may end its list: it ends a sentence (".") rather than an item (";", ",", nothing).
    list_run goes on past it when the next line opens a marked item ("- ", "•", "a)") too."""
    return text.rstrip().endswith((".", "!", "?"))


def list_run(best: Span, spans: Sequence[Span], text: str) -> tuple[Span | None, list[Span]]:
    """(introduction, items) of the list that `best` introduces or belongs to, from `spans` (the sentences
    and list items of `best`'s document, any order) and the document's `text`; ([], None) when `best` is in
    no list. An introduction ends with ":"; each item stands on its own line, right after the previous one
    (a blank line may come after the introduction, and between two marked items); the list ends with an
    item that ends a sentence when the next line opens no item, or with the first line that does not follow
    on the next line."""
    doc = _lines(
        sorted(
            {sp.key: sp for sp in spans if sp.clause.document == best.clause.document}.values(),
            key=lambda sp: sp.start,
        ),
        text,
    )
    i = next((k for k, sp in enumerate(doc) if sp.start <= best.start and best.end <= sp.end), None)
    if i is None:
        return None, []

    def follows(prev: Span, nxt: Span, gap: re.Pattern[str]) -> bool:
        return prev.end <= nxt.start and bool(gap.fullmatch(text[prev.end : nxt.start]))

    start = i  # back to the introduction
    while start > 0 and not doc[start].text.rstrip().endswith(":"):
        prev = doc[start - 1]
        is_intro = prev.text.rstrip().endswith(":")
        if not follows(
            prev, doc[start], _INTRO_GAP if is_intro or _marked_pair(prev, doc[start]) else _ITEM_GAP
        ):
            break
        if (
            not is_intro
            and _ends_item(prev.text)
            and not (is_list_item(prev.text) and is_list_item(doc[start].text))
        ):
            break  # the previous line ends a list or a paragraph of its own
        start -= 1
    intro = doc[start] if doc[start].text.rstrip().endswith(":") else None
    first = start + 1 if intro is not None else start
    items: list[Span] = []
    for k in range(first, len(doc)):
        before = doc[k - 1] if k > 0 else None
        spaced = before is not None and (before is intro or _marked_pair(before, doc[k]))
        gap = _INTRO_GAP if spaced else _ITEM_GAP
        if k > first or intro is not None:
            if before is None or not follows(before, doc[k], gap):
                break
        if items and _ends_item(items[-1].text) and not is_list_item(doc[k].text):
            break  # an item ending a sentence ends the list, unless the next line opens an item too
        items.append(doc[k])
        if len(items) >= MAX_ITEMS:
            break
    if intro is None or not items or not intro.start <= best.start < items[-1].end:
        return None, []
    if len(items) < 2 and best.key != intro.key:  # one item makes a list only under its chosen introduction
        return None, []
    return intro, items


# Words that point back to what was just said: "ces droits", "ceux-ci", "ci-dessus", "comme tels", "these
# rights", "the above", "such losses". A sentence that holds one refers to the list or sentence before it.
_REFERS_BACK = re.compile(
    r"\b(?:ces|ceux-ci|celles-ci|ci-dessus|pr[ée]cit[ée]e?s|susvis[ée]e?s|susmentionn[ée]e?s|comme\s+tel(?:le)?s"
    r"|these|those|the\s+above|above[- ]mentioned|aforementioned|the\s+foregoing|as\s+such|such\s+\w+s)\b",
    re.I,
)
# Top-level separators of an enumeration ("les pertes de marchés, les pertes de clientèle, …"): a comma or a
# semicolon outside brackets, not a decimal comma.
_SEPARATOR = re.compile(r"(?<!\d),|,(?!\d)|;")
MIN_ENUMERATED = 3


def refers_back(text: str) -> bool:
    """Whether the sentence points back to what comes before it ("ces droits", "such losses")."""
    return bool(_REFERS_BACK.search(text))


def enumerates(text: str) -> bool:
    """Whether the sentence enumerates (three pieces or more between commas or semicolons, outside brackets)."""
    depth, flat = 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        flat.append(ch if depth == 0 else " ")
    return len(_SEPARATOR.split("".join(flat))) >= MIN_ENUMERATED


# A marker of an enumeration inside a sentence: "i) … ii) … iii)", "(a) … (b)", "1) … 2)", "1° … 2°"; not a
# marker glued to a word ("art. 6.1)", "(cf. 6.2))")
_MARK = re.compile(r"(?<![\w.)])\(?([ivx]{1,4}|[a-h]|\d{1,2})(?:\)|°)(?=\s)", re.I)
_ROMAN = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")
_SERIES = (_ROMAN, tuple("abcdefgh"), tuple(str(n) for n in range(1, 21)))  # the marker series, in order
_CONJUNCTION = re.compile(r"\b(?:and|or|et|ou)\b", re.I)


def enumerated_items(text: str) -> int:
    """How many items a sentence enumerates with markers ("…si ce dernier est i) un concurrent…, ii) en
    situation de conflit d'intérêts… ou iii) en contentieux…" -> 3): the markers of one series (roman, letters
    or numbers) found in order from its first one; 0 for fewer than two (a run of commas is not counted: it
    also separates the parts of one item)."""
    marks = [m.group(1).lower() for m in _MARK.finditer(text)]
    best = 0
    for series in _SERIES:
        n = 0
        for tok in marks:
            if n < len(series) and tok == series[n]:
                n += 1
        best = max(best, n if n >= 2 else 0)
    return best


def items_stated(text: str) -> int:
    """How many items a wording states at least: its enumeration markers when it keeps them, else its
    pieces between commas, semicolons and conjunctions ("a competitor, a conflict of interest or litigation"
    -> 3). A generous count: it only tells a wording that dropped an enumeration's items."""
    return max(enumerated_items(text), len(_SEPARATOR.findall(text)) + len(_CONJUNCTION.findall(text)) + 1)


def list_referred(best: Span, spans: Sequence[Span], text: str) -> tuple[Span | None, list[Span]]:
    """(introduction, items) of the list that ends right before `best` when `best` refers back to it ("Ces
    droits peuvent être exercés…" after the list of rights); (None, []) otherwise."""
    prev = _adjacent(best, spans, text, after=False) if refers_back(best.text) else None
    if prev is None:
        return None, []
    intro, items = list_run(prev, spans, text)
    return (intro, items) if items and items[-1].end >= prev.end else (None, [])


def enumeration_after(best: Span, spans: Sequence[Span], text: str) -> Span | None:
    """The sentence right after `best`, on its line, when it refers back to it and enumerates: "… des
    dommages indirects. De convention expresse, sont considérés comme tels les pertes de marchés, les pertes
    de clientèle, …"; None otherwise."""
    nxt = _adjacent(best, spans, text, after=True)
    if nxt is None or "\n" in text[best.end : nxt.start]:
        return None
    return nxt if refers_back(nxt.text) and enumerates(nxt.text) and not enumerates(best.text) else None


def _adjacent(best: Span, spans: Sequence[Span], text: str, after: bool) -> Span | None:
    """The span of `best`'s document right after it (or right before it), with nothing but white space
    between them; None when there is none."""
    doc = [sp for sp in spans if sp.clause.document == best.clause.document]
    if after:
        nxt = min((sp for sp in doc if sp.start >= best.end), key=lambda sp: sp.start, default=None)
        gap = None if nxt is None else text[best.end : nxt.start]
        return nxt if gap is not None and not gap.strip() else None
    prev = max((sp for sp in doc if sp.end <= best.start), key=lambda sp: sp.end, default=None)
    gap = None if prev is None else text[prev.end : best.start]
    return prev if gap is not None and not gap.strip() else None


def _marked_pair(a: Span, b: Span) -> bool:
    """Two marked items in a row ("- Users: …" then "- Customer's employees: …"): a blank line may stand
    between them, as in lists whose items are paragraphs of their own."""
    return is_list_item(a.text) and is_list_item(b.text)


def _lines(spans: Sequence[Span], text: str) -> list[Span]:
    """The spans (in document order) joined where they share a line: a list item that holds several
    sentences ("• Mesures génériques : chiffrement des échanges ; …") is one item."""
    out: list[Span] = []
    for sp in spans:
        prev = out[-1] if out else None
        if prev is not None and prev.end <= sp.start and "\n" not in text[prev.end : sp.start]:
            out[-1] = replace(prev, end=sp.end, text=text[prev.start : sp.end])
        else:
            out.append(sp)
    return out


def governing_words(item: Span, text: str) -> str | None:
    """The words an enumerated item completes, which decide what it says: "Le Client ne doit pas" for "(iv)
    utiliser la Solution pour … stocker des numéros de carte…" (the words before the first marker of the
    item's series, in the sentence on the item's line that holds both), or "Customer shall not:" for "-
    resell the Service" (the line ending with ":" above the list the item stands in, with only items, and a
    blank line after it, between). None when the span is no item or holds those words already. `text` is
    the item's document."""
    line_start = text.rfind("\n", 0, item.start) + 1
    before = text[line_start : item.start]  # the item's line up to it
    m = _MARK.match(item.text)
    series = next((s for s in _SERIES if m.group(1).lower() in s), None) if m is not None else None
    if m is not None and series is not None:
        if m.group(1).lower() == series[0]:
            end: int | None = len(before)
        else:
            firsts = [k for k in _MARK.finditer(before) if k.group(1).lower() == series[0]]
            end = firsts[-1].start() if firsts else None
        if end is not None:
            head = re.split(r"(?<=[.!?;])\s+", before[:end].rstrip())[-1].strip()
            if head:
                return head
    if not is_list_item(item.text) or before.strip():
        return None
    blank = False  # one blank line may stand between two items, or after the introduction
    for line in reversed(text[:line_start].split("\n")[-(2 * MAX_ITEMS) : -1]):
        if not line.strip():
            if blank:
                return None
            blank = True
        elif is_list_item(line):
            blank = False
        else:
            return line.strip() if line.rstrip().endswith(":") else None
    return None


def read_with(lead: str | None, sentence: str) -> str:
    """The sentence as it reads after the words it completes, when it is an item of an enumeration
    (governing_words: "Le Client ne doit pas […] (iv) utiliser la Solution pour … stocker des numéros de
    carte…"; the item alone reads as allowed), the elision marked as a legal quote marks it."""
    return sentence if not lead else f"{lead} […] {sentence}"
