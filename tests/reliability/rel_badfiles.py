"""Generators of hostile input files, written at test time into temporary folders (never committed).

Each generator writes one file and returns its path; `make_all` builds the whole set under a
vendor folder and returns `{case name: path}`. Randomness is seeded so every run sees the same bytes.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

GOOD_TEXT = (
    "ARTICLE 1 - OBJET\n\nLes présentes conditions régissent l'usage du service par le Client.\n\n"
    "ARTICLE 2 - RESPONSABILITÉ\n\nLa responsabilité totale du Prestataire est limitée au montant des "
    "sommes versées par le Client au cours des douze derniers mois.\n"
)


def pdf_bytes(text_lines: list[str]) -> bytes:
    """A small valid PDF (one page, Helvetica text) with a correct xref table, built by hand."""
    content = (
        "BT /F1 12 Tf 72 720 Td 14 TL "
        + " ".join(
            "(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
            for ln in text_lines
        )
        + " ET"
    )
    stream = content.encode("latin-1", "replace")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


_DOCX_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx_xml(paragraphs: list[str]) -> str:
    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>' for p in paragraphs)
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'


def docx_bytes(paragraphs: list[str]) -> bytes:
    """A minimal valid DOCX (python-docx opens it) with the given paragraphs."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _DOCX_CT)
        z.writestr("_rels/.rels", _DOCX_RELS)
        z.writestr("word/document.xml", _docx_xml(paragraphs))
    return buf.getvalue()


