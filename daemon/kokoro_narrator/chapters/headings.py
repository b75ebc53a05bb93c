"""The chapter headings of any book: signals that generalise beyond a fixed vocabulary.

chunker.py knows the usual markers (`CHAPTER IV.`, `PART II`, a Roman numeral alone...).
Books label their chapters their own way, so `find_headings(paragraphs)` adds four signals.
Each works on paragraphs of their own (at most `MAX_HEADING_CHARS` and two lines), never
inside prose:

1. **A numbered sequence under a common label**, whatever the label word is: `STAVE ONE`,
   `FIT THE FIRST`, `ADVENTURE IV. THE FIVE ORANGE PIPS`, `LETTER 12`, `THE THIRD CHAPTER`,
   `BOOK THE FIRST`, or a number alone (`1`, `2.`, `THREE`). Candidates are `<label> <number>` or `[the] <ordinal> <label>` with
   digits, Roman numerals or English number words (cardinal or ordinal). A label counts
   when at least `MIN_SEQUENCE` of its candidates go up by one, in order (a restart at 1,
   as under each new BOOK, is allowed); the title after the number must not start in lower
   case ("Chapter 12 was the best" is prose).
2. **The book's own contents list.** A paragraph `Contents` (or `Table of Contents`,
   `CONTENTS.`) followed by short entry lines (page numbers and dot leaders ignored), up to
   the first prose, a list of illustrations, or the first entry's second appearance (where
   the book begins). Each
   entry is looked for, in order, among the later paragraphs of their own: equal when
   compared case-blind without punctuation, or one ending with the other but for a label
   and a number (`I. A Scandal in Bohemia` finds `ADVENTURE I. A SCANDAL IN BOHEMIA`), or
   the paragraph the start of the entry (`THE CUSTOM HOUSE.--INTRODUCTORY` finds
   `THE CUSTOM-HOUSE.`, whose subtitle is a paragraph of its own), or nearly equal (a misprint such as
   `Couterparts`). The contents count when at least half of the entries (and at least
   `MIN_SEQUENCE`) are found; their entries are then reported (`chunk` lists them).
3. **Isolation**, the last resort for a book with no other kind of heading: a line in
   capitals, alone between blank lines, not quoted, not ending like a sentence or an
   exclamation, with prose after it (`THE SISTERS`): headings only when the book has at
   least `MIN_SEQUENCE` of them and they are far apart (`MIN_GAP` characters on median),
   which shouting in dialogue and signed letters are not.
4. **Titles set apart**, for a book with nothing of the above but at most two markers (a
   `Preface`): a line in title case, or a quoted title (`"Tiger! Tiger!"`), with more blank
   lines before it than the book puts between its paragraphs and fewer after (books/reader.py lists
   them): headings when at least `MIN_SEQUENCE` have `SPACED_BODY` characters of text (prose
   or verse: a song between two stories is a section too) before the next, lie `MIN_GAP`
   characters apart on median, and spread over half the book. A single such line is text.
"""

from __future__ import annotations

import difflib
from collections import Counter
import re
from dataclasses import dataclass, field
from statistics import median

from .lines import is_heading, looks_like_title, MAX_HEADING_CHARS
from .numbers import CARDINALS, LOOSE_NUMBER, number_value

MIN_SEQUENCE = 3
"""This many members make a sequence, a contents list or a set of isolated headings."""
MIN_GAP = 1500
"""Isolated capital lines are headings only when this many characters lie between them (median)."""
SPACED_BODY = 200
"""A title set apart is a heading only with this many characters of text before the next one."""
MAX_ENTRY_CHARS = 120
COLUMN_HEADS = frozenset({"page", "pages", "chapter", "chap", "contents", "part"})
"""Words set over a contents list's columns, not entries."""
FUZZY = 0.9
"""Entries this similar (difflib's ratio) match: misprints between the contents and the text."""

LABELLED = re.compile(rf"^([A-Za-z][A-Za-z'\u2019]{{1,20}})\s+({LOOSE_NUMBER})(?=$|[.:;,)\]\u2013\u2014-]|\s)(.*)$", re.I | re.S)
BARE_NUMBER = re.compile(rf"^({LOOSE_NUMBER})[.:]?$", re.I)
ORDINAL_FIRST = re.compile(r"^(?:the\s+)?([a-z]+(?:[-\s][a-z]+)?)\s+([a-z]{2,20})\W*$", re.I)
CONTENTS = re.compile(r"^(?:table\s+of\s+)?contents\W*$", re.I)
OTHER_LIST = re.compile(r"^(?:list\s+of\s+)?(?:illustrations|plates|figures|maps|tables)\W*$", re.I)
"""A list that may follow the contents (of illustrations...): the contents end there."""
PAGE_NUMBER = re.compile(r"(?:[\s.\u2026_-]*\s)(?:\d{1,4}|[ivxlc]{1,6})\s*$", re.I)
NOT_LABELS = frozenset("a an and at but by for from he her his i if in is it its my no of on or our she so than that "
                       "the their them then there they this to was we were what when which who with you your".split())


