"""Say: the model restates the checked sentence(s) in one or two short sentences in the question's
language, from a short prompt that holds only those sentences; the wording is shown only when it passes
the checks (figures against the quotes, a citation of a given sentence, no markup or instruction, not an
empty restatement of the question)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.cases import cases_in, cases_of
from assistant.citations import adds_nothing, check_answer, markers, says_not_found, span_citation
from assistant.context import format_extract
from assistant.figures import extract_numbers
from assistant.lists import enumerated_items, is_list_question, items_stated
from assistant.outcomes import key_phrase
from assistant.prompts import Prompt
from assistant.query import addresses_the_assistant, is_yes_no_question, question_proper
from assistant.rank import question_types
from assistant.reasons import Rejection
from assistant.spans import Span
from assistant.texts import LANGUAGE_NAMES
from core.errors import first_line
from core.text import fold
from core.types import Citation

# What a shown answer may not carry: markup (HTML tags, Markdown links/images, code), URLs, and control
# characters. The model's wording is plain text; the page renders it as Markdown, so any of these could
# inject a link or a script into the page.
_MARKUP = re.compile(
    r"<\s*/?\s*[a-z!][^>]*>|\]\s*\(|!\[|```|`[^`]+`|https?://|www\.|javascript:|"
    r"[\x00-\x08\x0b\x0c\x0e-\x1f]|\*\*|__",
    re.I,
)
_LOOSE_MARKER = re.compile(
    r"[\[【(]\s*(?:extract|extrait|passage|sentence|phrase)?\s*#?\s*(\d{1,2})\s*[\]】)]", re.I
)
_ECHOED_LABEL = re.compile(r"^\s*\[(\d{1,2})\][^\n:]{0,120}::\s*", re.S)


@dataclass
class Said:
    """The outcome of the say stage: the verified text ("" when none passed) and why not."""

    text: str = ""
    citations: list[Citation] = field(default_factory=list)
    failure: str = ""  # the rejection's note, with its detail (for the warnings)
    reason: Rejection | None = None  # why no wording passed (None when one did)
    error: bool = False  # the model itself failed (endpoint down, missing file)
    raw: str = ""
    first_token_ms: float | None = None
    verdict: str | None = None  # a closed question's settled yes or no, stated before the quoted sentence
    cell: bool = False  # a table cell (or row) read as the table writes it, not a model's wording


def say_messages(
    prompt: Prompt,
    question: str,
    spans: Sequence[Span],
    lang: str,
    readable: Callable[[Span], str] | None = None,
) -> list[BaseMessage]:
    """The say prompt: the shared system part, the question, the numbered sentence(s) (each in its readable
    form when given: a table row as its "header: value" cells)."""
    context = "\n".join(
        format_extract(i, sp, readable(sp) if readable else None) for i, sp in enumerate(spans, 1)
    )
    return [
        SystemMessage(content=prompt.render("system")),
        HumanMessage(
            content=prompt.render(
                "say", question=question, context=context, language_name=LANGUAGE_NAMES.get(lang, "English")
            )
        ),
    ]


def normalise(raw: str, n_sources: int) -> str:
    """The model's reply as one clean answer: an echoed "[1] Vendor | Section ::" label dropped,
    "[Extract 2]" / "【2】" read as "[2]", lines joined; with one source, a reply without any marker is
    attributed to it ([1] appended)."""
    text = raw.strip()
    echoed = _ECHOED_LABEL.match(text)
    if echoed:  # "[2] Vendor | Section :: text" -> "text [2]"
        text = text[echoed.end() :].strip()
        if not re.search(r"\[\d{1,2}\]", text):
            text = f"{text} [{echoed.group(1)}]"
    lead = re.match(r"^\s*\[(\d{1,2})\]\s*(?=\S)", text)
    if lead and not re.search(r"\[\d{1,2}\]", text[lead.end() :]):  # "[1] The cap is …" -> "The cap is … [1]"
        text = text[lead.end() :].rstrip() + f" [{lead.group(1)}]"
    text = _LOOSE_MARKER.sub(lambda m: m.group(0) if m.group(0).startswith("(") else f"[{m.group(1)}]", text)
    text = " ".join(text.split())
    if text and n_sources == 1 and not markers(text):
        text = text.rstrip() + " [1]"
    return text


def missing_key_fact(text: str, spans: Sequence[Span], types: Sequence[str]) -> bool:
    """True when the checked sentence's key fact is absent from the wording: a figure when the key phrase
    is a figure ("48 heures ouvrées"), else the key phrase's proper names ("Paris", "OVH") when it has
    some. "The cap is set by the contract [1]" passes every figure check and answers nothing."""
    for sp in spans:
        kp = key_phrase(" ".join(sp.text.split()), types)
        if not kp:
            continue
        phrase = " ".join(sp.text.split())[kp[0] : kp[1]]
        if extract_numbers(phrase):
            if not extract_numbers(text):
                return True
            continue
        names = [w for w in re.findall(r"[^\W\d_][\w’'-]*", phrase) if w[0].isupper() and len(w) > 2]
        folded = fold(text)
        if names and not any(fold(w) in folded for w in names) and not _initials_in(names, text):
            return True
    return False


def _initials_in(names: Sequence[str], text: str) -> bool:
    """Whether the text writes the names by their initials ("EU" for "European Union", "EEA")."""
    initials = "".join(w[0] for w in names).upper()
    return len(initials) >= 2 and re.search(rf"\b{initials}\b", text) is not None


def missing_case(text: str, question: str, spans: Sequence[Span]) -> bool:
    """True when a cited sentence is limited to a case the question does not name (a free product, EU
    customers) and the wording drops it: an answer must keep the condition it holds under, or a buyer reads
    a rule for another case as theirs. A quoted sentence keeps it by itself."""
    asked, said = cases_in(question), cases_in(text)
    return any(case not in asked and case not in said for sp in spans for case in cases_of(sp.text))


def missing_items(text: str, question: str, spans: Sequence[Span]) -> bool:
    """True when the question asks for several things, a cited sentence enumerates them with markers ("i)
    … ii) … iii)") and the wording states fewer items than it marks: "on what grounds can X refuse the
    auditor?" answered "if the auditor has not met their requirements [1]" from a sentence listing three
    grounds. The quoted sentence keeps them all."""
    if not is_list_question(question):
        return False
    want = max((enumerated_items(sp.text) for sp in spans), default=0)
    return want >= 2 and items_stated(text) < want


_YES_NO = re.compile(r"^\W*(yes|no|oui|non)\b", re.I)
# One negation each: French "ne … pas/jamais/plus/rien/aucun…" (the two words count once), a lone
# "aucun"/"jamais"/"sans"/"interdit", English "not", "never", "n't", "no" before a noun, "without"…
_NEGATION = re.compile(
    r"\bn(?:e\s+|['’])(?:[^\s.;:!?]+\s+){0,3}?(?:pas|jamais|plus|rien|aucune?|guère|point|personne|nulle?)\b"
    r"|\b(?:aucune?|jamais|sans|interdite?s?|nulle?\s+part)\b"
    r"|\b(?:not|never|cannot|nor|neither|without|prohibited|forbidden|no\s+longer)\b|n['’]t\b"
    r"|\bno\s+(?!longer\b)(?=[a-z])",
    re.I,
)


def yes_no(text: str) -> str | None:
    """ "yes" or "no" when the wording opens with it (Yes/Oui, No/Non), else None."""
    m = _YES_NO.match(text)
    return None if m is None else "yes" if m.group(1).lower() in ("yes", "oui") else "no"


# An aside between two dashes ("— we don't plan on that, but if it happens —"): its negations do not negate
# the sentence around it
_ASIDE = re.compile(r"\s[—–]\s[^—–]*?\s[—–]\s")
# An exception to the sentence, up to the end of its clause ("…shall promptly notify Customer … unless
# prohibited by law.", "sauf si la loi l'interdit"): its negations limit the rule, they do not negate it
_EXCEPTION = re.compile(
    r"\b(?:unless|except(?:\s+(?:if|where|when|to\s+the\s+extent))?|save\s+where|sauf(?:\s+si)?"
    r"|à\s+moins\s+qu(?:e\b|['’]))[^,;:.!?]*",
    re.I,
)


# Drafting that keeps a list open ("including, but not limited to, …", "without limitation", « sans que cela
# soit limitatif », « sans s'y limiter »): it negates nothing the sentence says
_NON_LIMITING = re.compile(
    r"\b(?:(?:but\s+)?not\s+limited\s+to|without\s+limit(?:ation|ing)?(?:\s+of\s+the\s+foregoing)?"
    r"|sans\s+que\s+cel[aà]\s+(?:soit|ne\s+soit)\s+limitati(?:f|ve)|sans\s+(?:s['’]y\s+)?limit(?:er|ation))\b",
    re.I,
)


# A condition, up to the end of its clause ("…but if you haven't used your account in months, contact us",
# "si le Client ne paie pas, …"): its negations say when the sentence applies, they do not negate its verb
_CONDITION = re.compile(r"\b(?:if|when(?:ever)?|si|s['’]il(?:s)?|lorsqu(?:e\b|['’])|quand)\b[^,;:.!?]*", re.I)


# "without …" / "sans …": a negation of the main verb only when the question asks about that condition
_WITHOUT = re.compile(r"\b(?:without|sans)\b", re.I)


def negations(text: str, without: bool = True) -> int:
    """How many negations the text holds ("may not", "ne peut pas", "n'est pas", "without", "sans",
    "interdit", "no refund"), outside drafting that keeps a list open ("including, but not limited to"),
    asides between dashes, exceptions ("unless prohibited by law") and
    conditions ("if you haven't used your account", "si le Client ne paie pas"); with
    `without` False, "without"/"sans" do not count. A "yes" agrees with a sentence whose count has the
    question's parity, a "no" with one whose parity differs ("Can it subcontract without consent?" / "It may
    not subcontract without consent": 1 and 2, so "no")."""
    kept = _CONDITION.sub(" ", _EXCEPTION.sub(" ", _ASIDE.sub(" ", _NON_LIMITING.sub(" ", text))))
    n = len(_NEGATION.findall(kept))
    return n if without else n - len(_WITHOUT.findall(kept))


