"""Places in contract text, for "where…" questions (data location, hosting, transfers): countries and their
subdivisions from ISO 3166 (pycountry: English names, official and common names, and the French names of
its translations), the blocs and areas data-protection law speaks of, and the words for where data is kept.
No list of any corpus's own cities or providers: a user's contracts name places this module has never
seen, and a country or region is what a data-location answer turns on."""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

from core.text import fold, sentences

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


# The EU or the EEA by name, on folded text (what a question asks data to be inside: selection.place_asked).
EU_AREA = (
    r"union\s+europeenne|european\s+union|espace\s+economique\s+europeen|european\s+economic\s+area|eee|eea"
    r"|ue|eu|europe"
)


# Hosting places beyond the countries and regions this module names (pycountry, English and French): the
# EU/EEA as areas, the adjective "French" before what holds data ("French servers", not "the French version"
# or "French law"), and the ways of saying data leave it; countries are read by their ISO code (EEA_CODES
# inside). A city alone is not read ("Orange", "Nice" are other words too): such a cell names no hosting
# place, and its quote is there to read. All as whole words of the folded text ("dans l'UE.", "in the EU.").
_EU_WORDS = re.compile(
    rf"\b(?:{EU_AREA}|french(?=\s+(?:servers?|data\s*cent(?:er|re)s?|datacent(?:er|re)s?|territory|soil"
    r"|hosting|hosts?|infrastructure|cloud|regions?|facilities|premises)\b))\b"
)
_NON_EU_WORDS = (
    "etats-unis",  # the United States as written without accents (abbreviated: abbreviated_countries)
    "etats unis",
    "pays tiers",
    "third countr",
    "third-countr",
    "standard contractual clauses",
    "clauses contractuelles types",
)
_NEGATION = re.compile(r"\b(?:no|not|never|without|aucun|aucune|jamais|sans|ne|n'|pas)\b")
# Data leaving the EU/EEA, on folded text: "outside (of) the EU", "out of the EEA", "outside Europe", "hors de
# l'Union", "en dehors de l'UE", "hors EEE". Its "EU" names where data goes from, not where it is hosted.
OUT_OF_EU = re.compile(
    r"\b(?:out(?:side)?\s+(?:of\s+)?(?:the\s+)?|(?:en\s+dehors|hors)\s+(?:de\s+)?(?:l'\s*)?)"
    r"(?:eu|eea|ue|eee|europe|european\s+(?:union|economic\s+area)|union(?:\s+europeenne)?"
    r"|espace\s+economique\s+europeen|espace)\b"
)

# The EU as a legal order, not a place: "under EU privacy law", "the European Commission", "EU Standard
# Contractual Clauses", "le droit de l'Union", "la réglementation européenne" (folded text)
_EU_LAW = re.compile(
    r"\b(?:eu|ue|european\s+union|union\s+europeenne|european)\s+(?:privacy\s+|data\s+protection\s+)?"
    r"(?:laws?|legislation|regulations?|gdpr|directives?|standard\s+contractual\s+clauses|commission)\b"
    r"|\b(?:droit|legislation|reglementation|reglement|commission)\s+(?:de\s+l'\s*(?:union(?:\s+europeenne)?|ue)"
    r"|europeen(?:ne)?)\b"
    # a legal instrument by its number: "Regulation (EU) 2016/679", « Règlement (UE) 2016/679 », « Décision UE
    # 2021/914 » (brackets are spaces by then)
    r"|\b(?:regulation|directive|decision|reglement)\s+(?:eu|ue|ec|ce)\b"
)


