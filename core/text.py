"""The project's text rules, each written once: accent folding, slugs, Markdown cells, the stop words and the
fr/en language guess, headings and list items, and the sentence / list-item splitter (pure functions).

Every package reads text through these; a rule that differs between two places is a bug in one of them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# ----------------------------------------------------------------------------- folding


def fold(text: str, *, lower: bool = True, apostrophes: bool = False) -> str:
    """Accents stripped (NFKD, combining marks dropped: "résiliation" -> "resiliation"; compatibility forms
    too: a non-breaking space becomes a space, "ﬁ" "fi"), lower-cased unless `lower=False`; with
    `apostrophes=True` the typographic apostrophe ’ reads as ' ("l’accès" -> "l'acces")."""
    if lower:
        text = text.lower()
    if apostrophes:
        text = text.replace("’", "'")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def slug(text: str, limit: int | None = None, default: str = "") -> str:
    """ASCII lower-case words joined by "-" ("Société Générale!" -> "societe-generale"), cut to `limit`
    characters (never ending on "-"); `default` when nothing is left."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    if limit is not None:
        out = out[:limit].strip("-")
    return out or default


def md_cell(text: object) -> str:
    """Text made safe for one Markdown table cell: one line (whitespace runs read as one space), backslashes
    and pipes escaped."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")


# ----------------------------------------------------------------------------- language

# Small stop-word lists: dropped from BM25 tokens, and what the language guess counts.
FRENCH_STOPWORDS = frozenset(
    """
le la les un une des du de d l et ou en au aux à a ce cet cette ces qui que qu quoi dont où
il elle ils elles on nous vous je tu se sa son ses leur leurs est sont été être avoir ont par pour
dans sur avec sans sous ne pas plus tout tous toute toutes y mais si comme lorsque entre
""".split()
)
ENGLISH_STOPWORDS = frozenset(
    """
the a an and or of to in on at by for with without from as is are was were be been being it its
this that these those which who whom whose any all not no shall will may must can such than then
there their they them he she we you your our if when where into upon under over
""".split()
)
STOPWORDS = FRENCH_STOPWORDS | ENGLISH_STOPWORDS

# French-only letters and words frequent in short questions, each counted twice (a question has few stop
# words: "Délai de préavis chez Aura ?")
_FR_HINTS = re.compile(
    r"[éèêàùçœ]|\b(?:quel|quelle|quels|quelles|combien|est-ce|délai|jours|mois|"
    r"fournisseur|données|durée|chez)\b",
    re.I,
)
_LETTER_WORD = re.compile(r"[^\W\d_]+")
LANGUAGE_SAMPLE = 20000  # characters read from a long text


def detect_language(text: str, default: str = "en") -> str:
    """ "fr" or "en": French and English stop words counted over the first LANGUAGE_SAMPLE characters,
    French-only letters and question words counting twice; `default` on a tie (no evidence either way)."""
    text = text[:LANGUAGE_SAMPLE]
    words = _LETTER_WORD.findall(text.lower())
    fr = sum(w in FRENCH_STOPWORDS for w in words) + 2 * len(_FR_HINTS.findall(text))
    en = sum(w in ENGLISH_STOPWORDS for w in words)
    if fr == en:
        return default
    return "fr" if fr > en else "en"


# ----------------------------------------------------------------------------- headings and list items

MAX_LABEL = 100

# A list item's marker: bullets, "a)", "(b)", "(iv)", "2)"; not "3. Title" (a numbered heading). A hyphen
# glued to a capital ("-Company", typed without its space) opens an item too, and so does a bullet Word wrote in
# a symbol font ("\uf0a7 obtenir…", "\uf0b7 …": Wingdings and Symbol glyphs land in the Private Use Area).
LIST_ITEM = re.compile(
    r"^\s*(?:[-•–—*▪●\uf020-\uf0ff]\s|-(?=[A-ZÀ-ÖØ-Þ])|\(?[a-z]\)\s|\(?[ivx]{1,4}\)\s|\(?\d{1,2}\)\s)"
)
ARTICLE_HEADING = re.compile(r"^(?:ARTICLE|Article)\s+(\d{1,3}|[IVXLC]{1,6})\b\s*[.:\-–—]?\s*(.*)$")
NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(\S.*)$")
BULLET_LINE = re.compile(r"^[•·▪●◦■]\s*(\S.*)$")
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(\S.*)$")
_END_PUNCT = ".;,:!?"
# A heading's number, as a label or a quote starts with it: "13.2. ", "ARTICLE 9 - ", "IV) ", "Annexe 2 : "
# (any case: "c- Informations traitées…" is a lettered heading; "Il est…" reads as numbered too)
HEADING_NUMBER = re.compile(
    r"^\W*(?:(?:article|section|annexe?|chapitre|chapter|titre|title)\s+)?"
    r"(?:\d+(?:\.\d+)*|[IVXLC]+)\s*[.)\-–:]?\s+",
    re.I,
)