def negation_verdict(question: str, sentence: str) -> str:
    """The negation reading of a closed question's sentence: "yes" when the sentence's negations have the
    question's parity, else "no". The sentence's "without …"/"sans …" count only when the question has one:
    otherwise they tell how the act is done ("shall notify Customer without undue delay", "may terminate
    without notice"), not whether it is."""
    question = question_proper(question)  # "We don't want X: can it Y?" asks whether it can Y
    asks_without = _WITHOUT.search(question) is not None
    return "yes" if (negations(question) - negations(sentence, asks_without)) % 2 == 0 else "no"


# Words that cannot end a phrase, English and French: articles, determiners, prepositions, conjunctions,
# the copula. A citation marker right after one closes a wording with a hole in it ("To contact the DPO,
# reach out to [1].", "…est considérée comme recevable par [4]"). ("an" is left out: French for "year".)
_OPEN_WORDS = frozenset(
    (
        "a the to of for with at by from in on into onto as than and or nor but via per about within under "
        "over between through during upon against among including is are was were be your its their our my "
        "le la les l un une des du de d à au aux et ou ni mais pour par avec sans sous sur dans en entre vers "
        "chez dès selon contre que qu qui dont ce cet cette ces son sa ses leur leurs votre vos notre nos mon "
        "ma mes est sont être"
    ).split()
)
_WORD_BEFORE_MARKER = re.compile(r"(?<![^\s(])([^\s\[\]«»()]+)[ \t]*\[\d{1,2}\]")
# An announcement whose content never comes: "…comprend les mesures suivantes : [1]"
_COLON_BEFORE_MARKER = re.compile(r":[ \t]*\[\d{1,2}\]")
# A blank left to fill in, as in a letter template ("[Your Name]", "[Boost My Mail]"); "[…]" is an ellipsis
_PLACEHOLDER = re.compile(r"\[(?!\d{1,2}\])(?![.…\s]+\])[^\[\]\n]{1,80}\]")
# The document's own words, quoted in a wording
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”")


