"""A PDF's lines in, the book's paragraphs out (pdf.py reads the lines): what a reader's eye does with a page.

Measured on the whole document first: the body type (the font size most characters are set in) and
its line spacing (the most common distance between two baselines of body lines); other sizes are
spaced in proportion.

- Page furniture is not read. On each page the top and the bottom lines (those within 2 pt of the
  highest or lowest baseline) are candidates when they stand apart from the rest (more than 1.4 line
  spacings away). A candidate is furniture when it stands at a height (±1 pt) of its edge where at
  least two candidates, and at least half of those there, are a page number alone (`12`, `xii`,
  `- 12 -`, `Page 12`, `12 of 300`) or a text that recurs at that edge on another page, digits and
  Roman numerals aside: so a running header with the chapter's title goes even on the one page of a
  short chapter, while a one-line paragraph at the top of a page stays. Furniture is never larger
  than the body type. Twice, for a header and a page number set on two lines. A PDF of one or two
  pages loses its page numbers alone.
- Footnotes: the lines below all body-size lines, set smaller, that start with a raised note marker
  are footnotes; each is read as a paragraph after the paragraph that is open at its page's end.
  Markers inside lines are already out (pdf.py).
- Columns: a page whose lines leave a vertical gap free between 30 % and 70 % of its width (crossed
  by at most a fifth of them, with at least a fifth on each side) is read left column, then right;
  a line across the gap (a title over both columns) is read in its place, between the rows above
  and below it.
- Paragraphs: two lines of one column are one paragraph unless the second is further below than
  1.3 line spacings (space between paragraphs), set in another size (a heading), indented more than
  0.6 of its size past the one before (a first-line indent), or the first ended short: its column's
  right edge had room for the second's first word (a paragraph's last line, a heading, a verse
  line). Across a column or a page only indentation, size and a short line count.
- A word hyphenated at a line's end is joined. The hyphen stays when the word written whole never
  appears in the book while the hyphenated form does (`well-known`), when the second half is
  capitalised (`Anglo-Saxon`), when the word already holds a hyphen (`half-an-hour`), or when a half
  is one letter (`half-a`: no typesetter breaks a word so); else it goes (`exam-ple`). Halves that
  are both words are no sign of a compound: `foot-steps`, `with-draw` and `house-hold` are how LaTeX
  breaks those words (measured: the rule cost seven words in a short two-column book).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from statistics import median

ISOLATED = 1.4
"""Furniture stands further than this many line spacings from the text."""
NEW_PARAGRAPH = 1.3
"""Lines further apart than this many line spacings are two paragraphs."""
INDENT = 0.6
"""A first-line indent is at least this many font sizes."""
PAGE_NUMBER = re.compile(r"[\s\-\u2013\u2014|.]*(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:of|/)\s*\d{1,4})?"
                         r"[\s\-\u2013\u2014|.]*", re.I)
NUMBERS = re.compile(r"\d+|\b[ivxlcdm]+\b")
NOT_WORD = re.compile(r"[^\w#]+")
WORDS = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
HYPHENATED = re.compile(r"(?<![^\W\d_])([^\W\d_]+)-$")
"""A word hyphenated at the end: matched from a word's start only, so that a search is linear in a long line."""
CONTINUED = re.compile(r"^([^\W\d_]+)")


@dataclass
class Line:
    """A line of text on a page, in PDF points (y grows upwards)."""

    text: str
    x0: float
    x1: float
    base: float
    """The baseline's height."""
    size: float
    first_word: float = 0.0
    """The width of its first word: would it have fitted at the end of the line before?"""
    marker: bool = False
    """It starts with a raised note marker (a footnote's body)."""


@dataclass
class Paragraph:
    text: str
    page: int
    """The page (from 0) its first line is on."""
    base: float
    """Its first line's baseline."""
    size: float


