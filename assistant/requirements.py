"""The user's own requirements (a small YAML, e.g. `breach_notification: max 72 hours`) checked against
review-grid cells: green / amber / red / unknown, each with a reason a buyer can read.

Rules (one line per topic key; the text after the key):
  max|at most|within|no more than|<= N UNIT    a duration, percentage or amount that must not be exceeded
                                               (in French too: « au plus », « au maximum », « dans un délai de »)
  min|at least|no less than|>= N UNIT [...]    one that must be reached ("at least 12 months of fees"; « au
                                               moins », « au minimum »)
  EU only | EEA only                           hosting and transfers inside the EU/EEA
  any of: A, B, C                              one of these names must appear (law, court, certification)
  required                                     the documents must say something on the topic

Figures are read with assistant.figures (value and unit) from the cell's answer, else from its verbatim
quotes. Silent cells are always `unknown` (the documents say nothing, so nothing can be checked).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from assistant.places import eu_places
from core.markers import strip_markers
from core.settings import PROJECT_ROOT
from core.text import fold

if TYPE_CHECKING:
    from assistant.figures import Figure

log = logging.getLogger(__name__)

Status = Literal["green", "amber", "red", "unknown"]
RuleKind = Literal["max", "min", "eu_only", "any_of", "required"]
DEFAULT_REQUIREMENTS = PROJECT_ROOT / "config" / "requirements.example.yaml"
ENV_VAR = "CQA_REQUIREMENTS"

_EU = re.compile(r"^\s*(?:eu|eea|eu/eea|europe)(?:\s+or\s+eea)?\s+only\s*$", re.I)
_ANY = re.compile(r"^\s*(?:any\s+of|one\s+of)\s*:?\s*(.+)$", re.I)
_REQUIRED = re.compile(r"^\s*(?:required|must\s+be\s+stated|present)\s*$", re.I)

_UNIT_WORDS = {
    "hour": "hours",
    "business_hour": "business hours",
    "day": "days",
    "working_day": "working days",
    "business_day": "business days",
    "week": "weeks",
    "month": "months",
    "year": "years",
    "percent": "%",
    "minute": "minutes",
}


@dataclass(frozen=True)
class Requirement:
    """One parsed rule for one topic."""

    topic: str
    text: str
    kind: RuleKind
    figure: Figure | None = None  # the limit of a max/min rule
    terms: tuple[str, ...] = ()

    @property
    def figure_kind(self) -> str | None:
        return None if self.figure is None else str(self.figure.kind)


@dataclass(frozen=True)
class Verdict:
    """The cell's colour and why; `to_json` is the spec's optional `requirement` object."""

    status: Status
    reason: str
    rule: str = ""

    def to_json(self) -> dict[str, str]:
        return {"status": self.status, "reason": self.reason, "rule": self.rule}


class RequirementError(ValueError):
    """A rule that cannot be read (the message names the topic and says which forms are understood)."""


def _figures(text: str) -> list[Figure]:
    from assistant.figures import parse_figures  # here: a grid without figures is shown uncoloured

    return parse_figures(text)


@cache
def _bound_rules() -> tuple[tuple[Literal["max", "min"], re.Pattern[str]], ...]:
    """The keyword of a "max" and of a "min" rule, on the folded rule: the words that bound a measure in a
    question (figures.asked: "within", "at most", « au plus », « dans un délai de »…; "at least", « au
    moins »…), and "max", "min", "<=", ">=", "≤", "≥"."""
    from assistant.figures.asked import AT_LEAST_WORDS, AT_MOST_WORDS

    def rule(words: str, short: str, signs: str) -> re.Pattern[str]:
        return re.compile(rf"^\s*(?:(?:{words}|{short})\b|{signs})\s*:?\s*(?=\S)")

    return (("max", rule(AT_MOST_WORDS, "max", "<=|≤")), ("min", rule(AT_LEAST_WORDS, "min", ">=|≥")))


def _after_folded(text: str, end: int) -> str:
    """What follows the first `end` characters of `text` as folded (fold may change a text's length)."""
    for i in range(len(text) + 1):
        if len(fold(text[:i], apostrophes=True)) >= end:
            return text[i:]
    return ""


def parse_requirement(topic: str, text: str) -> Requirement:
    """Read one rule; RequirementError when it is none of the forms in the module docstring."""
    text = str(text).strip()
    for kind, rx in _bound_rules():
        m = rx.match(fold(text, apostrophes=True))
        if m:
            value = _after_folded(text, m.end())  # read as written: "48 heures ouvrées" keeps its unit
            figs = [f for f in _figures(value) if f.kind in ("duration", "percent", "money", "count")]
            if not figs:
                raise RequirementError(
                    f"{topic}: {text!r}: no figure with a unit (e.g. '72 hours', '99.5 %')"
                )
            return Requirement(topic, text, kind, figure=figs[0])  # type: ignore[arg-type]
    if _EU.match(text):
        return Requirement(topic, text, "eu_only")
    m = _ANY.match(text)
    if m:
        terms = tuple(t.strip() for t in re.split(r"[,;|]", m.group(1)) if t.strip())
        if terms:
            return Requirement(topic, text, "any_of", terms=terms)
    if _REQUIRED.match(text):
        return Requirement(topic, text, "required")
    raise RequirementError(
        f"{topic}: cannot read {text!r}; use 'max N UNIT', 'at least N UNIT', 'EU only', "
        "'any of: A, B' or 'required'"
    )


def requirements_path(path: str | Path | None = None) -> Path:
    """The file to use: the argument, else $CQA_REQUIREMENTS, else config/requirements.yaml when it exists,
    else the example file."""
    if path:
        return Path(path)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    own = PROJECT_ROOT / "config" / "requirements.yaml"
    return own if own.exists() else DEFAULT_REQUIREMENTS


class RequirementsFile(BaseModel):
    """The requirements YAML: topic key -> rule text (one line), under `requirements:` or at the top
    level; a key with no rule (`audit_rights:` alone) is left out."""

    model_config = ConfigDict(frozen=True, coerce_numbers_to_str=True)

    requirements: dict[str, str | None]

    @model_validator(mode="before")
    @classmethod
    def _nested_or_top_level(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("requirements"), dict):
            return data
        return {"requirements": {} if data is None else data}


def _key_lines(text: str) -> dict[str, int]:
    """topic key -> its line in the YAML text (1-based), to point an error at the line to mend."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return {}
    pairs = root.value
    for k, v in root.value:
        if k.value == "requirements" and isinstance(v, yaml.MappingNode):
            pairs = v.value
    return {str(k.value): k.start_mark.line + 1 for k, _ in pairs}


def load_requirements(path: str | Path | None = None) -> dict[str, Requirement]:
    """topic key -> Requirement from a YAML mapping (`requirements:` or top level); {} when no file.
    RequirementError names the file and, for each rule that cannot be read, its line and topic."""
    p = requirements_path(path)
    if not p.exists():
        return {}
    text = p.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RequirementError(f"{p}: not valid YAML: {' '.join(str(exc).split())}") from None
    try:
        rules = RequirementsFile.model_validate(data).requirements
    except ValidationError as exc:
        lines = _key_lines(text)
        msgs = []
        for err in exc.errors():
            if len(err["loc"]) < 2:
                msgs.append(f"{p}: expected a mapping of topic key to rule")
            else:
                key = str(err["loc"][1])
                msgs.append(f"{p}:{lines.get(key, '?')}: {key}: {err['msg']} (a rule is one line of text)")
        raise RequirementError("\n".join(dict.fromkeys(msgs))) from None
    out: dict[str, Requirement] = {}
    bad: dict[str, RequirementError] = {}
    for key, rule in rules.items():
        if rule is not None:
            try:
                out[key] = parse_requirement(key, rule)
            except RequirementError as exc:
                bad[key] = exc
    if bad:
        lines = _key_lines(text)
        raise RequirementError("\n".join(f"{p}:{lines.get(key, '?')}: {exc}" for key, exc in bad.items()))
    return out


def _say(fig: Figure) -> str:
    u = _UNIT_WORDS.get(str(fig.unit), str(fig.unit or ""))
    return f"{fig.value:g} %" if u == "%" else f"{fig.value:g} {u}".strip()


def _compare(req: Requirement, f: Figure) -> tuple[Status, str]:
    """One figure against a max/min rule: (status, reason), by figures.within_limit ("at least" is the
    limit within the figure): the same unit by value, durations in other units by their ranges of elapsed
    hours, so "48 heures ouvrées" vs "max 72 hours" is amber."""
    from assistant.figures import comparable, within_limit

    assert req.figure is not None  # a max/min rule always has its figure
    got, want = " ".join(f.surface.split()), _say(req.figure)
    if not comparable(f, req.figure):
        return "amber", f"“{got}” is not comparable with {want}"
    if req.kind == "max":
        ok = within_limit(f, req.figure)
        if ok is None:
            return "amber", f"“{got}” may exceed {want} in elapsed time"
        return ("green", f"“{got}” is within {want}") if ok else ("red", f"“{got}” exceeds {want}")
    ok = within_limit(req.figure, f)
    if ok is None:
        return "amber", f"“{got}” may be under {want}"
    return ("green", f"“{got}” meets at least {want}") if ok else ("red", f"“{got}” is under {want}")


def _texts(cell: Mapping[str, Any]) -> tuple[str, str]:
    answer = strip_markers(str(cell.get("answer", "")))
    quotes = "\n".join(str(c.get("quote", "")) for c in cell.get("citations") or [])
    return answer, quotes


def _check_figures(req: Requirement, cell: Mapping[str, Any]) -> Verdict:
    answer, quotes = _texts(cell)
    figs: list[Figure] = []
    for text in (answer, quotes):  # the short answer first: it names the figure that answers the topic
        figs = [f for f in _figures(text) if f.kind == req.figure_kind and f.value == f.value]  # not NaN
        if figs:
            break
    if not figs:
        return Verdict(
            "unknown",
            f"no {req.figure_kind} figure in the answer or its quotes to compare with {req.text}",
            req.text,
        )
    results = [_compare(req, f) for f in figs]
    statuses = {s for s, _ in results}
    if statuses == {"green"}:
        return Verdict("green", results[0][1], req.text)
    if statuses == {"red"}:
        return Verdict("red", results[0][1], req.text)
    reasons = "; ".join(dict.fromkeys(r for s, r in results if s != "green"))
    return Verdict("amber", reasons, req.text)


def _check_eu(req: Requirement, cell: Mapping[str, Any]) -> Verdict:
    answer, quotes = _texts(cell)
    eu, outside = eu_places(answer + "\n" + quotes)
    if outside and eu:
        return Verdict(
            "amber",
            f"EU hosting stated, but transfers or places outside it appear: {', '.join(sorted(outside))}",
            req.text,
        )
    if outside:
        return Verdict("red", f"places or transfers outside the EU: {', '.join(sorted(outside))}", req.text)
    if eu:
        return Verdict("green", f"in the EU/EEA ({', '.join(sorted(eu))})", req.text)
    return Verdict("unknown", "the answer names no hosting place", req.text)


def check_cell(req: Requirement, cell: Mapping[str, Any] | None) -> Verdict:
    """The verdict of one rule on one cell (unknown for missing or silent cells)."""
    if cell is None:
        return Verdict("unknown", "not computed yet", req.text)
    if cell.get("abstained"):
        return Verdict("unknown", "the documents are silent on this topic", req.text)
    if req.kind in ("max", "min"):
        return _check_figures(req, cell)
    if req.kind == "eu_only":
        return _check_eu(req, cell)
    if req.kind == "any_of":
        answer, quotes = _texts(cell)
        text = f" {fold(answer + ' ' + quotes, apostrophes=True)} "
        hits = [
            t
            for t in req.terms
            if re.search(rf"(?<![a-z0-9]){re.escape(fold(t, apostrophes=True))}(?![a-z0-9])", text)
        ]
        if hits:
            return Verdict("green", f"mentions {', '.join(hits)}", req.text)
        return Verdict("red", f"none of {', '.join(req.terms)} is mentioned", req.text)
    return Verdict("green", "the documents address this topic", req.text)


def apply_requirements(
    grid_json: MutableMapping[str, Any], reqs: Mapping[str, Requirement], topics: Sequence[str] | None = None
) -> MutableMapping[str, Any]:
    """Add the `requirement` object to every cell of a grid JSON whose topic has a rule (in place)."""
    keep = set(topics) if topics is not None else None
    for row in grid_json.get("rows", []):
        for key, cell in row.get("cells", {}).items():
            req = reqs.get(key)
            if req is not None and (keep is None or key in keep):
                cell["requirement"] = check_cell(req, cell).to_json()
    return grid_json
