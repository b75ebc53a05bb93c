"""Heading paragraphs in, chapters out: which heading starts one, its title, its place in the book's tree.

`chapter_starts(paragraphs, marks, ...)` applies chunker.py's chapter rules (its docstring,
2. Chapters) to the headings found or given, and places each chapter in the book's tree:
- Levels. Given headings bring theirs (an EPUB's nav depth, markdown's `#` and `##`). Found
  headings take theirs from the book: a kind of heading that merges forward into another
  (`PART ONE` into `CHAPTER 1`) holds the other; `PART I`, `Book I`, `Chapter I` are three levels.
  A chapter's level is its depth in that tree (1 at the top), its parent the chapter where the
  nearest heading above it is read.
- A given heading whose section holds only its title, followed by a deeper one (a story's title
  page, then its part `I`), merges into it, as a `PART` does: no chapter is a title alone.
- A title that says nothing alone, a number (`I`) or one that another chapter has too
  (`CHAPTER I` under each `PART`), carries its parent's: `A Story — I`, `PART TWO — CHAPTER II`.
  A parent merged into its first chapter names it with both: `PART ONE: CHAPTER 1`, `A Story — I`.
- A heading that is a number alone under a parent is read with a label, so that "One" is not
  heard as counting: `Part I` (`Chapter I` under a part or book, `Scene I` under an act). It is
  the only word the chunker adds to a book's text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .headings import labelled
from .lines import BARE_MARKER, heading_kind, heading_title, looks_like_title, MARKER, NUMBER_ALONE

MIN_CHAPTER_BODY = 200
"""A section with fewer characters than this is small: a contents entry, or a part title."""
TOC_RUN = 3
"""This many consecutive small sections are a table of contents."""
SUB_LABELS = {"part": "Chapter", "book": "Chapter", "volume": "Chapter", "act": "Scene"}
"""How a number alone is read under a parent of this kind; "Part" under any other."""


@dataclass(frozen=True)
class Section:
    """A heading and what follows it up to the next heading."""

    start: int
    """Index of the heading paragraph."""
    end: int
    """Index after the section's last paragraph."""
    title: str
    kind: str
    """The heading's first word, lower case: tells a PART from a CHAPTER."""
    small: bool
    """Under MIN_CHAPTER_BODY characters, for a found heading (a given one is never a contents entry)."""
    tiny: bool
    """Under MIN_CHAPTER_BODY characters, found or given."""
    prose: bool
    level: int = 1
    """The book's own level for it (a given heading's), else 1."""
    subtitle: bool = False
    """The paragraph after the heading is in its title ("CHAPTER I." + "Down the Rabbit-Hole.")."""


@dataclass(frozen=True)
class Start:
    """Where a chapter starts and what it is."""

    start: int
    """Index of its first paragraph."""
    title: str
    level: int = 1
    parent: int | None = None
    """The `start` of its parent chapter."""
    heading: tuple[int, ...] = ()
    """The paragraphs of its heading block: every one is read as a heading."""


def sections_of(paragraphs: list[str], marks: list[int], given: bool = False,
                titles: dict[int, str] | None = None, levels: dict[int, int] | None = None) -> list[Section]:
    sections = []
    for position, start in enumerate(marks):
        end = marks[position + 1] if position + 1 < len(marks) else len(paragraphs)
        body = paragraphs[start + 1:end]
        title, subtitle = heading_title(paragraphs[start]), False
        if titles and start in titles:
            title = titles[start]  # the book's own title for it (an EPUB's TOC label)
        elif body and BARE_MARKER.match(title) and looks_like_title(body[0]):
            title, subtitle = f"{title} {heading_title(body[0])}", True  # "CHAPTER I." + "Down the Rabbit-Hole."
        tiny = sum(len(p) for p in body) < MIN_CHAPTER_BODY
        sections.append(Section(start, end, title, heading_kind(title), small=tiny and not given, tiny=tiny,
                                prose=any(not looks_like_title(p) for p in body),
                                level=(levels or {}).get(start, 1), subtitle=subtitle))
    return sections


def in_contents(sections: list[Section]) -> list[bool]:
    """Mark the sections that belong to a run of TOC_RUN or more consecutive small ones."""
    marked = [False] * len(sections)
    run_start = 0
    for position in range(len(sections) + 1):
        if position == len(sections) or not sections[position].small:
            if position - run_start >= TOC_RUN:
                marked[run_start:position] = [True] * (position - run_start)
            run_start = position + 1
    return marked


def grouped(sections: list[Section], given: bool) -> dict[int, list[int]]:
    """{position of a chapter's first section: the positions of the sections it opens with}."""
    contents = in_contents(sections)
    groups: dict[int, list[int]] = {}
    for position in reversed(range(len(sections))):
        section, following = sections[position], groups.get(position + 1)
        if contents[position]:
            continue
        if given and following and section.tiny and not section.prose and sections[position + 1].level > section.level:
            groups[position] = [position] + groups.pop(position + 1)  # a story's title page, then its part I
        elif not section.small or section.prose:
            groups[position] = [position]
        elif following and sections[position + 1].kind != section.kind:
            groups[position] = [position] + groups.pop(position + 1)  # "PART ONE" then "CHAPTER 1": one chapter
    return dict(sorted(groups.items()))