def lay_out(pages: list[list[Line]], widths: list[float]) -> tuple[list[Paragraph], list[str]]:
    """Given each page's lines (in content order) and width, return the book's paragraphs and what was left out."""
    body = Counter(round(line.size, 1) for lines in pages for line in lines for _ in line.text).most_common(1)[0][0]
    spacing = line_spacing(pages, body) / body  # per point of type
    furniture, numbers = drop_furniture(pages, spacing * body, body)
    notes = [take_notes(lines, body) for lines in pages]
    blocks = [columns(lines, gutter) for lines, gutter in zip(pages, gutters(pages, widths))]
    margins = Margins(blocks)
    paragraphs = join_lines(blocks, notes, spacing, margins, vocabulary(blocks))
    warnings = []
    if furniture or numbers:
        warnings.append(f"not read: {furniture} running headers and footers, {numbers} page numbers")
    if any(notes):
        warnings.append(f"{sum(map(len, notes))} footnotes read after the paragraph that ends their page")
    return paragraphs, warnings


def line_spacing(pages: list[list[Line]], body: float) -> float:
    """The most common distance between consecutive body lines' baselines."""
    gaps = Counter(round(2 * (a.base - b.base)) / 2 for lines in pages for a, b in zip(lines, lines[1:])
                   if abs(a.size - body) < 0.05 * body and abs(b.size - body) < 0.05 * body
                   and 0.8 * body < a.base - b.base < 3 * body)
    return gaps.most_common(1)[0][0] if gaps else 1.2 * body


# ----------------------------------------------------------------------------- headers, footers, notes


def edge_lines(lines: list[Line], spacing: float) -> list[tuple[str, Line]]:
    """("top" or "bottom", line) for the lines at a page's top and bottom that stand apart from its text."""
    if not lines:
        return []
    found: list[tuple[str, Line]] = []
    high, low = max(line.base for line in lines), min(line.base for line in lines)
    for edge, band in (("top", [li for li in lines if li.base >= high - 2]),
                       ("bottom", [li for li in lines if li.base <= low + 2])):
        rest = [li.base for li in lines if all(li is not other for other in band)]
        nearest = min((abs(band[0].base - base) for base in rest), default=None)
        if nearest is None or nearest > ISOLATED * spacing:
            found += [(edge, line) for line in band if all(line is not other for _, other in found)]
    return found


def furniture_key(text: str) -> str:
    return NOT_WORD.sub(" ", NUMBERS.sub("#", text.lower())).strip()


def drop_furniture(pages: list[list[Line]], spacing: float, body: float) -> tuple[int, int]:
    """Remove running headers, footers and page numbers from the pages; return how many of each went."""
    furniture = numbers = 0
    for _ in range(2):
        edges = [edge_lines(lines, spacing) for lines in pages]
        seen = Counter(key for found in edges for key in {(edge, furniture_key(line.text)) for edge, line in found})
        candidates, strong = Counter(), Counter()  # (edge, height): how many candidates, how many look like furniture
        for found in edges:
            for edge, line in found:
                candidates[(edge, round(line.base))] += 1
                if line.size <= 1.1 * body and (PAGE_NUMBER.fullmatch(line.text)
                                                or seen[(edge, furniture_key(line.text))] >= 2):
                    strong[(edge, round(line.base))] += 1
        for lines, found in zip(pages, edges):
            for edge, line in found:
                near = [(edge, round(line.base) + d) for d in (-1, 0, 1)]
                mostly = 2 <= sum(strong[h] for h in near) >= sum(candidates[h] for h in near) / 2
                number = PAGE_NUMBER.fullmatch(line.text) and line.size <= 1.1 * body
                if line.size > 1.1 * body or not (mostly or (number and len(pages) < 3)):
                    continue
                numbers += bool(number)
                furniture += not number
                lines.remove(line)
    return furniture, numbers


def take_notes(lines: list[Line], body: float) -> list[str]:
    """Remove a page's footnotes (smaller lines below its body text, starting with a marker); return their texts."""
    floor = min((line.base for line in lines if line.size >= 0.92 * body), default=None)
    below = [line for line in lines if floor is not None and line.base < floor and line.size < 0.92 * body]
    if not below or not below[0].marker:
        return []
    notes: list[list[Line]] = []
    for line in below:
        if line.marker or not notes:
            notes.append([])
        notes[-1].append(line)
        lines.remove(line)
    return [join_text(note) for note in notes]