def unfinished(text: str) -> bool:
    """Whether a wording has a hole in it: a citation marker right after a word that cannot end a phrase
    ("…reach out to [1].", "…a fait l'objet d'une [1]") or after a colon ("…les droits suivants : [1]"), or a
    blank to fill in ("[Your Name]"). The words it quotes from the document («…») are not read."""
    plain = _QUOTED.sub("«»", text)  # a quote stands where it was: "Acme: «…» [1]" ends on the quote
    if _PLACEHOLDER.search(plain) or _COLON_BEFORE_MARKER.search(plain):
        return True
    for m in _WORD_BEFORE_MARKER.finditer(plain):
        word = m.group(1).lower()
        last = re.split(r"['’]", word)[-1]  # "d’une" ends on "une"; "l’" on nothing
        if not last or last in _OPEN_WORDS:
            return True
    return False


def states_no_answer(failure: str) -> bool:
    """Whether a wording rejection's note (Said.failure, or a recorded "wording rejected: …" warning) says
    the model stated no answer from the sentence (Rejection.states_no_answer)."""
    reason = Rejection.of(failure)
    return reason is not None and reason.states_no_answer


def wording_problem(
    text: str,
    question: str,
    spans: Sequence[Span],
    names: Sequence[str],
    document_text: Callable[[str], str],
    types: Sequence[str] = (),
) -> tuple[Rejection | None, str, list[Citation]]:
    """Why this wording cannot be shown (None when it can), the note with its detail, and its citations."""

    def no(reason: Rejection) -> tuple[Rejection, str, list[Citation]]:
        return reason, reason.value, []

    if not text:
        return no(Rejection.NOTHING_WRITTEN)
    if "NOT_FOUND" in text.upper().replace(" ", "_"):
        return no(Rejection.NOT_FOUND)
    if _MARKUP.search(text):
        return no(Rejection.MARKUP)
    if addresses_the_assistant(text):
        return no(Rejection.INSTRUCTION)
    if says_not_found(text) and not extract_numbers(text):
        return no(Rejection.SAYS_NOT_ANSWERED)
    citations = {i: span_citation(i, sp) for i, sp in enumerate(spans, 1)}
    used = markers(text)
    if not used:
        return no(Rejection.NO_CITATION)
    if any(n not in citations for n in used):
        return no(Rejection.UNKNOWN_CITATION)
    verdict = yes_no(text) if is_yes_no_question(question) else None
    sentence = " ".join(sp.text for sp in spans)
    if verdict is not None and verdict != negation_verdict(question, sentence):
        return no(Rejection.POLARITY)
    if verdict is None and adds_nothing(text, question, names):
        return no(Rejection.REPEATS_QUESTION)
    if unfinished(text):
        return no(Rejection.UNFINISHED)
    if missing_key_fact(text, [spans[n - 1] for n in used], types):
        return no(Rejection.MISSING_KEY_FACT)
    if missing_case(text, question, [spans[n - 1] for n in used]):
        return no(Rejection.MISSING_CASE)
    if missing_items(text, question, [spans[n - 1] for n in used]):
        return no(Rejection.MISSING_ITEMS)
    cited = [citations[n] for n in used]
    res = check_answer(text, cited, document_text, {sp.clause.id for sp in spans})
    if not res.ok:
        note = "; ".join(res.reasons)
        return Rejection.of(note) or Rejection.UNVERIFIED, note, []
    return None, "", cited


