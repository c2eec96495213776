"""Synthetic corpus: contract-like documents made by recombining the sample corpus's paragraphs.

Deterministic for a seed. Each document follows one sample document's order of paragraphs, keeps a
share of them, borrows some from other documents of the same language, renames the vendor and varies
numbers (amounts, delays, article numbers), so that no two documents are identical.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.text import slug

_DIGITS = re.compile(r"\d+")
_SYLLABLES = (
    "al",
    "ba",
    "cor",
    "da",
    "el",
    "fi",
    "gra",
    "hel",
    "io",
    "ka",
    "lu",
    "mar",
    "no",
    "vi",
    "pra",
    "qui",
    "ro",
    "sen",
    "ta",
    "ul",
    "ver",
    "wo",
    "xa",
    "ze",
    "tec",
    "nov",
    "syn",
    "dat",
)
_SUFFIXES = ("Data", "Cloud", "Labs", "Software", "Digital", "Systems", "SaaS", "Analytics", "Mail", "CRM")


@dataclass(frozen=True)
class Template:
    """One sample document split into paragraphs, with the names to replace."""

    vendor: str
    document: str
    language: str
    names: tuple[str, ...]
    paragraphs: tuple[str, ...]


def load_templates(corpus: Path) -> list[Template]:
    """Read the sample corpus (vendor folders with vendor.yaml) into paragraph templates."""
    out: list[Template] = []
    for vdir in sorted(p for p in corpus.iterdir() if p.is_dir()):
        meta_path = vdir / "vendor.yaml"
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        meta = meta or {}
        names = [str(meta.get("name") or vdir.name)] + [str(a) for a in meta.get("aliases") or []]
        # longest first so "LEO Bizdev" is replaced before "LEO"
        names = sorted({n for n in names if n} | {n.upper() for n in names if n}, key=len, reverse=True)
        for doc in sorted(vdir.glob("*.txt")):
            text = doc.read_text(encoding="utf-8", errors="replace")
            paras = tuple(_paragraphs(text))
            out.append(
                Template(
                    vendor=vdir.name,
                    document=doc.name,
                    language=str(meta.get("language") or "fr"),
                    names=tuple(names),
                    paragraphs=paras,
                )
            )
    if not out:
        raise FileNotFoundError(f"no documents under {corpus}")
    return out


def _paragraphs(text: str, longest: int = 2000) -> list[str]:
    """Blank-line paragraphs; one longer than `longest` (a document without blank lines) split by line."""
    out: list[str] = []
    for p in re.split(r"\n\s*\n", text):
        if not p.strip():
            continue
        out.extend([ln for ln in p.split("\n") if ln.strip()] if len(p) > longest else [p.strip("\n")])
    return out


def company_name(rng: random.Random) -> str:
    """A made-up company name such as "Norova Cloud"."""
    stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
    return f"{stem.capitalize()} {rng.choice(_SUFFIXES)}"


def vary_numbers(text: str, rng: random.Random, share: float = 0.5) -> str:
    """Replace about `share` of the digit runs with random numbers of the same length."""

    def sub(m: re.Match[str]) -> str:
        s = m.group(0)
        if rng.random() >= share:
            return s
        first = str(rng.randint(1, 9)) if len(s) > 1 else str(rng.randint(0, 9))
        return first + "".join(str(rng.randint(0, 9)) for _ in range(len(s) - 1))

    return _DIGITS.sub(sub, text)


def rename(text: str, names: tuple[str, ...], new: str) -> str:
    """Replace every spelling of the template vendor's names with the new vendor's name."""
    for n in names:
        text = re.sub(rf"(?<!\w){re.escape(n)}(?!\w)", new, text)
    return text


def make_document(
    tpl: Template,
    pool: list[Template],
    name: str,
    rng: random.Random,
    keep: float = 0.3,
    borrow: float = 0.15,
) -> str:
    """One synthetic document: template order, `keep` share of its paragraphs, some borrowed ones."""
    same_lang = [t for t in pool if t.language == tpl.language and t is not tpl] or [tpl]
    paras: list[str] = []
    for i, p in enumerate(tpl.paragraphs):
        if i < 2 or rng.random() < keep:  # keep the title lines: documents start like contracts
            paras.append(rename(p, tpl.names, name))
        if rng.random() < borrow * keep:
            other = rng.choice(same_lang)
            paras.append(rename(rng.choice(other.paragraphs), other.names, name))
    return vary_numbers("\n\n".join(paras) + "\n", rng)


def generate_corpus(
    sample: Path,
    out: Path,
    n_documents: int = 2000,
    docs_per_vendor: int = 4,
    seed: int = 7,
    keep: float = 0.3,
) -> dict[str, int]:
    """Write n_documents synthetic documents under out/<vendor>/<doc>.txt with vendor.yaml files.

    Returns counts (documents, vendors, characters). The same seed gives byte-identical files.
    """
    rng = random.Random(seed)
    templates = load_templates(sample)
    out.mkdir(parents=True, exist_ok=True)
    n_vendors = max(1, -(-n_documents // docs_per_vendor))
    used: set[str] = set()
    chars = written = 0
    for _ in range(n_vendors):
        name = company_name(rng)
        while slug(name) in used:
            name = company_name(rng)
        used.add(slug(name))
        vdir = out / slug(name)
        vdir.mkdir(exist_ok=True)
        first = rng.choice(templates)
        lang_tpls = [t for t in templates if t.language == first.language]
        (vdir / "vendor.yaml").write_text(
            yaml.safe_dump({"name": name, "language": first.language}, allow_unicode=True), encoding="utf-8"
        )
        for d in range(min(docs_per_vendor, n_documents - written)):
            tpl = first if d == 0 else rng.choice(lang_tpls)
            text = make_document(tpl, templates, name, rng, keep=keep)
            (vdir / f"{Path(tpl.document).stem}-{d + 1}.txt").write_text(text, encoding="utf-8")
            chars += len(text)
            written += 1
        if written >= n_documents:
            break
    return {"documents": written, "vendors": len(used), "characters": chars, "seed": seed}