def found_levels(sections: list[Section], groups: dict[int, list[int]]) -> dict[int, int]:
    """A found heading's level: 1 + how deep its kind stands where headings merged (PART: 1, CHAPTER: 2)."""
    depth: dict[str, int] = {}
    for group in groups.values():
        for place, position in enumerate(group if len(group) > 1 else ()):
            depth[tree_kind(sections[position])] = max(depth.get(tree_kind(sections[position]), 0), place)
    return {position: depth.get(tree_kind(sections[position]), 0) + 1
            for group in groups.values() for position in group}


def tree_kind(section: Section) -> str:
    """Its kind in the tree: a number alone ("II.") is not a Roman-numbered title ("VII. THE BLUE CARBUNCLE")."""
    return "number" if NUMBER_ALONE.match(section.title) else section.kind


def tree(levels: dict[int, int], lone: set[int]) -> tuple[dict[int, int], dict[int, int | None], dict[int, int | None]]:
    """Given each heading's level (in reading order), return its depth in the tree, its parent heading,
    and the heading it stands under, lone ones included (what names a number alone).

    A lone heading (the only one of its kind or level: a half-title, a markdown book's `# Title`)
    is the book's title, never a parent; yet parts `I`, `II` under one story's title are that
    story's parts, and are named by it.
    """
    depths: dict[int, int] = {}
    parents: dict[int, int | None] = {}
    under: dict[int, int | None] = {}
    stack: list[int] = []
    above: list[int] = []
    for position, level in levels.items():
        while stack and levels[stack[-1]] >= level:
            stack.pop()
        while above and levels[above[-1]] >= level:
            above.pop()
        parents[position] = stack[-1] if stack else None
        under[position] = above[-1] if above else None
        depths[position] = len(stack) + 1
        above.append(position)
        if position not in lone:
            stack.append(position)
    return depths, parents, under


def lone(sections: list[Section], levels: dict[int, int], given: bool) -> set[int]:
    """The headings that hold no part of the book: the only one of their level (given) or kind (found),
    or, found, not numbered ("THE SCARLET LETTER" over "I. THE PRISON-DOOR." is a half-title)."""
    if given:
        count = Counter(levels.values())
        return {p for p in levels if count[levels[p]] == 1}
    count = Counter(tree_kind(sections[p]) for p in levels)
    return {p for p in levels if count[tree_kind(sections[p])] == 1
            or not (MARKER.match(sections[p].title) or labelled(sections[p].title))}


def key(title: str) -> str:
    return " ".join(title.casefold().strip(" .:").split())


def chapter_starts(paragraphs: list[str], marks: list[int], given: bool = False,
                   titles: dict[int, str] | None = None,
                   levels: dict[int, int] | None = None) -> tuple[list[Start], dict[int, str]]:
    """Given the heading paragraphs' indexes, return each chapter's Start (the opening included), and
    the heading paragraphs to be read with a label ({index: "Part I"}).

    Given headings (markdown's, an EPUB's) are never a table of contents; `levels` are theirs.
    """
    sections = sections_of(paragraphs, marks, given, titles, levels)
    groups = grouped(sections, given)
    raw = {p: sections[p].level for g in groups.values() for p in g} if given else found_levels(sections, groups)
    depths, parents, under = tree(raw, lone(sections, raw, given))
    chapter_of = {position: first for first, group in groups.items() for position in group}
    repeated = Counter(key(sections[g[-1]].title) for g in groups.values())
    starts, relabel = [], {}
    for first, group in groups.items():
        names = [sections[p].title for p in group]
        last = names[-1]
        title = ": ".join(name.rstrip(" .:") for name in names[:-1])
        title = f"{title}{' — ' if NUMBER_ALONE.match(last) else ': '}{last}" if title else last
        parent = parents[first]
        alone = NUMBER_ALONE.match(last) or BARE_MARKER.match(last) and repeated[key(last)] > 1
        if under[first] is not None and len(group) == 1 and alone:
            above = sections[under[first]]
            name = heading_title(paragraphs[above.start]) if above.subtitle else above.title
            title = f"{name.rstrip(' .:')} — {last}"  # "A Story — II", "PART TWO — CHAPTER II"
        for position in group:
            above = under[position]
            said = paragraphs[sections[position].start].strip()
            if above is not None and NUMBER_ALONE.match(said) and NUMBER_ALONE.match(sections[position].title):
                label = SUB_LABELS.get(sections[above].kind, "Part")
                relabel[sections[position].start] = f"{label} {said}"  # nothing else names it
        heading = tuple(i for p in group for i in (sections[p].start, sections[p].start + 1)[:1 + sections[p].subtitle])
        starts.append(Start(sections[first].start, title, depths[first],
                            None if parent is None else sections[chapter_of[parent]].start, heading))
    if not starts or starts[0].start > 0:
        starts.insert(0, Start(0, "Opening"))
    return starts, relabel