@dataclass
class Found:
    """What `find_headings` found: the heading paragraphs' indexes, and the contents list if any."""

    marks: set[int] = field(default_factory=set)
    contents: list[str] = field(default_factory=list)
    contents_span: range = range(0)
    """The paragraphs of the contents list itself: never chapter headings."""


def key(text: str, page: bool = False) -> str:
    """Text compared case-blind, without punctuation (and without a trailing page number when page)."""
    text = PAGE_NUMBER.sub("", text.strip()) if page and len(text.split()) > 1 else text
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def own_paragraph(paragraph: str) -> bool:
    """Whether a paragraph is short enough to be a heading: one or two lines, at most 100 characters."""
    return len(paragraph) <= MAX_HEADING_CHARS and paragraph.count("\n") <= 1 and bool(paragraph.strip())


def labelled(paragraph: str) -> tuple[str, int] | None:
    """(label, number) of a `<label> <number>` or `[the] <ordinal> <label>` paragraph; None for anything else."""
    first = paragraph.split("\n")[0].strip()
    bare = BARE_NUMBER.match(first)
    if bare and (value := number_value(bare.group(1))) is not None:
        return "", value  # a number alone: "1", "12.", "TWO"
    match = LABELLED.match(first)
    if match and match.group(1).lower() not in NOT_LABELS:
        rest = match.group(3).lstrip(" .:;,)]\u2013\u2014-")
        value = number_value(match.group(2))
        if value is not None and (not rest or rest.isupper() or looks_like_title(rest)):
            return match.group(1).lower(), value  # a title after the number, never a sentence
    match = ORDINAL_FIRST.match(first)
    if match and match.group(2).lower() not in NOT_LABELS:
        value = number_value(match.group(1))
        if value is not None and match.group(1).lower().rstrip("s") not in CARDINALS[:2]:
            return match.group(2).lower(), value
    return None


def sequences(paragraphs: list[str]) -> set[int]:
    """The paragraphs that number a sequence under a common label (see the module docstring)."""
    groups: dict[str, list[tuple[int, int]]] = {}
    for index, paragraph in enumerate(paragraphs):
        if own_paragraph(paragraph) and (found := labelled(paragraph)):
            groups.setdefault(found[0], []).append((index, found[1]))
    marks: set[int] = set()
    for members in groups.values():
        steps = sum(1 for (_, a), (_, b) in zip(members, members[1:]) if b == a + 1)
        if steps + 1 >= MIN_SEQUENCE and steps * 2 >= len(members) - 1:
            marks.update(index for index, _ in members)
    return marks