@dataclass(frozen=True)
class Heading:
    """A heading line: its level in the document's outline and its label (the section name)."""

    level: int
    label: str


def is_list_item(line: str) -> bool:
    """A line that opens a list item ("- ", "• ", "a) ", "(iv) ", "2) ")."""
    return bool(LIST_ITEM.match(line))


def _letters(s: str) -> str:
    return "".join(c for c in s if c.isalpha())


def is_upper_title(s: str) -> bool:
    """A short line in capitals that does not end a sentence ("RESPONSABILITÉ DES PARTIES")."""
    letters = _letters(s)
    if len(letters) < 4 or "\t" in s or len(s) > 120 or s[-1] in ".;,":
        return False
    if len(s.split()) > 16 or s.startswith(("-", "(", "«", '"')):
        return False
    upper = sum(1 for c in letters if c.isupper())
    return upper / len(letters) >= 0.85


def _short_title(s: str, max_len: int = 120, max_words: int = 16) -> bool:
    return (
        0 < len(s) <= max_len
        and len(s.split()) <= max_words
        and s[-1] not in _END_PUNCT
        and "\t" not in s
        and s[0].isupper()
    )


def heading_label(s: str) -> str:
    """A heading's text as a section label: one line, no trailing colon, at most MAX_LABEL characters."""
    s = re.sub(r"\s+", " ", s).strip().rstrip(":").strip()
    return s if len(s) <= MAX_LABEL else s[: MAX_LABEL - 1].rstrip() + "…"


def classify_heading(
    line: str, has_articles: bool = False, isolated: bool = False, nested_bullets: bool = False
) -> Heading | None:
    """The heading a line is (`ARTICLE 9.`, `9.2.1. Title`, a `•` bullet title, a title in capitals, a
    Markdown `#` title), or None for body text.

    `has_articles`: the document has ARTICLE headings, so decimal numbers sit below them. `isolated`: a
    blank line follows and the next text is not a bullet (lets a lower-case bullet title such as "• litige"
    count). `nested_bullets`: the document has both plain upper-case titles and bullet titles, so bullet
    titles sit one level below the plain ones.
    """
    s = line.strip()
    if not s or len(s) > 160:
        return None
    if m := _MARKDOWN_HEADING.match(s):
        return Heading(len(m.group(1)), heading_label(m.group(2)))
    if m := ARTICLE_HEADING.match(s):
        rest = m.group(2)
        if len(s) <= 120 and (not rest or rest[-1] not in ".;,"):
            return Heading(1, heading_label(s))
        return None
    if m := NUMBERED_HEADING.match(s):
        title = m.group(2)
        if _short_title(title) and _letters(title):
            depth = m.group(1).count(".") + 1
            level = max(2, depth) if has_articles else depth
            return Heading(level, heading_label(s))
        return None
    if m := BULLET_LINE.match(s):
        title = m.group(1)
        base = 2 if nested_bullets else 1
        if is_upper_title(title):
            return Heading(base, heading_label(title))
        if _short_title(title, max_len=80, max_words=10) or (
            isolated and _short_title(title.capitalize(), max_len=60, max_words=6)
        ):
            return Heading(base + 1, heading_label(title))
        return None
    if is_upper_title(s):
        return Heading(1, heading_label(s))
    return None


def is_heading(text: str, *, own_line: bool = False, labels: bool = False) -> bool:
    """A heading line (classify_heading's rule). With `labels=True`, the answer engine's wider rule: a
    heading or label, never a candidate answer ("Version française - LEO Bizdev", "19. Droit applicable et
    juridiction compétente", "ARTICLE 13. RESPONSABILITES", and, alone on its line (`own_line`),
    "Transferts internationaux des données par Aura Digital"): once its section number is set aside, under
    5 words, or at most 10 and numbered, in capitals, or alone on its line without a list marker; with no
    figure, address or percentage, and not ending a sentence. A Markdown `#` title is a heading whatever it
    holds ("## What happens if it's below 99.99%?")."""
    if not labels:
        return classify_heading(text) is not None
    if _MARKDOWN_HEADING.match(text.strip()):
        return True
    body = HEADING_NUMBER.sub("", text.strip(), count=1)
    numbered = body != text.strip()
    words = re.findall(r"[^\W_]+", body)
    ends = body.rstrip().endswith((".", ";", ":"))
    if re.search(r"\d|@|%|€", body) or ends and len(words) >= 5:
        return False
    letters = [c for c in body if c.isalpha()]
    shouting = bool(letters) and sum(c.isupper() for c in letters) >= 0.9 * len(letters)
    label_line = own_line and not ends and not re.match(r"\s*[-–•*·▪]", body)
    return len(words) < 5 or ((shouting or numbered or label_line) and len(words) <= 10)


