"""Places in contract text, for "where…" questions (data location, hosting, transfers): countries and their
subdivisions from ISO 3166 (pycountry: English names, official and common names, and the French names of
its translations), the blocs and areas data-protection law speaks of, and the words for where data is kept.
No list of any corpus's own cities or providers: a user's contracts name places this module has never
seen, and a country or region is what a data-location answer turns on."""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

# Areas and blocs data-protection terms name (GDPR vocabulary), in English and French.
_AREAS = (
    r"union\s+europ[ée]enne|european\s+union|\beu\b|\bue\b|\beea\b|\beee\b|espace\s+[ée]conomique\s+europ[ée]en"
    r"|european\s+economic\s+area|\beurope\b|\bhors\s+(?:de\s+l['’])?(?:ue|union|europe)\b|third\s+countr\w*"
    r"|pays\s+tiers|outside\s+(?:the\s+)?(?:eu|eea|european(?:\s+(?:union|economic\s+area))?)\b"
    r"|\bu\.s\.(?:a\.)?|\busa\b|\bu\.k\.|\buk\b"
)
# A postal address: a street ("7 rue Meyerbeer", "10 boulevard du Zénith", "1 Main Street"), a postcode
# before a place name ("75009 Paris", "92300 Levallois-Perret") or in brackets ("(44800)").
_ADDRESS = (
    r"\b\d{1,4}(?:\s*(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|place|chemin|all[ée]e|quai|impasse"
    r"|route|cours|street|st\.|road|rd\.|lane|drive|way)\b|\b\d{5}\s+[A-ZÀ-Ý][\w'’-]+|\(\d{5}\)"
)
# Where data is kept, whoever keeps it.
_KEPT = (
    r"data\s*cent(?:er|re)s?|datacenters?|centres?\s+de\s+donn[ée]es|serveurs?\s+(?:situ|localis|h[ée]berg)\w*"
    r"|servers?\s+(?:located|situated|hosted|based)|h[ée]berg[ée]e?s?\s+(?:en|au|aux|dans|sur|chez|par)"
    r"|hosted\s+(?:in|on|by|with)|stored\s+(?:in|on)|located\s+in|localis[ée]e?s?\s+(?:en|au|aux|dans|sur)"
    r"|territoire|territory"
)
_MIN_NAME = 4  # shorter names ("Chad" aside) are codes or words of other meaning: left to the areas above


# The member states of the European Economic Area (the 27 of the EU, then Iceland, Liechtenstein, Norway) by
# ISO 3166-1 code: where the GDPR lets personal data go without a transfer mechanism.
EEA_CODES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split()
)


def _country_names() -> dict[str, str]:
    """Every country's names (English and French; official and common) with its ISO 3166-1 code."""
    import pycountry

    names: dict[str, str] = {}
    fr: gettext.NullTranslations
    try:
        fr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    except OSError:  # no French catalogue in this pycountry build: English names only
        fr = gettext.NullTranslations()
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            n = getattr(c, attr, None)
            if n:
                names[n] = c.alpha_2
                names[fr.gettext(n)] = c.alpha_2
    return {n: code for n, code in names.items() if len(n) >= _MIN_NAME}


def _subdivision_names() -> dict[str, str]:
    """Regions, states, provinces and départements with names of two words or more, or one long word, with
    their country's code: short one-word subdivisions ("Ain", "Nord") are common words too."""
    import pycountry

    return {
        s.name: s.country_code
        for s in pycountry.subdivisions
        if s.type.lower()
        in ("region", "state", "province", "metropolitan region", "land", "autonomous community")
        and (" " in s.name or "-" in s.name or len(s.name) >= 7)
    }


@lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, str]:
    """A country or region's name, with white space as one blank, and the code of its country (a country's
    own name wins over a region of another that has the same name)."""
    return {" ".join(n.split()): code for n, code in {**_subdivision_names(), **_country_names()}.items()}


@lru_cache(maxsize=1)
def place_names() -> re.Pattern[str]:
    """A country or region by its name as written, capitalised ("Ireland", "Irlande", "États-Unis",
    "Virginia"; "china" or "jersey" in lower case are other words). Built once (about 0.1 s)."""
    names = sorted(_codes_by_name(), key=len, reverse=True)
    listed = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
    return re.compile(rf"(?<![\w-])(?:{listed})(?![\w-])")


def countries_named(text: str) -> dict[str, str]:
    """The countries and regions the text names, as written, each with its country's ISO 3166-1 code
    ("hébergées en Allemagne" gives {"Allemagne": "DE"}, "in Virginia" {"Virginia": "US"})."""
    codes = _codes_by_name()
    return {m.group(): codes[" ".join(m.group().split())] for m in place_names().finditer(text)}


PLACE_AREAS = re.compile(_AREAS, re.I)  # "the EU", "pays tiers", "outside the EEA"
PLACE_WORDS = re.compile(_KEPT, re.I)  # "data centres", "hébergées chez", "stored in"
PLACE_ADDRESS = re.compile(_ADDRESS)


def has_place(text: str) -> bool:
    """Whether the text says where something is: a country or region, an area, an address, or where data
    is kept."""
    return bool(
        PLACE_AREAS.search(text)
        or PLACE_WORDS.search(text)
        or PLACE_ADDRESS.search(text)
        or place_names().search(text)
    )