# Countries pycountry names only in full, by their abbreviations, on the text as written: "U.S.", "USA",
# "US" in capitals, "U.K."; never the pronoun "us" ("contact us"), nor "US" in a sentence written in capitals,
# nor the country as a legal order ("the UK Addendum", "UK GDPR", "U.S. law enforcement", "US government").
_LEGAL_AFTER = (
    r"(?!\s*(?:GDPR|Addendum|[Ll]aws?\b|[Ll]egislation|[Rr]egulations?|[Ff]ederal|[Gg]overnment|[Cc]ourts?"
    r"|[Aa]uthorit|[Vv]ersion|Data\s+Protection|[Ss]tate\s+[Ll]aw))"
)
_ABBREVIATIONS = {
    "US": re.compile(rf"(?:\bU\.S\.(?:A\.)?|\bUSA\b|\bUS\b){_LEGAL_AFTER}"),
    "GB": re.compile(rf"(?:\bU\.K\.|\bUK\b){_LEGAL_AFTER}"),
}


def abbreviated_countries(text: str) -> set[str]:
    """The ISO codes of the countries `text` names by an abbreviation (_ABBREVIATIONS)."""
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) > 20 and sum(c.isupper() for c in letters) > 0.6 * len(letters)
    out = set()
    for code, rx in _ABBREVIATIONS.items():
        if any(not (shouting and m.group() in ("US", "UK")) for m in rx.finditer(text)):
            out.add(code)
    return out


# The EU as whose people or data, not where data are: "EU personal data", "EU users", "EEA residents", « les
# résidents de l'UE » (folded text)
_EU_ORIGIN = re.compile(
    r"\b(?:eu|eea|european)\s+(?:personal\s+data|data\s+subjects?|users?|residents?|citizens?|customers?"
    r"|individuals?|visitors?|persons?|people)\b"
    r"|\b(?:residents?|ressortissants?|citoyens?|utilisateurs?|personnes?)\s+(?:de\s+l'\s*(?:union"
    r"(?:\s+europeenne)?|ue|eee)|europeen(?:ne)?s?)\b"
)

# "eu" or "ue" not written in capitals: a French word ("avoir eu"), not the Union (on the text as written)
_NOT_AN_AREA = re.compile(r"\b(?!EU\b|UE\b)(?:[Ee][Uu]|[Uu][Ee])\b")


def eu_places(text: str) -> tuple[set[str], set[str]]:
    """(inside, outside): what the text says of data inside the EU/EEA (its areas and member states, and "no
    transfer outside the EU" for a negated transfer) and outside it (other countries, the United States by
    its abbreviations, third countries, the EU that data leave: "hors de l'UE", "outside the EEA"), sentence
    by sentence, folded. The EU as a legal order ("EU Standard Contractual Clauses", « le droit de l'Union »)
    or as whose people or data ("EU personal data", "EU users") is no place; a city alone is not read."""
    eu: set[str] = set()
    outside: set[str] = set()
    for sent in sentences(text):
        named = countries_named(sent)
        # "EU" and "UE" are read as written, in capitals: the French past participle "eu" ("après en avoir eu
        # connaissance", « Eu égard à ») is no place
        s = f" {fold(_NOT_AN_AREA.sub(' ', sent), apostrophes=True)} "
        s = re.sub(r"[(),:]", " ", s)
        found_out = [m.group() for m in OUT_OF_EU.finditer(s)]
        s = OUT_OF_EU.sub(" ", s)  # the EU it leaves is no EU hosting
        s = _EU_LAW.sub(" ", s)  # nor is the EU whose law applies
        s = _EU_ORIGIN.sub(" ", s)  # nor the EU whose people or data they are
        found_out += [w.strip() for w in _NON_EU_WORDS if w in s]
        found_out += [code.lower() for code in abbreviated_countries(sent)]
        found_out += [fold(n) for n, code in named.items() if code not in EEA_CODES]
        eu.update(fold(n) for n, code in named.items() if code in EEA_CODES)
        if found_out and _NEGATION.search(s):
            eu.add("no transfer outside the EU")
        elif found_out:
            outside.update(found_out)
        eu.update(" ".join(m.group().split()) for m in _EU_WORDS.finditer(s))
    return eu, outside