# ----------------------------------------------------------------------------- sentences

CLAUSE_ENDS = ".;!?:"  # what ends a quotable unit: a sentence, or a clause of one ("…; the Provider…")
SENTENCE_ENDS = ".!?"  # what ends a sentence proper
# Abbreviations after which a full stop does not end a sentence ("cf. art. 6", "n° 48", "e.g. the", "M.").
_ABBREV = re.compile(
    r"(?:\b(?:art|arts|cf|n°|no|ex|al|etc|e\.g|i\.e|p\.ex|M|Mme|Me|Dr|St|vs|env|approx|"
    r"min|max|réf|ref|p|pp|ch|chap|sect|para|§)\.|\b[A-Z]\.)$",
    re.I,
)
# A section number that opens a line: its full stop ends no sentence ("4. 37SIGNALS PERSONNEL", "ARTICLE 9.")
_SECTION_NUMBER = re.compile(
    r"\s*(?:(?:article|section|annexe?|chapitre|chapter|clause)\s+)?(?:\d{1,3}(?:\.\d{1,3})*|[IVXLC]{1,6})\.",
    re.I,
)
# What can open a sentence or item after a full stop and a space on the same line.
_OPENS = re.compile(r"[A-ZÀ-ÖØ-Þ0-9«\"(\-•–—*]")
# Citation markers that stay with the sentence they close ("… 48 hours. [1] The", "… 48 hours [1]. The")
_MARKERS_BEFORE = re.compile(r"(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+$")
# Where a unit may end (each is then checked): whitespace holding a line break, or after a mark or a marker
_CANDIDATE = re.compile(r"\s*\n\s*|(?<=[.;!?:\]])\s+")
# A line that opens an item: a bullet, "a)", "(b)", "i.", "2)", a numbered paragraph ("3.2 The Provider",
# "2.3.4 37signals shall"), a "Label : value" field ("Contact : …"; "Label: value" reads the same as a
# wrapped line "…Personal\nData: (1) to…", so an English field line ends a unit as a short line does)
_ITEM_START = re.compile(
    r"^\s*(?:[-•–—*▪●·◦■]\s|\(?(?:[a-z]|[ivx]{1,4}|\d{1,2})[.)]\s|\d{1,2}(?:\.\d{1,2}){1,4}\.?\s"
    r"|[A-ZÀ-ÖØ-Þ][^\s:.;,]*(?:\s[^\s:.;,]+){0,4}\s:\s)"
)
WRAPPED_LINE = (
    0.7  # share of the text's longest line from which a line that does not end a sentence was wrapped
)


def _ends_unit(text: str, i: int, ends: str) -> bool:
    """Whether text[:i] ends a sentence: a mark of `ends` (citation markers may follow it), not the full stop
    of an abbreviation."""
    if i > 0 and text[i - 1] == "]" and (m := _MARKERS_BEFORE.search(text, max(0, i - 40), i)):
        i = m.start()
    if i == 0 or text[i - 1] not in ends:
        return False
    if text[i - 1] != ".":
        return True
    if _ABBREV.search(text[max(0, i - 8) : i]):
        return False
    k = text.rfind("\n", max(0, i - 40), i)
    line_start = k + 1 if k >= 0 else 0 if i <= 40 else -1
    return line_start < 0 or not _SECTION_NUMBER.fullmatch(text, line_start, i)


def _line_at(text: str, i: int, j: int) -> tuple[str, str]:
    """The line ending at i and the line starting at j."""
    return text[text.rfind("\n", 0, i) + 1 : i], text[j : (text.find("\n", j) + 1 or len(text) + 1) - 1]


def _heading_line(line: str) -> bool:
    return classify_heading(line) is not None or is_upper_title(HEADING_NUMBER.sub("", line.strip(), count=1))


def _table_row(line: str) -> bool:
    return "\t" in line or line.lstrip().startswith("|")


def _line_break_ends(text: str, i: int, j: int, ends: str, width: int) -> bool:
    """Whether one line break between text[:i] and text[j:] ends a unit. It does after a sentence's end,
    before a list item, a numbered paragraph, a "Label : value" field or a heading, around a table row, and
    after a line that stops short of the text's width (a title, a label, an address line) unless the next
    line goes on in lower case; a full line that does not end a sentence was wrapped (PDF text, hard-wrapped
    text): the sentence goes on."""
    if _ends_unit(text, i, ends):
        return True
    before, after = _line_at(text, i, j)
    if _ITEM_START.match(after) or _table_row(before) or _table_row(after):
        return True
    if after[:1].islower():
        return False
    return len(before) < WRAPPED_LINE * width or _heading_line(after)