def join_text(lines: list[Line], vocabulary: Counter | None = None) -> str:
    """Lines' texts as one paragraph, words hyphenated at a line's end joined."""
    pieces: list[str] = []  # each line's text, the seam to the next one settled: joined once, at the end
    for line in lines:
        if pieces:
            seamed = joined(pieces[-1], line.text, vocabulary or Counter())  # ends with line.text
            pieces[-1] = seamed[:len(seamed) - len(line.text)]
        pieces.append(line.text)
    return " ".join("".join(pieces).split())


# ----------------------------------------------------------------------------- columns


def gutter_of(lines: list[Line], width: float) -> float | None:
    """The middle of the widest vertical strip between 30 % and 70 % of the page's width that the fewest lines
    cross, when at most a fifth of the lines cross it and at least three (and a fifth) stand on each side."""
    if len(lines) < 6:
        return None
    best, run, start, gutter = len(lines) + 1, 0, 0.0, 0.0
    widest = 0
    x = 0.3 * width
    while x <= 0.7 * width:
        crossing = crossings(lines, x)
        if crossing < best:
            best, widest, run = crossing, 0, 0
        if crossing == best:
            start, run = (x, 1) if run == 0 else (start, run + 1)
            if run > widest:
                widest, gutter = run, start + (run - 1)  # steps of 2 pt: the run's middle
        else:
            run = 0
        x += 2
    left = sum(1 for line in lines if line.x1 <= gutter)
    right = sum(1 for line in lines if line.x0 >= gutter)
    share = len(lines) / 5
    return gutter if best <= share and min(left, right) >= max(3, share) else None


def crossings(lines: list[Line], x: float) -> int:
    return sum(1 for line in lines if line.x0 < x < line.x1)


def columns(lines: list[Line], gutter: float | None) -> list[tuple[str, list[Line]]]:
    """The page's lines in reading order, in blocks: ("page", lines), or for two columns ("left", lines),
    ("right", lines) and ("across", [line]) for a line over both, band by band."""
    if gutter is None or crossings(lines, gutter) > len(lines) / 5:
        return [("page", lines)] if lines else []
    blocks: list[tuple[str, list[Line]]] = []
    band: list[Line] = []
    for line in sorted(lines, key=lambda li: -li.base) + [None]:
        if line is None or not (line.x1 <= gutter or line.x0 >= gutter):
            blocks += [(kind, [li for li in band if (li.x1 <= gutter) == (kind == "left")])
                       for kind in ("left", "right") if any((li.x1 <= gutter) == (kind == "left") for li in band)]
            band = []
            if line is not None:
                blocks.append(("across", [line]))
        else:
            band.append(line)
    return blocks


def gutters(pages: list[list[Line]], widths: list[float]) -> list[float | None]:
    """Each page's column gutter: its own, else, in a book with two columns, the usual one of its side (the last
    page of a chapter, whose right column holds a line or two)."""
    found = [gutter_of(lines, width) for lines, width in zip(pages, widths)]
    usual = {parity: median(g for number, g in enumerate(found) if g is not None and number % 2 == parity)
             for parity in (0, 1) if any(g is not None for g in found[parity::2])}
    for number, gutter in enumerate(found):
        if gutter is None and usual:
            found[number] = usual.get(number % 2, next(iter(usual.values())))
    return found