# How a chat endpoint says it stopped at the token limit: "finish_reason" (llama.cpp, OpenAI-compatible
# servers) or "stop_reason" (Anthropic) in the last streamed chunk's metadata
_AT_LIMIT = frozenset({"length", "max_tokens"})


def stopped_at_limit(metadata: object) -> bool:
    """Whether a streamed chunk's response metadata says the model stopped at its token limit."""
    if not isinstance(metadata, dict):
        return False
    return (metadata.get("finish_reason") or metadata.get("stop_reason")) in _AT_LIMIT


def say(
    llm: BaseChatModel,
    prompt: Prompt,
    question: str,
    spans: Sequence[Span],
    lang: str,
    document_text: Callable[[str], str],
    max_tokens: int = 96,
    readable: Callable[[Span], str] | None = None,
) -> Said:
    """Ask the model to restate `spans` (shown in their readable form when given) as the answer, and check
    what it wrote."""
    out = Said()
    t0 = time.perf_counter()
    raw = ""
    cut = False
    try:
        for chunk in llm.stream(say_messages(prompt, question, spans, lang, readable), max_tokens=max_tokens):
            piece = str(getattr(chunk, "content", chunk) or "")
            if piece and out.first_token_ms is None:
                out.first_token_ms = (time.perf_counter() - t0) * 1000
            raw += piece
            if "\n\n" in raw.strip():  # one paragraph is the whole answer
                break
            cut = cut or stopped_at_limit(getattr(chunk, "response_metadata", None))
    except Exception as exc:  # noqa: BLE001 - endpoint down, timeout, garbage mid-stream
        out.error, out.reason = True, Rejection.MODEL_UNAVAILABLE
        out.failure = f"{Rejection.MODEL_UNAVAILABLE.value} ({type(exc).__name__}: {first_line(exc, 160)})"
        return out
    out.raw = raw
    if cut:  # the paragraph never ended: "…iii) the sub-processor was the subject of a [1]"
        out.reason, out.failure = Rejection.TRUNCATED, f"{Rejection.TRUNCATED.value} ({max_tokens} tokens)"
        return out
    text = normalise(raw.strip().split("\n\n")[0], len(spans))
    names = sorted({sp.clause.vendor_name for sp in spans})
    reason, note, cited = wording_problem(
        text, question, spans, names, document_text, question_types(question)
    )
    if reason is not None:
        out.reason, out.failure = reason, note
        return out
    out.text, out.citations = text, cited
    return out