# A lettered item opened with a hyphen ("a- Informations fournies par le Client")
_LETTER_ITEM = re.compile(r"\s*[a-z]-\s")
PARAGRAPH_MIN_CHARS = 40  # a line shorter than this, with no end mark, may be a label or a title


def _blank_line_goes_on(text: str, i: int, j: int) -> bool:
    """Whether a blank line between text[:i] and text[j:] falls inside a sentence, as a document converted to
    text sometimes has it ("…la détection d'échanges\n\nexistants avec des prospects identifiés…"): the line
    before is a full line of text that stops on a word, no heading, and the line after goes on in lower case
    without opening an item."""
    before, after = _line_at(text, i, j)
    return (
        len(before.strip()) >= PARAGRAPH_MIN_CHARS
        and before.rstrip()[-1:].isalnum()
        and after[:1].islower()
        and not _ITEM_START.match(after)
        and not _LETTER_ITEM.match(after)
        and not _heading_line(before)
    )


def sentence_bounds(text: str, ends: str = CLAUSE_ENDS) -> list[tuple[int, int]]:
    """(start, end) of the text's sentences and list items, whitespace-trimmed, in order.

    A unit ends at a mark of `ends` followed by a space and what can open a sentence ("… 30 jours. Le", not
    after "art." or "M."), keeping citation markers that follow it ("… hours. [1] The"); at a blank line
    (unless the sentence visibly goes on across it: _blank_line_goes_on);
    and at a single line break only after such a mark, or around a list item ("- ", "•", "a)"), a numbered
    paragraph, a heading or a table row: a line wrapped inside a sentence is not an end."""
    out: list[tuple[int, int]] = []
    pos = 0
    width = max(map(len, text.split("\n")))
    for m in _CANDIDATE.finditer(text):
        i, j = m.start(), m.end()
        if i == 0 or j == len(text):
            continue
        breaks = text.count("\n", i, j)
        if breaks >= 2:
            cut = not _blank_line_goes_on(text, i, j)
        elif breaks == 1:
            cut = _line_break_ends(text, i, j, ends, width)
        else:
            cut = _ends_unit(text, i, ends) and bool(_OPENS.match(text, j))
        if not cut:
            continue
        if i > pos:
            out.append((pos, i))
        pos = j
    if pos < len(text):
        out.append((pos, len(text)))
    return [_trimmed(text, s, e) for s, e in out if text[s:e].strip()]


def _trimmed(text: str, s: int, e: int) -> tuple[int, int]:
    seg = text[s:e]
    return s + len(seg) - len(seg.lstrip()), s + len(seg.rstrip())


QUOTE_MIN_CHARS = 25
QUOTE_MAX_CHARS = 420


def sentence_spans(
    text: str, min_chars: int = QUOTE_MIN_CHARS, max_chars: int = QUOTE_MAX_CHARS
) -> list[tuple[int, int]]:
    """(start, end) of the units a quote is made of: sentence_bounds' sentences and list items, a piece
    under `min_chars` joined to the next one on its line, a short heading line dropped (the section label
    names it; a short list item is kept), and a piece over `max_chars` cut at commas and semicolons so that
    quotes stay short."""
    merged: list[tuple[int, int]] = []
    for s, e in sentence_bounds(text):
        if merged and "\n" in text[merged[-1][1] : s]:
            ps, pe = merged[-1]
            short = text[ps:pe]
            if (
                pe - ps < min_chars
                and not re.search(r"\d", short.lstrip("0123456789. "))
                and not is_list_item(short)
            ):
                merged.pop()  # a short heading line ("16. Violation de données"): the label has the section;
                # a short list item ("- Title") is kept: it is one of the list's answers
            merged.append((s, e))
            continue
        if (
            merged
            and (merged[-1][1] - merged[-1][0] < min_chars or e - s < min_chars // 2)
            and e - merged[-1][0] <= max_chars
        ):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    final: list[tuple[int, int]] = []
    for s, e in merged:
        if e - s <= max_chars:
            final.append((s, e))
            continue
        cur = s
        for m in re.finditer(r"[,;]\s+", text[s:e]):
            cut = s + m.start() + 1
            if cut - cur >= max_chars // 2:
                final.append((cur, cut))
                cur = s + m.end()
        final.append((cur, e))
    return final


def sentences(text: str) -> list[str]:
    """The text's sentences and list items, as quotes are made of them (sentence_spans)."""
    return [text[s:e] for s, e in sentence_spans(text)]


def sentence_at(text: str, pos: int, ends: str = ".;!?") -> tuple[int, int]:
    """(start, end) of the sentence (or `ends`-separated part) of sentence_bounds that holds `pos`, or that
    precedes it when `pos` falls between two; (0, 0) for a text without words."""
    found = (0, 0)
    for s, e in sentence_bounds(text, ends):
        if s > pos and found != (0, 0):
            break
        found = (s, e)
    return found