def contents_list(paragraphs: list[str]) -> tuple[int, int, list[str]]:
    """(index of the `Contents` paragraph, index after its entries, the entries); (-1, -1, []) without one."""
    for index, paragraph in enumerate(paragraphs[: max(50, len(paragraphs) // 5)]):
        if not CONTENTS.match(paragraph.strip()):
            continue
        entries: list[str] = []
        end = index + 1
        while end < len(paragraphs):
            lines = [line.strip() for line in paragraphs[end].split("\n") if line.strip()]
            if not lines or any(len(line) > MAX_ENTRY_CHARS or line.endswith((",", ";")) for line in lines):
                break  # prose: the contents have ended
            if entries and matches(entries[0], lines[0]) or OTHER_LIST.match(lines[0]):
                break  # the first entry again: the book itself begins; or a list of illustrations
            entries += [line for line in lines if re.search(r"[^\W\d_]", line) and key(line) not in COLUMN_HEADS]
            end += 1
        if len(entries) >= MIN_SEQUENCE:
            return index, end, entries
    return -1, -1, []


def matches(entry: str, paragraph: str) -> bool:
    """Whether a paragraph of its own is the contents entry (see the module docstring)."""
    a, b = key(entry, page=True), key(paragraph.split("\n")[0])
    full = key(paragraph)
    if not a or not b:
        return False
    if a in (b, full):
        return True
    short, long = sorted((a, full), key=len)
    if len(short) >= 8 and len(short.split()) >= 2:
        extra = long.split()[: len(long.split()) - len(short.split())]
        numbered = any(number_value(word) is not None for word in extra + short.split()[:1])
        if long.endswith(" " + short) and len(extra) <= 2 and numbered:
            return True  # "I. A Scandal in Bohemia" and "ADVENTURE I. A SCANDAL IN BOHEMIA": a label more or less
        if long.startswith(short + " ") and short == full:
            return True  # "THE CUSTOM HOUSE.--INTRODUCTORY" and "THE CUSTOM-HOUSE.": the heading, its subtitle apart
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > max(len(a), len(b)) * (1 - FUZZY):
        return False  # too short to forgive a misprint, or too different in length to be one
    return difflib.SequenceMatcher(None, a, b).ratio() >= FUZZY


def contents_marks(paragraphs: list[str]) -> tuple[set[int], list[str]]:
    """The paragraphs that the book's contents list names, found in order after it; and the entries."""
    _, end, entries = contents_list(paragraphs)
    if not entries:
        return set(), []
    marks: set[int] = set()
    position = 0  # the next entry to look for
    for index in range(end, len(paragraphs)):
        paragraph = paragraphs[index]
        if not own_paragraph(paragraph):
            continue
        for ahead in range(position, min(position + 3, len(entries))):  # an entry may be missing from the text
            if matches(entries[ahead], paragraph):
                if index - 1 not in marks:  # else a subtitle under its heading ("CHAPTER I." then its title)
                    marks.add(index)
                position = ahead + 1
                break
        if position >= len(entries):
            break
    if len(marks) < MIN_SEQUENCE or position * 2 < len(entries):
        return set(), []
    return marks, entries[:position]  # an entry after the last one found is the line under the list


def isolated_capitals(paragraphs: list[str]) -> set[int]:
    """Lines in capitals between blank lines with prose after them, when the book sets its headings so."""
    candidates = []
    for index, paragraph in enumerate(paragraphs[:-1]):
        letters = [ch for ch in paragraph if ch.isalpha()]
        if ("\n" in paragraph or len(paragraph) > 60 or len(letters) < 3 or not all(ch.isupper() for ch in letters)
                or paragraph.rstrip().endswith(("!", "?", ",", ";", ":", "--")) or paragraph[:1] in "\"'(["):
            continue
        following = paragraphs[index + 1]
        if len(following) > 100 or following.count(". ") >= 1:
            candidates.append(index)
    if len(candidates) < MIN_SEQUENCE:
        return set()
    gaps = [sum(map(len, paragraphs[a:b])) for a, b in zip(candidates, candidates[1:])]
    return set(candidates) if median(gaps) >= MIN_GAP else set()


SPOKEN_LINE = re.compile(r"""^["'“‘]?\w+[.!?]["'”’]?$|^(Enter|Exit|Exeunt|Re-enter)\b""")
"""What a scene break sets apart without being a title: one word that is a sentence ("No.", "Mother!"),
and a play's stage directions ("Enter Hamlet and Horatio.")."""


def spaced_titles(paragraphs: list[str], spaced: list[int]) -> set[int]:
    """Title-case lines set apart by more blank lines than the book's paragraphs (books/reader.py), when the
    book sets its headings so: at least MIN_SEQUENCE with SPACED_BODY characters of text each, far
    apart (MIN_GAP on median) and spread over at least half the book."""
    candidates = [i for i in spaced if looks_like_title(paragraphs[i]) and not CONTENTS.match(paragraphs[i])
                  and not SPOKEN_LINE.match(paragraphs[i])]
    repeated = {text for text, count in Counter(paragraphs[i] for i in candidates).items() if count > 1}
    candidates = [i for i in candidates if paragraphs[i] not in repeated]  # a stage direction, a refrain: no titles
    offsets = [0]
    for paragraph in paragraphs:
        offsets.append(offsets[-1] + len(paragraph))
    bounds = candidates + [len(paragraphs)]
    kept = [a for a, b in zip(bounds, bounds[1:]) if offsets[b] - offsets[a + 1] >= SPACED_BODY]  # a title, then its text
    if len(kept) < MIN_SEQUENCE:
        return set()
    gaps = [offsets[b] - offsets[a] for a, b in zip(kept, kept[1:])]
    spread = offsets[kept[-1]] - offsets[kept[0]] >= offsets[-1] / 2
    return set(kept) if median(gaps) >= MIN_GAP and spread else set()


def find_headings(paragraphs: list[str], spaced: list[int] | None = None) -> Found:
    """Given a book's paragraphs (and the indexes of those set apart, books/reader.py), return the headings the
    signals find, and its contents list."""
    marks, contents = contents_marks(paragraphs)
    marks |= sequences(paragraphs)
    markers = 0 if marks else sum(map(is_heading, paragraphs))
    if not marks and not markers:
        marks = isolated_capitals(paragraphs)  # the last resort: a book with no other kind of heading
    if not marks and spaced and markers < MIN_SEQUENCE:
        marks = spaced_titles(paragraphs, spaced)  # a "Preface" or two may stand beside them
    start, end, _ = contents_list(paragraphs)
    span = range(start, end) if contents else range(0)
    return Found(marks - set(span), contents, span)  # the contents list itself is read, not a chapter
