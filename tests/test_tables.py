"""Tables kept as tables: real table shapes of the sample corpus (copied here as literals), HTML and DOCX
tables, and the rule that quotes stay verbatim slices of the document text."""

from __future__ import annotations

import io

from core.settings import ChunkSettings
from core.types import Document
from ingest.loaders import load_bytes
from ingest.tables import find_tables, render_table, table_context

# aura-digital/cgv-and-privacy-policy.txt: a table whose cell separators were lost (the header line starts
# with a no-break space where the empty corner cell was)
AURA = (
    "Le Prestataire s’engage à prendre en charge les signalements d’Anomalies au service d’assistance dans "
    "les délais suivants.\n"
    "\n"
    "\u00a0Anomalies bloquantesAnomalies majeuresAnomalies mineures\n"
    "Délai de traitement2 h8 h18 h\n"
    "Temps de récupération3 j.6 j.N/A\n"
    "\n"
    "Délai de traitement : délai selon lequel le Prestataire s’engage à mobiliser du personnel pour faire "
    "face à l’Anomalie.\n"
)

# leo-bizdev/privacy-policy-and-dpa.txt: tab-separated sub-processor tables
LEO = (
    "La liste actuelle des sous-traitants secondaires est la suivante:\n"
    "\n"
    "Sous-traitant\tFinalité\n"
    "MongoDB\tHébergement et gestion sécurisée des bases de données\n"
    "Amazon Web Services (AWS)\tHébergement cloud et infrastructure serveur\n"
    "OpenAI\tIntelligence artificielle générative\n"
    "\n"
    "Sous-traitant\tFinalité\n"
    "Unipile\tSynchronisation des services de messagerie professionnelle compatibles, notamment Outlook et Gmail\n"
    "\n"
    "Stripe traite les paiements de manière sécurisée. LEO Bizdev ne stocke pas les données complètes de carte "
    "bancaire.\n"
)

# lines of the sample corpus that look glued but are no table (one line alone, numbering)
NOT_TABLES = (
    "9.2.1. Obligations du Client\n"
    "9.2.2. Obligations du Fournisseur\n"
    "\n"
    "Hébergeur : LWS est une S.A.R.L au capital de 500 000 Euros 10, rue Penthièvre - 75008 ParisRCS Paris B "
    "851 993 683 00024 - SIRET 85199368300024\n"
    "\n"
    "la mise à disposition d’un accès à ladite solution  logicielle, par opposition à l’hypothèse dans\n"
    "laquelle le Client héberge  et exploite une solution logicielle.\n"
)


def test_run_together_table_is_recovered_with_its_headers():
    (t,) = find_tables(AURA)
    assert t.header is not None and t.header.cells == (
        "Anomalies bloquantes",
        "Anomalies majeures",
        "Anomalies mineures",
    )
    assert t.row_labels
    assert [r.cells for r in t.rows] == [
        ("Délai de traitement", "2 h", "8 h", "18 h"),
        ("Temps de récupération", "3 j.", "6 j.", "N/A"),
    ]
    lines = render_table(t)
    assert "Délai de traitement — Anomalies majeures: 8 h" in lines
    assert "Temps de récupération — Anomalies bloquantes: 3 j." in lines
    # the table's offsets are the document's: rows are verbatim slices
    assert AURA[t.rows[0].start : t.rows[0].end] == "Délai de traitement2 h8 h18 h"


def test_tab_separated_tables_keep_their_header_per_row():
    tables = find_tables(LEO)
    assert len(tables) == 2
    assert render_table(tables[0])[1] == (
        "Sous-traitant: Amazon Web Services (AWS); Finalité: Hébergement cloud et infrastructure serveur"
    )
    assert render_table(tables[1]) == [
        "Sous-traitant: Unipile; Finalité: Synchronisation des services de "
        "messagerie professionnelle compatibles, notamment Outlook et Gmail"
    ]


def test_space_aligned_table():
    text = (
        "Niveau        Disponibilité    Pénalité\n"
        "Standard      99,5 %           5 %\n"
        "Premium       99,9 %           10 %\n"
    )
    (t,) = find_tables(text)
    assert render_table(t) == [
        "Niveau: Standard; Disponibilité: 99,5 %; Pénalité: 5 %",
        "Niveau: Premium; Disponibilité: 99,9 %; Pénalité: 10 %",
    ]


