"""A tiny corpus with versions for the Changes view's tests: ACME's terms in two dated versions (a changed
notice period whose new text carries an HTML payload, a section removed, one added) and Initech with one
version of its only document."""

from __future__ import annotations

from pathlib import Path

PAYLOAD = "<img src=x onerror=alert(1)>"
OLD_LABEL, NEW_LABEL = "2022-12-22", "2023-01-10"
TERMS_2022 = """ACME CLOUD TERMS OF SERVICE

Last updated: 22 December 2022

1. TERM

This agreement runs for one year and renews automatically at the end of each year.

2. TERMINATION

The Customer may terminate this agreement by giving thirty (30) days' written notice to ACME.

3. SUB-PROCESSORS

ACME informs the Customer of any new sub-processor fifteen days before it starts processing data.

4. SUPPORT

Support is provided by email on business days, from nine to five, with no telephone line.
"""
TERMS_2023 = (
    TERMS_2022.replace("22 December 2022", "10 January 2023")
    .replace(
        "thirty (30) days' written notice to ACME.",
        f"fourteen (14) days' written notice to ACME {PAYLOAD} by email.",
    )
    .replace(
        "4. SUPPORT\n\nSupport is provided by email on business days, from nine to five, with no telephone line.\n",
        "4. AUDIT\n\nThe Customer may audit ACME's security measures once a year at its own cost.\n",
    )
)
INITECH = "INITECH TERMS\n\nThe service is provided as is.\n\nThe customer may cancel at any time.\n"


def write_corpus(corpus: Path) -> Path:
    """Write the corpus under `corpus` (created) and return it."""
    files = {
        "acme/vendor.yaml": "name: ACME Cloud\nlanguage: en\n",
        "acme/terms.txt": TERMS_2023,
        f"acme/history/terms-{OLD_LABEL}.txt": TERMS_2022,
        "initech/vendor.yaml": "name: Initech\nlanguage: en\n",
        "initech/terms.txt": INITECH,
    }
    for rel, text in files.items():
        p = corpus / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return corpus
