"""fpdf2 building blocks shared by every autofin document: the lender letterhead, sections,
label/value blocks, tables, and the formatting of money and dates.

- Text uses fpdf2's core fonts, which are Latin-1 only: `latin1()` folds anything else (a
  customer's name with a character outside Latin-1) to its closest Latin-1 form, never raising.
- Money is formatted from the Decimal itself ("1,234.56"); no float ever touches an amount.
- Output is deterministic: the creation date is given by the caller (derived from the period),
  the producer string is fixed, and fpdf2's file /ID is a hash of the content and that date.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

CENT = Decimal("0.01")
FONT = "Helvetica"
PRODUCER = "autofin documents"
# US Letter with 15 mm margins: 185.9 mm of usable width.
MARGIN = 15.0
INK = (29, 42, 53)
MUTED = (102, 114, 125)
RULE = (200, 206, 212)
SHADE = (238, 242, 245)


@dataclass(frozen=True)
class Lender:
    """Who the documents come from, and where payments are mailed."""

    name: str
    address: tuple[str, ...]
    phone: str
    website: str
    # The remittance (payment) mailing address, printed on the payment coupon.
    payment_address: tuple[str, ...]


LENDER = Lender(
    name="autofin Auto Finance",
    address=("1200 Congress Avenue, Suite 400", "Austin, TX 78701"),
    phone="1-800-555-0142",
    website="autofin.localhost",
    payment_address=("autofin Auto Finance", "Payment Processing", "PO Box 4150", "Austin, TX 78767-4150"),
)


# Characters that Unicode does not decompose to a Latin-1 letter.
_FOLDS = {"\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0152": "OE", "\u0153": "oe",
          "\u0131": "i", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
          "\u201d": '"', "\u2026": "...", "\u20ac": "EUR"}


def latin1(text: str) -> str:
    """`text` in the core fonts' Latin-1: characters outside it are decomposed to their base
    letter (a few others by a table; anything left becomes '?'), so rendering never fails on a name."""
    out = []
    for char in str(text):
        try:
            char.encode("latin-1")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        folded = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            folded.encode("latin-1")
            out.append(folded or "?")
        except UnicodeEncodeError:
            out.append(_FOLDS.get(char, "?"))
    return "".join(out)


def money(value: Decimal) -> str:
    """A Decimal as "1,234.56" ("-12.00" when negative), rounded half up to the cent."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be a Decimal, not {type(value).__name__}")
    amount = value.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    units, _, cents = f"{abs(amount):f}".partition(".")
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{sign}{','.join(groups)}.{cents or '00'}"


def dollars(value: Decimal) -> str:
    """Money with a dollar sign, for totals: "$1,234.56"."""
    text = money(value)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def percent(value: Decimal) -> str:
    """A rate in percent with at least two places and no trailing zeros beyond: "6.90%", "5.125%"."""
    text = f"{value.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):f}"
    units, _, places = text.partition(".")
    places = places.rstrip("0").ljust(2, "0")
    return f"{units}.{places}%"


def us_date(value: date | None) -> str:
    """MM/DD/YYYY, as US statements print dates ("-" when there is none)."""
    return value.strftime("%m/%d/%Y") if value is not None else "-"


def long_date(value: date) -> str:
    """e.g. "November 30, 2026"."""
    return f"{value.strftime('%B')} {value.day}, {value.year}"


def document_instant(day: date) -> datetime:
    """The creation date stored in a document's metadata: midnight UTC of `day` (never "now")."""
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


