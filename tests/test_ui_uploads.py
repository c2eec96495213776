"""Uploads from the page: file-name and slug checks, writes confined to the corpus, removal."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ui.uploads import UploadError, remove_document, safe_filename, safe_slug, save_upload, slugify


@pytest.mark.parametrize(
    "name",
    [
        "../x.txt",
        "a/b.txt",
        "a\\b.txt",
        "/etc/passwd.txt",
        "C:x.txt",
        ".hidden.txt",
        "~x.txt",
        "x..txt",
        "",
        "noext",
        "x.exe",
        "x\x00.txt",
        "bad\nname.txt",
    ],
)
def test_safe_filename_refuses(name: str) -> None:
    with pytest.raises(UploadError):
        safe_filename(name)


@pytest.mark.parametrize("name", ["cgv.txt", "DPA 2025 (v2).pdf", "conditions-générales.docx", "a.HTML"])
def test_safe_filename_accepts(name: str) -> None:
    assert safe_filename(name) == name


def test_slugs() -> None:
    assert slugify("Société Générale Cloud!") == "societe-generale-cloud"
    assert safe_slug("acme-2") == "acme-2"
    for bad in ("Acme", "../x", "a/b", "", "-x"):
        with pytest.raises(UploadError):
            safe_slug(bad)


def test_save_upload_new_vendor_writes_yaml_and_file(tmp_path: Path) -> None:
    p = save_upload(tmp_path, "acme", "terms.txt", b"Article 1", max_bytes=100, vendor_name="Acme Cloud")
    assert p == tmp_path / "acme" / "terms.txt" and p.read_bytes() == b"Article 1"
    assert yaml.safe_load((tmp_path / "acme" / "vendor.yaml").read_text())["name"] == "Acme Cloud"
    assert not list((tmp_path / "acme").glob(".upload-*"))
    # existing vendor: vendor.yaml kept, file overwritten (new version)
    save_upload(tmp_path, "acme", "terms.txt", b"Article 2", max_bytes=100, vendor_name="Other")
    assert p.read_bytes() == b"Article 2"
    assert yaml.safe_load((tmp_path / "acme" / "vendor.yaml").read_text())["name"] == "Acme Cloud"


def test_save_upload_limits(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="too large"):
        save_upload(tmp_path, "acme", "t.txt", b"x" * 11, max_bytes=10)
    with pytest.raises(UploadError, match="empty"):
        save_upload(tmp_path, "acme", "t.txt", b"", max_bytes=10)
    with pytest.raises(UploadError):
        save_upload(tmp_path, "..", "t.txt", b"x", max_bytes=10)
    assert not (tmp_path / "acme").exists()


def test_remove_document(tmp_path: Path) -> None:
    save_upload(tmp_path, "acme", "t.txt", b"x", max_bytes=10)
    outside = tmp_path.parent / "keep.txt"
    outside.write_text("keep")
    for bad in ("../keep.txt", "acme/../../keep.txt", "/etc/passwd", "acme", "acme/missing.txt"):
        with pytest.raises(UploadError):
            remove_document(tmp_path, bad)
    assert outside.exists()
    remove_document(tmp_path, "acme/t.txt")
    assert not (tmp_path / "acme" / "t.txt").exists()
