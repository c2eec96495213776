"""Version labels, one rule for ingest, the store and the diff: a date or version suffix in the file name
("terms-2021-09-27.md", "dpa-2020-07.pdf", "cgv-v2.txt"), else the document's own "Last updated" /
"Dernière mise à jour" / "Effective" line, else a fallback (the ingest date; the diff uses the file's date).
Labels sort in time order (`label_key`), and a period label ("2021") covers every date inside it."""

from __future__ import annotations

import re
from datetime import date

from core.dates import find_dates

# "Last updated", "Effective date", "Dernière mise à jour", "Mis à jour le", "En vigueur le"... and what follows
_UPDATED = re.compile(
    r"(?:last\s+(?:updated|modified|revised)|effective(?:\s+date|\s+as\s+of)?|revision|"
    r"derni[eè]re\s+(?:mise\s+[aà]\s+jour|modification)|mis(?:e)?\s+[aà]\s+jour\s+le|en\s+vigueur\s+(?:le|au))"
    r"[^\n]{0,80}",
    re.I,
)
HEAD_CHARS = 4000  # the date line of a document stands near its top
_DATE = r"(?:19|20)\d\d(?:-[01]\d(?:-[0-3]\d)?)?"
_VERSION = r"v\d{1,3}(?:\.\d{1,3}){0,2}"
# a version suffix at the end of a file's stem: "terms-2021-09-27", "dpa_2020-07", "cgv-v2", "cgv.v2.1"
_SUFFIX = re.compile(rf"^(?P<base>.+?)[-_. ](?P<label>{_DATE}|{_VERSION})$", re.I)
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?:-(\d{2}))?(?!\d)")
_LABEL = re.compile(rf"^(?:{_DATE}|{_VERSION})$", re.I)


def _valid_date(label: str) -> bool:
    parts = [int(p) for p in label.split("-")]
    try:
        date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


def split_name(name: str) -> tuple[str, str]:
    """(stem without its version suffix, the suffix's label or "") of a file name:
    "terms-2021-09-27.md" -> ("terms", "2021-09-27"); "cgv-v2.txt" -> ("cgv", "v2");
    "terms.md" -> ("terms", "")."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    m = _SUFFIX.match(stem)
    if m is None:
        return stem, ""
    label = m.group("label").lower()
    if label[0].isdigit() and not _valid_date(label):
        return stem, ""
    return m.group("base"), label


def name_label(name: str) -> str:
    """The version label a file name carries: its suffix (a date or "vN"), else the last valid YYYY-MM(-DD)
    anywhere in it; "" when none."""
    label = split_name(name)[1]
    if label:
        return label
    found = ""
    for m in _NAME_DATE.finditer(name):
        if _valid_date(m.group(0)):
            found = m.group(0)
    return found


def stated_date(text: str) -> str | None:
    """The date of the document's own "Last updated" (or "Dernière mise à jour") line, as YYYY-MM-DD, or
    YYYY-MM when it names only a month."""
    for m in _UPDATED.finditer(text[:HEAD_CHARS]):
        for d in find_dates(m.group()):
            if d.precision == "date":
                return d.day.isoformat()
            if d.precision == "month_date":
                return d.day.isoformat()[:7]
    return None


def version_label(name: str, text: str, fallback: str) -> str:
    """A label from the file name, else the document's stated date, else `fallback`."""
    return name_label(name) or stated_date(text) or fallback


def is_label(text: str) -> bool:
    """Whether `text` reads as a version label (a date, a year, a month, or "vN")."""
    return bool(_LABEL.match(text)) and (not text[0].isdigit() or _valid_date(text))


def label_key(label: str) -> tuple[int, tuple[int, ...], str]:
    """Sort key in time order: dates by date (a year before its months, a month before its days), then
    "vN" by number, then anything else by text."""
    if re.match(rf"^{_DATE}", label):
        head = re.match(rf"^{_DATE}", label)
        assert head is not None
        return 0, tuple(int(p) for p in head.group(0).split("-")), label
    if re.match(rf"^{_VERSION}", label, re.I):
        return 1, tuple(int(p) for p in re.findall(r"\d+", label.split("+")[0])), label
    return 2, (), label


def label_end(label: str) -> str:
    """The last day a date label covers, as YYYY-MM-DD ("2021" -> "2021-12-31", "2021-09" ->
    "2021-09-30"); "" for a label that is not a date."""
    m = re.match(rf"^{_DATE}", label)
    if not m:
        return ""
    parts = [int(p) for p in m.group(0).split("-")]
    if len(parts) == 3:
        return date(*parts).isoformat()
    if len(parts) == 2:
        y, mo = parts
        nxt = date(y + (mo == 12), mo % 12 + 1, 1)
        return date.fromordinal(nxt.toordinal() - 1).isoformat()
    return f"{parts[0]}-12-31"
