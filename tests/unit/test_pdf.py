"""PDF writer: cached fonts give the same document, tables wrap, break pages and keep every value."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader

from casework.core import pdf as pdf_module
from casework.core.pdf import Document

NAMES = "Zoë Łukasz Ðorđević Ωμέγα Кирилл Straße"


def _document(title: str) -> Document:
    doc = Document(title)
    doc.pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    doc.paragraph(f"Victim: {NAMES}")
    doc.table(["Name", "Notes"], [[NAMES, "x" * 300], ["Second", "line one\nline two"]], widths=[1, 2])
    return doc


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_cached_fonts_write_the_same_bytes_as_add_font(monkeypatch):
    cached = _document("Agenda").output()
    again = _document("Agenda").output()
    monkeypatch.setattr(
        pdf_module, "add_cached_font", lambda pdf, family, style, path: pdf.add_font(family, style, str(path))
    )
    parsed_each_time = _document("Agenda").output()
    assert cached == parsed_each_time == again


def test_documents_do_not_share_their_glyph_subsets():
    """A character used in one document is not embedded in (or missing from) the next."""
    first = Document("One")
    first.paragraph("Ωμέγα")
    first_text = _text(first.output())
    second = Document("Two")
    second.paragraph("Кирилл")
    second_text = _text(second.output())
    assert "Ωμέγα" in first_text and "Кирилл" not in first_text
    assert "Кирилл" in second_text and "Ωμέγα" not in second_text


def test_table_wraps_long_values_and_repeats_headings_on_each_page():
    doc = Document("Long table")
    rows = [[f"Row {n:03d}", f"Action text for row {n:03d} " * 6] for n in range(120)]
    doc.table(["Reference", "Action"], rows, widths=[1, 3])
    data = doc.output()
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) > 2
    text = _text(data)
    for n in range(120):
        assert f"Row {n:03d}" in text
    assert all("Reference" in page.extract_text() for page in pages)
    # A word wider than its column is broken, not lost or drawn across the border.
    wide = Document("Wide")
    wide.table(["A", "B"], [["W" * 120, "end"]], widths=[1, 5])
    assert "W" * 20 in _text(wide.output()).replace("\n", "")
