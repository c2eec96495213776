"""The user's requirements against grid cells, from real answer and clause strings of the sample corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.requirements import (
    RequirementError,
    apply_requirements,
    check_cell,
    load_requirements,
    parse_requirement,
    requirements_path,
)


def cell(answer: str, quotes: tuple[str, ...] = (), abstained: bool = False) -> dict[str, Any]:
    return {
        "answer": answer,
        "abstained": abstained,
        "confidence": None,
        "citations": [{"n": i + 1, "quote": q} for i, q in enumerate(quotes)],
    }


@pytest.fixture(scope="module")
def reqs() -> dict[str, Any]:
    return load_requirements(Path(__file__).parents[1] / "config" / "requirements.example.yaml")


@pytest.mark.parametrize(
    ("topic", "answer", "quotes", "status", "why"),
    [
        # Humanlinker: business hours may run past 72 elapsed hours over a weekend
        (
            "breach_notification",
            "At the latest 48 business hours after becoming aware of it [1].",
            ("au plus tard, 48 heures ouvrées après en avoir pris connaissance",),
            "amber",
            "48 business hours",
        ),
        # LEO Bizdev, answered in French: the figure in words and digits
        (
            "breach_notification",
            "LEO Bizdev notifiera le Client dans un délai maximum de quarante-huit (48) heures [1].",
            (),
            "green",
            "within 72 hours",
        ),
        (
            "breach_notification",
            "Within five (5) days of becoming aware of it [1].",
            (),
            "red",
            "exceeds 72 hours",
        ),
        # Aura Digital: "as soon as possible" has no figure to compare
        (
            "breach_notification",
            "In writing, as soon as possible [1].",
            (
                "Le Prestataire informera le Client par écrit de toute violation des DP dans les meilleurs délais.",
            ),
            "unknown",
            "no duration",
        ),
        # Boost My Mail: the answer has no figure, so the quote's is used
        (
            "liability_cap",
            "Limited, all damages combined, to the fee paid by the Client [1].",
            (
                "est limitée, tous dommages confondus, au montant de la redevance payée par le Client en "
                "contrepartie de la possibilité d’utiliser la Solution au titre des douze (12) mois ayant "
                "précédé le dommage",
            ),
            "green",
            "douze (12) mois",
        ),
        (
            "liability_cap",
            "Limited to the fees paid over the three (3) months before the claim [1].",
            (),
            "red",
            "under 12 months",
        ),
        (
            "availability_sla",
            "A 99 % yearly availability [1].",
            ("une disponibilité de quatre-vingt-dix-neuf pour cent (99 %) par an",),
            "red",
            "under 99.5",
        ),
        ("availability_sla", "99.9 % monthly uptime [1].", (), "green", "99.9"),
        (
            "termination_notice",
            "At least one (1) week before the end of the current period [1].",
            (),
            "green",
            "within 3 months",
        ),
        ("price_change_notice", "Préavis 30 jours par e-mail [1].", (), "green", "at least 30 days"),
        (
            "price_change_notice",
            "At least one (1) month before the end of the current period [1].",
            (),
            "amber",
            "may be under 30 days",
        ),
        ("hosting_location", "Exclusively in a Member State of the European Union [1].", (), "green", "EU"),
        (
            "hosting_location",
            "In France; some AI sub-processors may transfer data to the United States [1].",
            ("notamment vers les États-Unis",),
            "amber",
            "united states",
        ),
        ("hosting_location", "On servers in the United States [1].", (), "red", "united states"),
        (
            "hosting_location",
            "On servers in the EU; no data is transferred outside the EU [1].",
            (),
            "green",
            "EU",
        ),
        # the EU that data leaves is no EU hosting (Basecamp's grid cell was green on this sentence)
        (
            "hosting_location",
            "The EDPB has issued guidance that personal data transferred out of the EU must be treated with "
            "the same level of protection that is granted under EU privacy law [1].",
            (),
            "red",
            "out of the eu",
        ),
        (
            "hosting_location",
            "Data may be transferred outside of Europe [1].",
            (),
            "red",
            "outside of europe",
        ),
        (
            "hosting_location",
            "Les données ne sont pas transférées en dehors de l'Union européenne [1].",
            (),
            "green",
            "no transfer outside the EU",
        ),
        (
            "hosting_location",
            "Hébergées en France ; des transferts hors EEE sont possibles [1].",
            (),
            "amber",
            "hors eee",
        ),
        # any country or region by its ISO code (pycountry, English and French), the EEA by its members
        ("hosting_location", "Les données sont hébergées au Portugal [1].", (), "green", "portugal"),
        ("hosting_location", "Data is hosted in Norway and Iceland [1].", (), "green", "norway"),
        ("hosting_location", "Les serveurs sont situés en Suisse [1].", (), "red", "suisse"),
        ("hosting_location", "Our servers are in Virginia [1].", (), "red", "virginia"),
        ("hosting_location", "Hosted in Ireland, with support staff in India [1].", (), "amber", "india"),
        # the EU whose law applies is no place
        (
            "hosting_location",
            "Processing complies with EU data protection law and the GDPR [1].",
            (),
            "unknown",
            "no hosting place",
        ),
        (
            "hosting_location",
            "Les données sont traitées conformément au droit de l'Union européenne, aux États-Unis [1].",
            (),
            "red",
            "etats-unis",
        ),
        # a city alone is not read: "Orange" or "Nice" are other words too
        ("hosting_location", "Our data centre is in Frankfurt [1].", (), "unknown", "no hosting place"),
        ("governing_law", "Le Contrat est soumis à la loi française [1].", (), "green", "loi française"),
        ("governing_law", "Belgian law; the courts of Brussels [1].", (), "red", "none of"),
        (
            "security_certifications",
            "Its data centres are ISO 27001 certified [1].",
            (),
            "green",
            "ISO 27001",
        ),
        ("audit_rights", "Once a year by written questionnaire [1].", (), "green", "address"),
    ],
)
def test_cells_coloured_from_real_strings(
    reqs: dict[str, Any], topic: str, answer: str, quotes: tuple[str, ...], status: str, why: str
) -> None:
    verdict = check_cell(reqs[topic], cell(answer, quotes))
    assert verdict.status == status, verdict
    assert why.lower() in verdict.reason.lower(), verdict


def test_silent_or_missing_cells_are_unknown(reqs: dict[str, Any]) -> None:
    silent = cell("Unnamed Provider's documents do not specify this.", abstained=True)
    for topic in reqs:
        assert check_cell(reqs[topic], silent).status == "unknown"
        assert check_cell(reqs[topic], None).status == "unknown"


def test_rule_forms_and_errors() -> None:
    r = parse_requirement("breach_notification", "within 24 hours")
    assert r.kind == "max" and r.figure.value == 24 and r.figure.unit == "hour"
    r = parse_requirement("liability_cap", "at least 100 000 €")
    assert r.kind == "min" and r.figure.kind == "money" and r.figure.unit == "EUR"
    assert parse_requirement("hosting_location", "EU only").kind == "eu_only"
    assert parse_requirement("governing_law", "any of: French law; Belgian law").terms == (
        "French law",
        "Belgian law",
    )
    assert parse_requirement("dpo_contact", "required").kind == "required"
    with pytest.raises(RequirementError, match="cannot read"):
        parse_requirement("x", "be nice")
    with pytest.raises(RequirementError, match="no figure"):
        parse_requirement("x", "max soon")
    assert (
        check_cell(
            parse_requirement("liability_cap", "at least 100 000 €"), cell("Capped at EUR 50,000 [1].")
        ).status
        == "red"
    )


@pytest.mark.parametrize(
    "rule,kind,value,unit",
    [
        ("au plus 72 heures", "max", 72, "hour"),
        ("dans un délai de 48 heures ouvrées", "max", 48, "business_hour"),  # the unit read as written
        ("sous 30 jours", "max", 30, "day"),
        ("Maximum : 3 mois", "max", 3, "month"),
        ("au moins 99,5 %", "min", 99.5, "percent"),
        ("d'au moins 12 mois", "min", 12, "month"),
        ("≥ 99.9 %", "min", 99.9, "percent"),
    ],
)
def test_rules_read_in_french_with_the_questions_bound_words(
    rule: str, kind: str, value: float, unit: str
) -> None:
    r = parse_requirement("t", rule)
    assert (r.kind, r.figure.value, r.figure.unit) == (kind, value, unit)


def test_apply_to_a_grid_and_file_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text("requirements:\n  breach_notification: max 24 hours\n", encoding="utf-8")
    grid = {
        "topics": [{"key": "breach_notification", "label": "x"}, {"key": "dpo_contact", "label": "y"}],
        "rows": [
            {
                "vendor": "v",
                "vendor_name": "V",
                "cells": {
                    "breach_notification": cell("Within 48 hours [1]."),
                    "dpo_contact": cell("dpo@v.example [1]."),
                },
            }
        ],
    }
    apply_requirements(grid, load_requirements(p))
    cells = grid["rows"][0]["cells"]
    assert cells["breach_notification"]["requirement"]["status"] == "red"
    assert "requirement" not in cells["dpo_contact"]  # no rule for it in this file
    monkeypatch.setenv("CQA_REQUIREMENTS", str(p))
    assert requirements_path() == p
    assert load_requirements(tmp_path / "absent.yaml") == {}


def test_file_errors_name_the_file_line_and_rule(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text("breach_notification: max 24 hours\naudit_rights:\nsla: be nice\nx: 72\n", encoding="utf-8")
    with pytest.raises(RequirementError) as err:
        load_requirements(p)
    assert f"{p}:3: sla: cannot read 'be nice'" in str(err.value)
    assert f"{p}:4: x: cannot read '72'" in str(err.value)  # every bad rule, each on its line
    p.write_text(
        "requirements:\n  breach_notification: max 24 hours\n  dpo_contact: [a, b]\n", encoding="utf-8"
    )
    with pytest.raises(RequirementError, match=r"mine\.yaml:3: dpo_contact: .*valid string"):
        load_requirements(p)
    p.write_text("- max 24 hours\n", encoding="utf-8")
    with pytest.raises(RequirementError, match="expected a mapping of topic key to rule"):
        load_requirements(p)
    p.write_text("breach_notification: max 24 hours\naudit_rights:\n", encoding="utf-8")
    assert list(load_requirements(p)) == ["breach_notification"]  # a key with no rule is left out
    p.write_text("", encoding="utf-8")
    assert load_requirements(p) == {}
    p.write_text("sla: at least 99 %\n  bad: [\n", encoding="utf-8")
    with pytest.raises(RequirementError, match="not valid YAML.*line 2"):
        load_requirements(p)