class DocumentPDF(FPDF):
    """A Letter-size page with the lender's letterhead, the document title and page numbers."""

    def __init__(self, *, title: str, subtitle: str, created: date, lender: Lender = LENDER) -> None:
        super().__init__(orientation="portrait", unit="mm", format="Letter")
        self.lender = lender
        self.doc_title = latin1(title)
        self.doc_subtitle = latin1(subtitle)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_creation_date(document_instant(created))
        self.set_producer(PRODUCER)
        self.set_creator(PRODUCER)
        self.set_author(latin1(lender.name))
        self.set_title(self.doc_title)
        self.set_subject(self.doc_subtitle)
        self.alias_nb_pages()
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.add_page()

    # -- page furniture ------------------------------------------------------------------------

    def header(self) -> None:
        top = self.get_y()
        self.set_font(FONT, "B", 15)
        self.cell(110, 7, latin1(self.lender.name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        for line in (*self.lender.address, f"{self.lender.phone}  |  {self.lender.website}"):
            self.cell(110, 3.8, latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottom = self.get_y()
        self.set_xy(self.l_margin + 110, top)
        self.set_text_color(*INK)
        self.set_font(FONT, "B", 12)
        self.cell(self.epw - 110, 7, self.doc_title, align=Align.R, new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_font(FONT, "", 9)
        self.cell(self.epw - 110, 4.5, self.doc_subtitle, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(bottom, self.get_y()) + 2)
        self.line(self.l_margin, self.get_y(), self.l_margin + self.epw, self.get_y())
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(self.epw / 2, 4, latin1(f"Questions? Call {self.lender.phone}."), align=Align.L)
        self.cell(self.epw / 2, 4, f"Page {self.page_no()} of {{nb}}", align=Align.R)
        self.set_text_color(*INK)

    # -- content blocks ------------------------------------------------------------------------

    def section(self, title: str) -> None:
        """A section heading on a shaded band; starts a new page if fewer than ~30 mm remain."""
        if self.get_y() > self.h - self.b_margin - 30:
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", 10)
        self.set_fill_color(*SHADE)
        self.cell(self.epw, 6.5, "  " + latin1(title), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def text_block(self, lines: Sequence[str], *, size: float = 9, bold_first: bool = False,
                   width: float | None = None, x: float | None = None) -> None:
        for index, line in enumerate(lines):
            self.set_x(self.l_margin if x is None else x)
            self.set_font(FONT, "B" if bold_first and index == 0 else "", size)
            self.cell(width or self.epw, size * 0.48, latin1(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str, *, size: float = 8) -> None:
        self.set_font(FONT, "", size)
        self.set_text_color(*MUTED)
        self.multi_cell(self.epw, size * 0.45, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)

    def key_values(self, rows: Sequence[tuple[str, str]], *, width: float | None = None,
                   bold_last: bool = False, x: float | None = None) -> None:
        """Label on the left, value right-aligned: a summary box."""
        width = width or self.epw
        left = self.l_margin if x is None else x
        for index, (label, value) in enumerate(rows):
            bold = bold_last and index == len(rows) - 1
            self.set_x(left)
            self.set_font(FONT, "B" if bold else "", 9)
            self.cell(width * 0.62, 5.2, latin1(label))
            self.cell(width * 0.38, 5.2, latin1(value), align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            if bold:
                self.line(left, self.get_y() - 5.2, left + width, self.get_y() - 5.2)

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[str]], *, widths: Sequence[float],
             aligns: Sequence[str], empty: str = "No transactions in this period.") -> None:
        """A table with a bold heading row (repeated on each page) and light horizontal rules."""
        self.set_font(FONT, "", 8)
        if not rows:
            self.set_text_color(*MUTED)
            self.cell(self.epw, 6, latin1(empty), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(*INK)
            return
        with self.table(
            col_widths=tuple(widths), text_align=tuple(aligns), line_height=4.6,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES, width=self.epw,
            headings_style=FontFace(emphasis="BOLD", fill_color=SHADE), padding=(0.8, 1.2),
        ) as table:
            header = table.row()
            for heading in headings:
                header.cell(latin1(heading))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(latin1(value))

    def cut_line(self, label: str) -> None:
        """A dashed "detach here" rule before the payment coupon."""
        if self.get_y() > self.h - self.b_margin - 55:
            self.add_page()
        self.ln(4)
        self.set_dash_pattern(dash=1.5, gap=1.2)
        y = self.get_y()
        self.line(self.l_margin, y, self.l_margin + self.epw, y)
        self.set_dash_pattern()
        self.set_font(FONT, "", 7)
        self.set_text_color(*MUTED)
        self.cell(self.epw, 4, latin1(label), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self.ln(1)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