class Margins:
    """Each block kind's left and right edges, by page parity (a two-sided book's margins alternate): measured
    on blocks of six lines or more, for the short ones (a chapter's last page)."""

    def __init__(self, pages: list[list[tuple[str, list[Line]]]]):
        found: dict[tuple[str, int], tuple[list[float], list[float]]] = {}
        for number, blocks in enumerate(pages):
            for kind, lines in blocks:
                if len(lines) >= 6:
                    lefts, rights = found.setdefault((kind, number % 2), ([], []))
                    lefts.append(self.left_of(lines))
                    rights.append(max(line.x1 for line in lines))
        self.edges = {key: (median(lefts), median(rights)) for key, (lefts, rights) in found.items()}

    @staticmethod
    def left_of(lines: list[Line]) -> float:
        return Counter(round(line.x0) for line in lines).most_common(1)[0][0]

    def of(self, kind: str, page: int, lines: list[Line]) -> tuple[float, float]:
        if len(lines) >= 6:
            return self.left_of(lines), max(line.x1 for line in lines)
        known = self.edges.get((kind, page % 2)) or self.edges.get((kind, 1 - page % 2))
        return known or (min(line.x0 for line in lines), max(line.x1 for line in lines))


# ----------------------------------------------------------------------------- paragraphs


def vocabulary(pages: list[list[tuple[str, list[Line]]]]) -> Counter:
    """How often each word is written in the book, leaving out the halves of words hyphenated at a line's end."""
    words: Counter = Counter()
    broken = False
    for blocks in pages:
        for _, lines in blocks:
            for line in lines:
                found = WORDS.findall(line.text.lower())
                if broken and found:
                    found = found[1:]
                broken = bool(HYPHENATED.search(line.text))
                if broken and found:
                    found = found[:-1]
                words.update(found)
                words.update(part for word in found if "-" in word for part in word.split("-"))
    return words


def joined(text: str, following: str, words: Counter) -> str:
    """text and the next line's text as one, a word hyphenated at the line's end joined with or without its hyphen."""
    end, start = HYPHENATED.search(text), CONTINUED.match(following)
    if not (end and start):
        return f"{text} {following}"
    left, right = end.group(1), start.group(1)
    whole = (left + right).lower()
    compound = text[end.start(1) - 1:end.start(1)] == "-" or min(len(left), len(right)) < 2  # half-an-|hour, half-|a
    keep = right[0].isupper() or compound or (not words[whole] and words[f"{left}-{right}".lower()] > 0)
    return text + following if keep else text[:-1] + following


def breaks(a: Line, b: Line, same_block: bool, spacing: float, edges_a: tuple[float, float],
           edges_b: tuple[float, float]) -> bool:
    """Whether line b starts a new paragraph after line a."""
    size = max(a.size, b.size)
    if abs(a.size - b.size) > 0.1 * size:
        return True
    if same_block:
        if abs(a.base - b.base) < 0.3 * size:
            return False  # one line cut in two at a wide gap
        if not 0 < a.base - b.base <= NEW_PARAGRAPH * spacing * size:
            return True
    if (b.x0 - edges_b[0]) - (a.x0 - edges_a[0]) > INDENT * b.size:
        return True
    return a.x1 + 0.3 * a.size + b.first_word < edges_a[1] - 1


def join_lines(pages: list[list[tuple[str, list[Line]]]], notes: list[list[str]], spacing: float,
               margins: Margins, words: Counter) -> list[Paragraph]:
    """The paragraphs of the ordered pages; each page's notes after the paragraph open at its end."""
    paragraphs: list[Paragraph] = []
    waiting: list[str] = []
    current: list[Line] = []
    start = (0, 0.0)
    previous: tuple[Line, tuple[float, float], int] | None = None  # the last line, its edges, its block

    def close() -> None:
        if current:
            paragraphs.append(Paragraph(join_text(current, words), start[0], start[1], current[0].size))
        paragraphs.extend(Paragraph(note, start[0], start[1], current[0].size if current else 0) for note in waiting)
        current.clear()
        waiting.clear()

    block_id = 0
    for number, blocks in enumerate(pages):
        for kind, lines in blocks:
            block_id += 1
            edges = margins.of(kind, number, lines)
            for line in lines:
                if previous and breaks(previous[0], line, previous[2] == block_id, spacing, previous[1], edges):
                    close()
                if not current:
                    start = (number, line.base)
                current.append(line)
                previous = (line, edges, block_id)
        waiting += notes[number]
    close()
    return paragraphs