def test_prose_and_headings_are_not_tables():
    assert find_tables(NOT_TABLES) == []


def test_table_context_covers_the_rows_of_a_span_with_headers_from_outside_it():
    (t,) = find_tables(AURA)
    row2 = t.rows[1]
    ctx = table_context([t], row2.start, row2.end)
    assert ctx.splitlines() == [
        "Temps de récupération — Anomalies bloquantes: 3 j.",
        "Temps de récupération — Anomalies majeures: 6 j.",
        "Temps de récupération — Anomalies mineures: N/A",
    ]
    assert table_context([t], 0, 20) == ""


def test_clauses_of_a_text_table_stay_verbatim_and_carry_the_rendering():
    from core.settings import Settings
    from ingest.document import build_clauses
    from vectorstore.store import contextual_text

    settings = Settings(chunking=ChunkSettings())
    doc = Document(
        vendor="aura-digital",
        vendor_name="Aura Digital",
        document="aura-digital/x.txt",
        text=AURA,
        sha256="0" * 64,
        language="fr",
    )
    clauses = build_clauses(doc, settings)
    holding = [c for c in clauses if "2 h8 h18 h" in c.text]
    assert holding
    for c in clauses:
        assert AURA[c.start : c.end] == c.text  # quotes and citations still index the document text
    c = holding[0]
    assert "Délai de traitement — Anomalies bloquantes: 2 h" in c.table_text
    assert c.table_text in contextual_text(c)  # embedded with the clause
    assert "Délai de traitement — Anomalies bloquantes: 2 h" not in AURA  # ... and never quoted


def test_html_table_rendered_as_header_value_lines_in_the_document_text():
    html = (
        "<html><body><h2>Niveaux de service</h2>"
        "<table><thead><tr><th></th><th>Anomalies bloquantes</th><th>Anomalies majeures</th></tr></thead>"
        "<tbody><tr><th>Délai de traitement</th><td>2 h</td><td>8 h</td></tr>"
        "<tr><th>Temps de récupération</th><td>3 j.</td><td>6 j.</td></tr></tbody></table>"
        "<table><tr><td>Sous-traitant</td><td>Pays</td></tr><tr><td>AWS</td><td colspan='1'>Irlande</td></tr>"
        "</table><p>Fin.</p></body></html>"
    ).encode()
    text = load_bytes(html, ".html")
    lines = text.splitlines()
    assert "Délai de traitement — Anomalies majeures: 8 h" in lines
    assert "Temps de récupération — Anomalies bloquantes: 3 j." in lines
    assert "Sous-traitant: AWS; Pays: Irlande" in lines
    # the rendering is the document text: a quote of a cell line is a verbatim slice
    q = "Délai de traitement — Anomalies majeures: 8 h"
    start = text.index(q)
    assert text[start : start + len(q)] == q
    assert find_tables(text) == []  # nothing rendered twice


def test_html_layout_and_nested_tables_are_written_cell_by_cell():
    html = (
        b"<table><tr><td>Un seul bloc de texte</td></tr></table>"
        b"<table><tr><td><table><tr><td>A</td><td>B</td></tr></table></td></tr></table>"
    )
    text = load_bytes(html, ".html")
    assert "Un seul bloc de texte" in text.splitlines()
    assert "A\tB" in text