def write_docx_bomb(path: Path, inflated_mb: int = 400) -> Path:
    """A DOCX whose word/document.xml inflates to `inflated_mb` MB of valid, repetitive paragraphs
    (about 0.2% of that on disk): parsing it naively needs gigabytes."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>'.encode()
    para = b"<w:p><w:r><w:t>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</w:t></w:r></w:p>"
    block = para * ((1 << 20) // len(para))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _DOCX_CT)
        z.writestr("_rels/.rels", _DOCX_RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(head)
            for _ in range(inflated_mb):
                fh.write(block)
            fh.write(b"</w:body></w:document>")
    return path


def write_sparse(path: Path, size_mb: int = 100) -> Path:
    """A `size_mb` MB file that takes no disk (a hole of NUL bytes), e.g. `huge.txt`."""
    with open(path, "wb") as fh:
        fh.truncate(size_mb * 1024 * 1024)
    return path


def write_big_text(path: Path, size_mb: int, seed: int = 7) -> Path:
    """A real-looking text file of `size_mb` MB (a 1 MB block of numbered clauses, repeated)."""
    rng = random.Random(seed)
    block = "".join(
        f"ARTICLE {n}\n\nLe Prestataire conserve les données {rng.randint(1, 99)} mois.\n\n"
        for n in range(1, 20000)
    ).encode()[: 1 << 20]
    with open(path, "wb") as fh:
        for _ in range(size_mb):
            fh.write(block)
    return path


def _bytes_writer(data: bytes) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return write


def hostile_files(seed: int = 20261122) -> dict[str, tuple[str, Callable[[Path], Path]]]:
    """Case name -> (file name, writer). Cheap cases only; the bomb and the 100 MB files are separate."""
    rng = random.Random(seed)
    good_pdf = pdf_bytes(["ARTICLE 1 - Liability", "Liability is capped at the fees paid."])
    good_docx = docx_bytes(["ARTICLE 1 - Liability", "Liability is capped at the fees paid."])
    corrupt_pdf = bytearray(good_pdf)
    for _ in range(40):
        corrupt_pdf[rng.randrange(20, len(corrupt_pdf))] = rng.randrange(256)
    corrupt_docx = bytearray(good_docx)
    for i in range(len(corrupt_docx) // 3, len(corrupt_docx) // 3 + 64):
        corrupt_docx[i] = rng.randrange(256)
    bad_xml_docx = io.BytesIO()
    with zipfile.ZipFile(bad_xml_docx, "w") as z:
        z.writestr("[Content_Types].xml", _DOCX_CT)
        z.writestr("_rels/.rels", _DOCX_RELS)
        z.writestr("word/document.xml", "<w:document><w:body><w:p>unclosed & <broken")
    mixed = (
        "Clause en UTF-8 : la résiliation intervient après préavis.\n\n".encode()
        + "Clause en Latin-1 : données conservées à l'étranger.\n\n".encode("latin-1")
        + "Clause cp1252 : « garanties » — œuvre.\n\n".encode("cp1252")
        + "Clause UTF-16 : fin.\n".encode("utf-16")
    )
    long_line = ("Le Prestataire s'engage " * 120_000).encode()  # ~2.9 MB, one line
    no_spaces = (b"x" * 2_000_000) + b"\n"
    nested_html = (
        "<html><body>" + "<div>" * 20_000 + "Clause profonde." + "</div>" * 20_000 + "</body></html>"
    ).encode()
    cases: dict[str, tuple[str, Callable[[Path], Path]]] = {
        "empty_txt": ("empty.txt", _bytes_writer(b"")),
        "whitespace_txt": ("blank.txt", _bytes_writer(b" \n\t\r\n   \n")),
        "binary_as_txt": ("binary.txt", _bytes_writer(rng.randbytes(200_000))),
        "nul_bytes_txt": ("nuls.txt", _bytes_writer(b"Clause A.\x00\x00\x00 Clause B.\x00\n" * 500)),
        "invalid_utf8_txt": (
            "invalid.txt",
            _bytes_writer(b"Prix \xff\xfe\xfa\xc3\x28 en \x80 euros.\n" * 200),
        ),
        "mixed_encodings_txt": ("mixed.txt", _bytes_writer(mixed)),
        "utf16_bom_txt": (
            "utf16.txt",
            _bytes_writer("Clause UTF-16 avec BOM : délai de 30 jours.\n".encode("utf-16")),
        ),
        "long_line_txt": ("longline.txt", _bytes_writer(long_line)),
        "no_spaces_txt": ("nospace.txt", _bytes_writer(no_spaces)),
        "truncated_pdf": ("truncated.pdf", _bytes_writer(good_pdf[: len(good_pdf) * 3 // 5])),
        "corrupt_pdf": ("corrupt.pdf", _bytes_writer(bytes(corrupt_pdf))),
        "garbage_pdf": ("garbage.pdf", _bytes_writer(b"%PDF-1.7\n" + rng.randbytes(50_000))),
        "empty_pdf": ("empty.pdf", _bytes_writer(b"")),
        "truncated_docx": ("truncated.docx", _bytes_writer(good_docx[: len(good_docx) // 2])),
        "corrupt_docx": ("corrupt.docx", _bytes_writer(bytes(corrupt_docx))),
        "bad_xml_docx": ("badxml.docx", _bytes_writer(bad_xml_docx.getvalue())),
        "not_a_zip_docx": ("notzip.docx", _bytes_writer(b"PK\x03\x04" + rng.randbytes(5000))),
        "nested_html": ("nested.html", _bytes_writer(nested_html)),
    }
    return cases


def make_all(folder: Path, seed: int = 20261122) -> dict[str, Path]:
    """Write every cheap hostile case into `folder`; return case -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: writer(folder / fname) for name, (fname, writer) in hostile_files(seed).items()}


def zlib_ratio(path: Path) -> float:
    """Inflated/deflated size of the largest member of a zip (how much of a bomb it is)."""
    with zipfile.ZipFile(path) as z:
        info = max(z.infolist(), key=lambda i: i.file_size)
        return info.file_size / max(1, info.compress_size)


__all__ = [
    "GOOD_TEXT",
    "docx_bytes",
    "hostile_files",
    "make_all",
    "pdf_bytes",
    "write_big_text",
    "write_docx_bomb",
    "write_sparse",
    "zlib_ratio",
]
