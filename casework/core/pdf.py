"""PDF documents generated locally with fpdf2 (pure Python, no external service).

Every page carries the protective marking and page numbers. DejaVu Sans is
bundled so names in any script render correctly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_DIR = Path(__file__).parent / "fonts"
MARKING = "OFFICIAL-SENSITIVE"


class _Pdf(FPDF):
    def __init__(self, title: str, marking: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.marking = marking
        self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.set_creator("casework")
        self.set_author("casework")

    def header(self) -> None:
        self.set_font("DejaVu", "B", 9)
        self.cell(0, 6, self.marking, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 5, f"{self.marking} · {self.doc_title} · page {self.page_no()}/{{nb}}", align="C")


CELL_MAX_CHARS = 400
CELL_MAX_LINES = 6


def cell_text(value: str | None) -> str:
    """Table cells must fit on one page: control characters go, blank lines collapse,
    and very long text is cut (the full text stays in the record)."""
    if not value:
        return "—"
    lines = [" ".join(line.split()) for line in str(value).replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line][:CELL_MAX_LINES]
    text = "\n".join(lines)
    return text if len(text) <= CELL_MAX_CHARS else text[: CELL_MAX_CHARS - 1] + "…"


class Document:
    """A small writer for reports: headings, paragraphs, key/value lists and tables."""

    def __init__(self, title: str, marking: str = MARKING):
        self.pdf = _Pdf(title, marking)
        self.pdf.alias_nb_pages()
        self.pdf.add_page()
        self.heading(title, 1)

    def heading(self, text: str, level: int = 2) -> None:
        size = {1: 16, 2: 13, 3: 11}.get(level, 11)
        self.pdf.set_font("DejaVu", "B", size)
        self.pdf.ln(2 if level > 1 else 0)
        self.pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1)

    def paragraph(self, text: str, size: int = 10) -> None:
        self.pdf.set_font("DejaVu", "", size)
        self.pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1)

    def key_values(self, pairs: Iterable[tuple[str, str]]) -> None:
        for key, value in pairs:
            self.pdf.set_font("DejaVu", "B", 10)
            self.pdf.cell(50, 5, key)
            self.pdf.set_font("DejaVu", "", 10)
            self.pdf.multi_cell(0, 5, value or "—", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1)

    def table(
        self, headings: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[int] | None = None
    ) -> None:
        self.pdf.set_font("DejaVu", "", 8.5)
        with self.pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5, first_row_as_headings=True) as t:
            head = t.row()
            for h in headings:
                head.cell(h)
            for values in rows:
                row = t.row()
                for v in values:
                    row.cell(cell_text(v))
        self.pdf.ln(2)

    def page_break(self) -> None:
        self.pdf.add_page()

    def output(self) -> bytes:
        return bytes(self.pdf.output())