def _docx(table: list[list[str]], merge_first_row: bool = False) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("ANNEXE 2 - NIVEAUX DE SERVICE")
    t = d.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, cell in enumerate(row):
            t.cell(r, c).text = cell
    if merge_first_row:
        t.cell(0, 1).merge(t.cell(0, 2))
        t.cell(0, 1).text = "Délais"
    d.add_paragraph("Ces délais courent à compter du signalement.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_table_with_row_labels():
    data = _docx(
        [
            ["", "Anomalies bloquantes", "Anomalies majeures", "Anomalies mineures"],
            ["Délai de traitement", "2 h", "8 h", "18 h"],
            ["Temps de récupération", "3 j.", "6 j.", "N/A"],
        ]
    )
    text = load_bytes(data, ".docx")
    lines = text.splitlines()
    assert "Délai de traitement — Anomalies mineures: 18 h" in lines
    assert "Temps de récupération — Anomalies mineures: N/A" in lines
    assert (
        lines[0] == "ANNEXE 2 - NIVEAUX DE SERVICE"
        and lines[-1] == "Ces délais courent à compter du signalement."
    )


def test_docx_merged_header_cell_spans_its_columns():
    data = _docx([["Prestation", "x", "y"], ["Support", "9 h", "18 h"]], merge_first_row=True)
    lines = load_bytes(data, ".docx").splitlines()
    assert "Prestation: Support; Délais: 9 h; Délais: 18 h" in lines


def _pdf(lines: list[tuple[int, int, str]]) -> bytes:
    """A one-page PDF with text drawn at (x, y) (Helvetica 11), offsets computed for the xref."""
    ops = "".join(f"BT /F1 11 Tf {x} {y} Td ({s}) Tj ET\n" for x, y, s in lines).encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def test_pdf_table_columns_become_header_value_lines():
    cells = [(72, 740, "Le Prestataire s'engage dans les delais suivants.")]
    for y, row in (
        (700, ("", "Anomalies bloquantes", "Anomalies majeures")),
        (682, ("Delai de traitement", "2 h", "8 h")),
        (664, ("Temps de recuperation", "3 j.", "6 j.")),
    ):
        cells += [(x, y, c) for x, c in zip((72, 230, 380), row, strict=True) if c]
    cells.append((72, 620, "Ces delais courent a compter du signalement."))
    text = load_bytes(_pdf(cells), ".pdf")
    lines = text.splitlines()
    assert "Delai de traitement — Anomalies majeures: 8 h" in lines
    assert "Temps de recuperation — Anomalies bloquantes: 3 j." in lines
    assert "Ces delais courent a compter du signalement." in lines


def test_pdf_without_table_keeps_the_plain_extraction():
    text = load_bytes(
        _pdf([(72, 740, "Premier paragraphe du contrat."), (72, 722, "Second paragraphe.")]), ".pdf"
    )
    assert text == "Premier paragraphe du contrat.\nSecond paragraphe.\n"


def test_table_text_is_stored_and_searchable(fake_settings):
    """The rendering travels with the clause through the store and BM25 finds words that the run-together
    source text hides ("bloquantesAnomalies"), while the stored clause text stays the verbatim slice."""
    from core.settings import ChunkSettings as CS
    from ingest.document import build_clauses
    from vectorstore.embeddings import HashingEmbeddings
    from vectorstore.store import ClauseStore, contextual_text

    text = (
        "Le Prestataire prend en charge les signalements.\n\n"
        "\u00a0Anomalies bloquantesAnomalies majeuresAnomalies mineures\n"
        "Délai de traitement2 h8 h18 h\n"
        "Temps de récupération3 j.6 j.N/A\n"
    )
    doc = Document(
        vendor="aura-digital",
        vendor_name="Aura Digital",
        document="aura-digital/sla.txt",
        text=text,
        sha256="1" * 64,
        language="fr",
    )
    clauses = build_clauses(doc, fake_settings.model_copy(update={"chunking": CS()}))
    emb = HashingEmbeddings()
    store = ClauseStore(fake_settings, emb)
    store.write_document(doc, clauses, emb.embed_documents([contextual_text(c) for c in clauses]))
    other = Document(
        vendor="globex",
        vendor_name="Globex",
        document="globex/dpa.txt",
        sha256="2" * 64,
        text="The Processor notifies breaches within 72 hours.\n\nData is hosted in Ireland.\n",
        language="en",
    )
    more = build_clauses(other, fake_settings.model_copy(update={"chunking": CS(min_tokens=1)}))
    store.write_document(other, more, emb.embed_documents([contextual_text(c) for c in more]))
    stored = store.clauses(doc.document)
    assert [c.table_text for c in stored] == [c.table_text for c in clauses] and stored[0].table_text
    assert all(text[c.start : c.end] == c.text for c in stored)
    hits = store.bm25_search("bloquantes", 3)
    assert hits and "2 h8 h18 h" in hits[0].clause.text


def test_markdown_pipe_table():
    text = (
        "Niveaux de service.\n\n"
        "| Service | Disponibilité | RTO |\n"
        "|---|:---:|---|\n"
        "| Hébergement | 99,9 % | 4 h |\n"
        "| Support | 99,5 % | 8 h |\n\n"
        "Une ligne | avec | des barres n'est pas un tableau.\n"
    )
    (t,) = find_tables(text)
    assert render_table(t) == [
        "Service: Hébergement; Disponibilité: 99,9 %; RTO: 4 h",
        "Service: Support; Disponibilité: 99,5 %; RTO: 8 h",
    ]
    assert text[t.start : t.end].endswith("| Support | 99,5 % | 8 h |")


def test_headerless_aligned_text_adds_no_table_text():
    text = "Hébergement    99,9 %\nSupport        99,5 %\n"
    (t,) = find_tables(text)
    assert t.header is None
    assert table_context([t], 0, len(text)) == ""


def test_a_quoted_text_table_row_backs_its_figures_with_its_column_headers():
    """The quote stays the verbatim run-together row; its figures are read with the row's header: value
    lines, so the right cell passes and a neighbouring cell's figure is refused."""
    from assistant.citations import check_answer, figure_context
    from core.types import Citation

    row = "Délai de traitement2 h8 h18 h"
    start = AURA.index(row)
    cite = Citation(
        n=1,
        vendor="aura-digital",
        vendor_name="Aura Digital",
        document="aura-digital/x.txt",
        section="",
        quote=row,
        start=start,
        end=start + len(row),
    )
    docs = {"aura-digital/x.txt": AURA}
    assert "Délai de traitement — Anomalies mineures: 18 h" in figure_context(cite, docs.__getitem__)
    ok = check_answer("Les anomalies mineures sont traitées sous 18 h [1].", [cite], docs.__getitem__)
    assert ok.ok, ok.reasons
    wrong = check_answer("Les anomalies mineures sont traitées sous 8 h [1].", [cite], docs.__getitem__)
    assert not wrong.ok and "8 h" in wrong.reasons[0]
    # any other quote is checked as before: alone
    prose = "Le Prestataire s’engage à prendre en charge les signalements"
    p0 = AURA.index(prose)
    other = Citation(
        n=1,
        vendor="aura-digital",
        vendor_name="Aura Digital",
        document="aura-digital/x.txt",
        section="",
        quote=prose,
        start=p0,
        end=p0 + len(prose),
    )
    assert figure_context(other, docs.__getitem__) == prose


def test_html_row_and_column_spans_repeat_the_cell():
    html = (
        "<table><tr><th>Offre</th><th>Support</th><th>Délai</th></tr>"
        "<tr><td rowspan='2'>Premium</td><td>Téléphone</td><td>2 h</td></tr>"
        "<tr><td>E-mail</td><td>4 h</td></tr>"
        "<tr><td>Standard</td><td colspan='2'>Non inclus</td></tr></table>"
    ).encode()
    assert load_bytes(html, ".html").splitlines() == [
        "Offre: Premium; Support: Téléphone; Délai: 2 h",
        "Offre: Premium; Support: E-mail; Délai: 4 h",
        "Offre: Standard; Support: Non inclus; Délai: Non inclus",
    ]


def test_docx_vertically_merged_cell_repeats_in_the_rows_it_covers():
    import docx

    d = docx.Document()
    t = d.add_table(rows=4, cols=3)
    for r, row in enumerate(
        [
            ["Offre", "Support", "Délai"],
            ["Premium", "Téléphone", "2 h"],
            ["", "E-mail", "4 h"],
            ["Standard", "Chat", "8 h"],
        ]
    ):
        for c, v in enumerate(row):
            t.cell(r, c).text = v
    t.cell(1, 0).merge(t.cell(2, 0))
    buf = io.BytesIO()
    d.save(buf)
    assert load_bytes(buf.getvalue(), ".docx").splitlines() == [
        "Offre: Premium; Support: Téléphone; Délai: 2 h",
        "Offre: Premium; Support: E-mail; Délai: 4 h",
        "Offre: Standard; Support: Chat; Délai: 8 h",
    ]
