"""The grid's exports, from its JSON (spec: Review grid, requirements applied or not): CSV and XLSX with
one record per cell and its quotes, Markdown with a table per topic and every cited quote verbatim."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from core.text import md_cell


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def _quote_line(c: Mapping[str, Any]) -> str:
    sec = f" § {c.get('section')}" if c.get("section") else ""
    return f"[{c.get('n')}] {c.get('document')}{sec} ({c.get('start')}-{c.get('end')}): “{_flat(c.get('quote', ''))}”"


def cell_status(cell: Mapping[str, Any] | None) -> str:
    """answered | not in the documents | not computed | failed."""
    if cell is None:
        return "not computed"
    return "not in the documents" if cell.get("abstained") else "answered"


def grid_records(grid_json: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One flat record per (vendor, topic) of a grid JSON, in grid order (for CSV/XLSX)."""
    labels = {t["key"]: t["label"] for t in grid_json["topics"]}
    out = []
    for row in grid_json["rows"]:
        for key, label in labels.items():
            cell = row["cells"].get(key)
            req = (cell or {}).get("requirement") or {}
            cites = (cell or {}).get("citations") or []
            conf = (cell or {}).get("confidence")
            out.append(
                {
                    "vendor": row["vendor"],
                    "vendor_name": row["vendor_name"],
                    "topic": key,
                    "label": label,
                    "status": cell_status(cell),
                    "answer": (cell or {}).get("answer", ""),
                    "confidence": "" if conf is None else conf,
                    "requirement": req.get("status", ""),
                    "requirement_reason": req.get("reason", ""),
                    "quotes": "\n".join(_quote_line(c) for c in cites),
                }
            )
    return out


CSV_COLUMNS = [
    "vendor",
    "vendor_name",
    "topic",
    "label",
    "status",
    "answer",
    "confidence",
    "requirement",
    "requirement_reason",
    "quotes",
]


def grid_csv(grid_json: Mapping[str, Any]) -> str:
    """One line per (vendor, topic), quotes included."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(grid_records(grid_json))
    return buf.getvalue()


XLSX_FILL = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "unknown": "E7E6E6"}


def grid_xlsx(grid_json: Mapping[str, Any]) -> bytes:
    """A workbook: sheet "Grid" (vendors x topics, cells coloured by requirement) and sheet "Cells" (one
    row per cell with its quotes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Grid"
    topics = grid_json["topics"]
    ws.append(["Vendor", *[t["label"] for t in topics]])
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in grid_json["rows"]:
        values = [row["vendor_name"]]
        for t in topics:
            cell = row["cells"].get(t["key"])
            values.append("(not computed)" if cell is None else _flat(cell.get("answer", "")))
        ws.append(values)
        for t, xc in zip(topics, ws[ws.max_row][1:], strict=True):
            status = ((row["cells"].get(t["key"]) or {}).get("requirement") or {}).get("status")
            if status in XLSX_FILL:
                xc.fill = PatternFill("solid", fgColor=XLSX_FILL[status])
            xc.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 20
    for i in range(len(topics)):
        ws.column_dimensions[ws.cell(1, i + 2).column_letter].width = 40
    cells = wb.create_sheet("Cells")
    cells.append(CSV_COLUMNS)
    for rec in grid_records(grid_json):
        cells.append([rec[c] for c in CSV_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


REQ_MARK = {"green": "🟢", "amber": "🟠", "red": "🔴", "unknown": "⚪"}


def grid_markdown(grid_json: Mapping[str, Any], title: str = "Vendor review grid") -> str:
    """The grid as Markdown: one table per topic (a row per vendor), then every cited quote verbatim."""
    lines = [f"# {md_cell(title)}", ""]
    for t in grid_json["topics"]:
        lines += [f"## {md_cell(t['label'])}", "", "| Vendor | Answer | Requirement |", "|---|---|---|"]
        quotes: list[str] = []
        for row in grid_json["rows"]:
            cell = row["cells"].get(t["key"])
            req = (cell or {}).get("requirement") or {}
            ans = (
                "_(not computed)_"
                if cell is None
                else (
                    ("_Not in the documents._ " if cell.get("abstained") else "")
                    + md_cell(cell.get("answer", ""))
                )
            )
            rq = f"{REQ_MARK.get(req.get('status', ''), '')} {md_cell(req.get('reason', ''))}".strip()
            lines.append(f"| {md_cell(row['vendor_name'])} | {ans} | {rq} |")
            quotes += [
                f"- {md_cell(row['vendor_name'])} {_quote_line(c)}"
                for c in (cell or {}).get("citations") or []
            ]
        if quotes:
            lines += ["", "Quotes:", "", *quotes]
        lines.append("")
    return "\n".join(lines)
