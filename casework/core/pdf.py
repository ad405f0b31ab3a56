"""PDF documents generated locally with fpdf2 (pure Python, no external service).

Every page carries the protective marking and page numbers. DejaVu Sans is
bundled so names in any script render correctly.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).parent / "fonts"
MARKING = "OFFICIAL-SENSITIVE"


_FONTS: dict[tuple[str, str, str], TTFFont] = {}
_FONTS_LOCK = threading.Lock()


def add_cached_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """``pdf.add_font`` without parsing the font file again for every document.

    Reading DejaVu Sans (its character map and widths, about 6,000 glyphs) took
    about 100 ms a font, twice for each PDF. The parsed, read-only part is kept once
    per process; each document gets its own copy of the parts that fpdf2 changes
    while writing (the subset of glyphs used, and a fresh handle on the font file,
    which the subsetter edits in place when the PDF is written). The result is the
    same bytes as ``add_font`` gives (tested).
    """
    key = (family.lower(), style, str(path))
    with _FONTS_LOCK:
        template = _FONTS.get(key)
        if template is None:
            scratch = FPDF()
            scratch.add_font(family, style, str(path))
            template = _FONTS[key] = next(iter(scratch.fonts.values()))
    font = copy.copy(template)
    font.i = len(pdf.fonts) + 1
    font.ttfont = ttLib.TTFont(
        template.ttffile, recalcTimestamp=False, fontNumber=template.collection_font_number, lazy=True
    )
    font._hbfont = None
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[family.lower() + style] = font


class _Pdf(FPDF):
    def __init__(self, title: str, marking: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.marking = marking
        add_cached_font(self, "DejaVu", "", FONT_DIR / "DejaVuSans.ttf")
        add_cached_font(self, "DejaVu", "B", FONT_DIR / "DejaVuSans-Bold.ttf")
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


TABLE_FONT_SIZE = 8.5
TABLE_LINE_HEIGHT = 3.9
CELL_PADDING = 1.2


class _WordWidths:
    """Greedy word wrap for one font, with each word's width measured once."""

    def __init__(self, pdf: FPDF):
        self.pdf = pdf
        self.style = ""
        self.cache: dict[tuple[str, str], float] = {}

    def width(self, text: str) -> float:
        key = (self.style, text)
        if key not in self.cache:
            self.cache[key] = self.pdf.get_string_width(text)
        return self.cache[key]

    def wrap(self, text: str, width: float) -> list[str]:
        lines: list[str] = []
        space = self.width(" ")
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for word in paragraph.split(" "):
                for piece in self._fit(word, width):
                    w = self.width(piece)
                    if line and used + space + w <= width:
                        line, used = f"{line} {piece}", used + space + w
                    else:
                        if line:
                            lines.append(line)
                        line, used = piece, w
            lines.append(line)
        return lines or [""]

    def _fit(self, word: str, width: float) -> list[str]:
        """A word wider than the column, broken into pieces that fit."""
        if self.width(word) <= width:
            return [word]
        pieces, piece = [], ""
        for char in word:
            if piece and self.width(piece + char) > width:
                pieces.append(piece)
                piece = ""
            piece += char
        return [*pieces, piece]


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
        """A bordered table filling the page width; ``widths`` are relative column widths.

        Drawn directly (word-wrapped with cached word widths, one text run per line)
        rather than through fpdf2's table layout, which measures every character of
        every cell twice: an agenda of 40 cases and its actions took over a second
        that way, and now takes a few milliseconds a row. A row never splits across
        pages; the heading row is repeated at the top of each new page.
        """
        pdf = self.pdf
        headings = [str(h) for h in headings]
        relative = list(widths or [1] * len(headings))
        scale = pdf.epw / sum(relative)
        cols = [w * scale for w in relative]
        measure = _WordWidths(pdf)

        def draw(cells: Sequence[str], bold: bool) -> None:
            pdf.set_font("DejaVu", "B" if bold else "", TABLE_FONT_SIZE)
            measure.style = "B" if bold else ""
            wrapped = [measure.wrap(text, w - 2 * CELL_PADDING) for text, w in zip(cells, cols, strict=True)]
            height = max(len(lines) for lines in wrapped) * TABLE_LINE_HEIGHT + 2 * CELL_PADDING
            if pdf.get_y() + height > pdf.page_break_trigger:
                pdf.add_page()
                if not bold:
                    draw(headings, True)
                    pdf.set_font("DejaVu", "", TABLE_FONT_SIZE)
                    measure.style = ""
            x, y = pdf.l_margin, pdf.get_y()
            for lines, w in zip(wrapped, cols, strict=True):
                if bold:
                    pdf.rect(x, y, w, height, style="DF")
                else:
                    pdf.rect(x, y, w, height)
                for n, line in enumerate(lines):
                    pdf.text(x + CELL_PADDING, y + CELL_PADDING + (n + 0.78) * TABLE_LINE_HEIGHT, line)
                x += w
            pdf.set_xy(pdf.l_margin, y + height)

        pdf.set_draw_color(160)
        pdf.set_fill_color(235)
        pdf.set_line_width(0.2)
        draw(headings, True)
        for values in rows:
            draw([cell_text(v) for v in values], False)
        pdf.ln(2)

    def page_break(self) -> None:
        self.pdf.add_page()

    def output(self) -> bytes:
        return bytes(self.pdf.output())
