"""Charset detection, mojibake repair and language guessing."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT, load_settings
from core.text import detect_language
from ingest.decode import (
    DecodeError,
    decode_bytes,
    detect_and_decode,
    looks_binary,
    repair_mojibake,
)
from ingest.document import decode_document

FIX = Path(__file__).parent / "fixtures" / "ingest"


def test_humanlinker_emoji_mojibake_is_repaired():
    raw = (PROJECT_ROOT / "data" / "contracts" / "humanlinker" / "cgu-and-dpa.txt").read_bytes()
    assert "đź”§".encode() in raw  # the published file really carries the mojibake
    settings = load_settings(env={}, corpus_dir=str(PROJECT_ROOT / "data" / "contracts"))
    doc = decode_document(settings, "humanlinker/cgu-and-dpa.txt")
    assert "đź”§" not in doc.text and "đź" not in doc.text
    assert "Version : 🔧 20 Octobre 2025" in doc.text
    assert "48 heures ouvrées" in doc.text  # correct accents are left alone
    assert doc.language == "fr"


def test_double_encoded_utf8_fixture_is_repaired():
    text = decode_bytes((FIX / "double_encoded.txt").read_bytes())
    assert "rÃ©siliation" not in text and "â€™" not in text
    assert text == (FIX / "expected_double_encoded.txt").read_text(encoding="utf-8")


def test_windows_1252_file_is_detected():
    raw = (FIX / "windows1252.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert decode_bytes(raw) == (FIX / "expected_windows1252.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "good",
    [
        "Déjà vu – « élève » naïve, l’été, Œuvre, 5 €, ½, ü, 🔧",
        "Prix : 100 000,00 € HT — TVA 20 %",
        "Ça coûte « cher » : voilà.",
    ],
)
def test_correct_text_is_left_untouched(good):
    assert repair_mojibake(good) == good


def test_broken_accents_and_quotes():
    assert repair_mojibake("lâ€™extension Ã  la donnÃ©e") == "l’extension à la donnée"


def test_bom_and_newlines():
    text, enc = detect_and_decode("\ufeffTitre\r\nLigne".encode())
    assert enc == "utf-8-sig" and text.startswith("Titre")
    assert decode_bytes(b"a\r\nb\rc") == "a\nb\nc"
    assert decode_bytes("é".encode("utf-16")) == "é"


def test_binary_is_refused():
    blob = bytes(range(256)) * 50
    assert looks_binary(blob)
    with pytest.raises(DecodeError):
        decode_bytes(blob)
    assert not looks_binary("Texte normal, accentué.".encode())


def test_language_detection():
    assert detect_language("The Customer shall notify the Processor of any breach of the data.") == "en"
    assert detect_language("Le Client doit notifier le Sous-traitant de toute violation des données.") == "fr"
    assert detect_language("12345", default="fr") == "fr"
