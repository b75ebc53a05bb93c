"""Who says each quote: a character's name where the text makes it clear, else nobody (the dialogue voice).

Precision comes first, since a wrong voice is worse than none: a quote gets a speaker only from
a speech verb next to it with a name of the cast, written as the cast writes it (`"...," said
Holmes`, `Holmes said, "..."`), from `he said` / `she said` in a paragraph that opens with the only
character of that sex named there, from the rest of its paragraph or the paragraphs its quotation
runs over (unless a speech verb there names someone else), and from the turns of a two-person
exchange. Everything else stays None. bench/bench_dialogue.py measures each rule on PDNC.

Also `find_speakers` (the names next to speech verbs, for a cast when the book has none) and
`guess_gender` (from titles and the pronouns that follow a name's lines).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from typing import NamedTuple, Sequence

from .quotes import paragraph_spans, Quote


class Character(NamedTuple):
    """One of the book's cast: its main name, every name the text calls it by, and "M", "F" or "U"."""

    name: str
    aliases: tuple[str, ...] = ()
    gender: str = "U"


VERBS = ("said|says|asked|asks|replied|replies|cried|cries|exclaimed|answered|answers|returned|continued|added|"
         "whispered|shouted|called|began|observed|remarked|rejoined|retorted|muttered|murmured|repeated|resumed|"
         "interrupted|pursued|declared|demanded|inquired|enquired|suggested|protested|urged|pleaded|sighed|"
         "groaned|screamed|yelled|roared|growled|snapped|explained|insisted|agreed|admitted|stammered|faltered|"
         "ventured|persisted|interposed|responded|echoed|thundered|gasped|sobbed|laughed|panted|moaned|wailed|"
         "shrieked|mumbled|grumbled|grunted|bellowed|hissed|breathed|concluded|assented|objected|argued|"
         "reflected|commented|conceded|confessed|cautioned|warned|announced|proceeded|chimed in|"
         "broke in|put in|went on|cried out|called out|spoke up")
VERB = rf"(?:{VERBS})\b"
ADVERB = r"(?:[a-z]+ly\s+)?"
LEAD = r"(?:(?:then|and|but|at last|at length|presently|here|now|again|once more)\W+)?"
"""Words that may come before an inverted verb at a paragraph's start: `Then said Mr. Weston, "...`."""
PRONOUNS = {"he": "M", "she": "F"}
ALTERNATION_CAP = 6
"""Turns of a two-person exchange given without names, at most, before the chain is too long to trust."""
ALTERNATION_SEED = 3
"""Named turns that must alternate (A, B, A) before unnamed ones are inferred: after only two, a third
person or the same one going on was too often the next speaker (90 % right on PDNC, against 96 %)."""


def speech_patterns(name: str) -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    """The four places a speaker stands, for a regex of names: after the quote (`, said X` / `, X said`)
    and before it (`X said, "` / `said X, "`, the latter only at the narration's start)."""
    end = r"(?![\w'’])"
    return (re.compile(rf"^\W{{0,4}}\s*{VERB}\s+{ADVERB}(?P<who>{name}){end}"),
            re.compile(rf"^\W{{0,4}}\s*(?P<who>{name})\s+{ADVERB}{VERB}"),
            re.compile(rf"(?<![\w'’])(?P<who>{name})\s+{ADVERB}{VERB}(?:\s+[^,:;.!?\"]{{1,40}})?\s*[,:]?\s*-*\s*$"),
            re.compile(rf"^\W*(?i:{LEAD}{VERB})\s+{ADVERB}(?P<who>{name}){end}\s*[,:]?\s*-*\s*$"))


PRONOUN_PATTERNS = speech_patterns(r"[Hh]e|[Ss]he")


def alias_regex(names: Sequence[str]) -> str:
    """Names, longest first (so "Mr. Frank Churchill" wins over "Frank"), matched as written; one
    written in lower case ("the old man", a description) also with a capital, at a sentence's start."""
    parts = []
    for alias in sorted(set(names), key=len, reverse=True):
        escaped = re.escape(alias)
        if alias[:1].islower():
            escaped = f"[{alias[0]}{alias[0].upper()}]{re.escape(alias[1:])}"
        parts.append(escaped)
    return "|".join(parts) or r"(?!)"


def lookup(names: dict[str, str], found: str) -> str | None:
    """The character a matched name is: as written, or a description at a sentence's start."""
    return names.get(found) or names.get(found[:1].lower() + found[1:])


def cast_index(characters: Sequence[Character]) -> tuple[dict[str, str], dict[str, str]]:
    """alias → main name, leaving out the aliases that may point to two characters; main name → gender."""
    owners: dict[str, set[str]] = {}  # every name, and every run of words inside one, to whom it may point
    for character in characters:
        for alias in {character.name, *character.aliases}:
            words = alias.split()
            for first in range(len(words)):
                for last in range(first + 1, len(words) + 1):
                    owners.setdefault(" ".join(words[first:last]), set()).add(character.name)
    # "Bounderby" is no one's for sure when another character is "Mrs. Bounderby"
    names = {alias: character.name for character in characters for alias in {character.name, *character.aliases}
             if owners[" ".join(alias.split())] == {character.name}}
    return names, {character.name: character.gender for character in characters}


def narration_between(text: str, quotes: Sequence[Quote], index: int, start: int, end: int) -> tuple[str, str]:
    """The narration just before quote `index` and just after it, inside its paragraph [start, end)."""
    quote = quotes[index]
    before_from = quotes[index - 1].end + 1 if index and quotes[index - 1].end >= start else start
    after_to = quotes[index + 1].start - 1 if index + 1 < len(quotes) and quotes[index + 1].start < end else end
    return text[before_from:max(before_from, quote.start - 1)], text[min(quote.end + 1, after_to):after_to]


CLAUSE_END = re.compile(r"[.!?;]")
SOME_VERB = re.compile(rf"\b{VERB}")


def voiced(before: str, after: str) -> bool:
    """Whether a speech verb stands in the clause right before or right after a quote, whoever its subject
    ("to which the ancestress rejoined: ..."): someone, maybe not the paragraph's speaker, says it."""
    return bool(SOME_VERB.search(CLAUSE_END.split(before)[-1]) or SOME_VERB.search(CLAUSE_END.split(after)[0]))


def explicit(before: str, after: str, patterns) -> str | None:
    """The speech verb's subject next to a quote: after it first (`"...," said X`), then before it."""
    for pattern, where in zip(patterns, (after, after, before, before)):
        found = pattern.search(where)
        if found:
            return found.group("who")
    return None


def attribute(text: str, quotes: Sequence[Quote], characters: Sequence[Character]) -> list[str | None]:
    """Each quote's speaker, a character's main name, or None where the text does not make it clear."""
    return attribute_why(text, quotes, characters)[0]


def attribute_why(text: str, quotes: Sequence[Quote], characters: Sequence[Character]) -> tuple[list, list]:
    """attribute's speakers, and which rule named each: "verb", "pronoun", "paragraph", "quotation",
    "turns" (for the bench and the tests)."""
    names, genders = cast_index(characters)
    patterns = speech_patterns(alias_regex([alias for character in characters
                                            for alias in (character.name, *character.aliases)]))
    mentions = [(found.start(), lookup(names, found.group())) for found in
                re.finditer(rf"(?<![\w'’])(?:{alias_regex(list(names))})(?![\w'’])", text)]
    paragraphs = paragraph_spans(text)
    speakers: list[str | None] = [None] * len(quotes)
    pronouns: list[str | None] = [None] * len(quotes)
    where = paragraph_of(quotes, paragraphs)
    for index, quote in enumerate(quotes):
        start, end = paragraphs[where[index]]
        before, after = narration_between(text, quotes, index, start, end)
        who = explicit(before, after, patterns)
        if who is not None:
            speakers[index] = lookup(names, who)
        else:
            pronoun = explicit(before, after, PRONOUN_PATTERNS)
            pronouns[index] = pronoun.lower() if pronoun else ("?" if voiced(before, after) else None)
    why = ["verb" if speaker else None for speaker in speakers]
    for index, pronoun in enumerate(pronouns):
        if pronoun in PRONOUNS:
            speakers[index] = resolve(pronoun, index, quotes, where, paragraphs, mentions, speakers, genders)
    why = noted(why, speakers, "pronoun")
    spread_in_paragraphs(quotes, where, speakers, pronouns)
    why = noted(why, speakers, "paragraph")
    spread_over_paragraphs(text, quotes, speakers, pronouns)
    why = noted(why, speakers, "quotation")
    alternate(text, quotes, where, paragraphs, speakers, mentions)
    return speakers, noted(why, speakers, "turns")


def noted(why: list, speakers: list, rule: str) -> list:
    return [reason or (rule if speaker else None) for reason, speaker in zip(why, speakers)]


def paragraph_of(quotes: Sequence[Quote], paragraphs: list[tuple[int, int]]) -> list[int]:
    """The index of each quote's paragraph (both lists are in order)."""
    where, current = [], 0
    for quote in quotes:
        while current + 1 < len(paragraphs) and paragraphs[current][1] < quote.start:
            current += 1
        where.append(current)
    return where


def inside_quotes(position: int, quotes: Sequence[Quote], starts: list[int]) -> bool:
    """Whether a position is inside a quote (a name there is said, not the narration's)."""
    index = bisect.bisect_right(starts, position) - 1
    return index >= 0 and quotes[index].start <= position < quotes[index].end


def resolve(pronoun: str, index: int, quotes, where, paragraphs, mentions, speakers, genders) -> str | None:
    """`he said`: the male character the paragraph opens with ("Lord Henry laughed. "...," he said"),
    when no other character is named in its narration before the quote (nor spoke there), and none of
    unknown sex; else None. A wider window (the paragraph before too, any position) was right 84 % of
    the time on PDNC: the one named is often not the one speaking ("the old woman", "his companion")."""
    gender = PRONOUNS[pronoun]
    window_start = paragraphs[where[index]][0]
    low = bisect.bisect_left(mentions, (window_start, ""))
    if low == len(mentions) or mentions[low][0] != window_start or genders.get(mentions[low][1]) != gender:
        return None
    position = quotes[index].start
    starts = [quote.start for quote in quotes]
    found = {name for at, name in mentions[low:] if at < position and name and not inside_quotes(at, quotes, starts)}
    first = bisect.bisect_left(starts, window_start)
    found |= {speakers[other] for other in range(first, index) if speakers[other]}
    candidates = {name for name in found if genders.get(name) == gender}
    if len(candidates) == 1 and not any(genders.get(name) == "U" for name in found):
        return candidates.pop()
    return None


def spread_in_paragraphs(quotes, where, speakers, pronouns) -> None:
    """A paragraph is one speaker's: its other quotes take the speaker its named ones agree on, unless
    another quote there has a speech verb of its own that named nobody we know ("she said", "the
    ancestress rejoined")."""
    by_paragraph: dict[int, list[int]] = {}
    for index, paragraph in enumerate(where):
        by_paragraph.setdefault(paragraph, []).append(index)
    for members in by_paragraph.values():
        named = {speakers[index] for index in members if speakers[index]}
        unresolved = any(pronouns[index] and not speakers[index] for index in members)
        if len(named) == 1 and not unresolved:
            speaker = next(iter(named))
            for index in members:
                speakers[index] = speaker


def continues(text: str, quotes: Sequence[Quote], index: int) -> bool:
    """Whether quote `index` goes on from the one before, over a paragraph break (that one was left open)."""
    if not index:
        return False
    gap = text[quotes[index - 1].end:quotes[index].start - 1]
    return gap.strip() == "" and "\n" in gap and text[quotes[index - 1].end:quotes[index - 1].end + 1].isspace()


def spread_over_paragraphs(text, quotes, speakers, pronouns) -> None:
    """A quotation over several paragraphs has one speaker, whichever paragraph names them (unless one
    of its pieces has a speech verb that named nobody we know)."""
    start = 0
    for index in range(1, len(quotes) + 1):
        if index < len(quotes) and continues(text, quotes, index):
            continue
        named = {speakers[member] for member in range(start, index) if speakers[member]}
        unresolved = any(pronouns[member] and not speakers[member] for member in range(start, index))
        if len(named) == 1 and index - start > 1 and not unresolved:
            speaker = named.pop()
            for member in range(start, index):
                speakers[member] = speaker
        start = index


def alternate(text, quotes, where, paragraphs, speakers, mentions) -> None:
    """Two people talking, their names given once each: the following paragraphs that are only a quote
    each take turns between them, while nobody else is named in the exchange (a third name may be a
    third speaker), until narration or ALTERNATION_CAP turns."""
    turns: list[str | None] = []  # the speaker of each paragraph of the exchange so far
    named_here: set[str] = set()  # every character named in the exchange so far, narration and quotes
    chained, previous = 0, -2
    members: dict[int, list[int]] = {}
    for index, paragraph in enumerate(where):
        members.setdefault(paragraph, []).append(index)
    for paragraph in sorted(members):
        indexes = members[paragraph]
        if paragraph != previous + 1:
            turns, named_here, chained = [], set(), 0
        previous = paragraph
        start, end = paragraphs[paragraph]
        low = bisect.bisect_left(mentions, (start, ""))
        named_here |= {name for at, name in mentions[low:bisect.bisect_left(mentions, (end, ""))] if name}
        if continues(text, quotes, indexes[0]):
            continue  # the same quotation, the same turn
        named = {speakers[index] for index in indexes if speakers[index]}
        if named:
            turns.append(named.pop() if len(named) == 1 else None)
            named_here |= named
            chained = 0
            continue
        quote = quotes[indexes[0]]
        pure = len(indexes) == 1 and not re.search(r"\w", text[start:quote.start] + text[quote.end:end])
        two = (len(turns) >= ALTERNATION_SEED and None not in turns and set(turns) <= set(turns[-2:])
               and all(turns[-step] != turns[-step - 1] for step in range(1, ALTERNATION_SEED)))
        if not (pure and two and chained < ALTERNATION_CAP and named_here <= set(turns[-2:])):
            turns, named_here, chained = [], set(), 0
            continue
        inside = {name for at, name in mentions[low:bisect.bisect_left(mentions, (quote.end, ""))] if name}
        if turns[-2] in inside:
            turns, named_here, chained = [], set(), 0  # the speaker's own name: this is the other one's turn
            continue
        speakers[indexes[0]] = turns[-2]
        turns.append(turns[-2])
        chained += 1


NAME = r"(?:the\s+|(?:Mr|Mrs|Miss|Ms|Dr|Sir|Lady|Lord|Captain|Colonel|Professor|Aunt|Uncle)\.?\s+)?[A-Z][a-z]+" \
       r"(?:\s+[A-Z][a-z]+){0,2}"
"""A name as a book writes it next to a speech verb: `Holmes`, `Mr. Weston`, and `the Caterpillar` (a character
named by what it is, as Alice's are)."""
NOT_NAMES = {"He", "She", "I", "They", "We", "You", "It", "The", "A", "An", "And", "But", "Then", "This", "That",
             "There", "Here", "Now", "What", "Who", "Yes", "No", "Oh", "So", "His", "Her", "My", "Our", "Your"}
GENERIC = speech_patterns(NAME)


def find_speakers(text: str, quotes: Sequence[Quote]) -> Counter:
    """How often each capitalized name (or `Mr. X`, `Mrs. X`, ...) stands next to a speech verb by a
    quote: a cast for a book that comes without one."""
    paragraphs = paragraph_spans(text)
    where = paragraph_of(quotes, paragraphs)
    found: Counter = Counter()
    for index in range(len(quotes)):
        start, end = paragraphs[where[index]]
        before, after = narration_between(text, quotes, index, start, end)
        who = explicit(before, after, GENERIC)
        if who and who.split()[0] not in NOT_NAMES:
            found[" ".join(who.split())] += 1
    return found


MALE_TITLES = r"Mr|Mister|Sir|Lord|Master|Father|Uncle|Brother|King|Prince|Duke|Count|Baron"
FEMALE_TITLES = r"Mrs|Miss|Ms|Madam|Madame|Lady|Mother|Aunt|Sister|Queen|Princess|Duchess|Countess|Baroness"


def guess_gender(text: str, name: str) -> str:
    """"M", "F" or "U" for a name: from its title (Mr., Mrs., Lady ...), else from the pronouns in the
    sentence after its lines (`"...," said Tom. He ...`), when they clearly lean one way."""
    escaped = re.escape(name)
    title = re.match(rf"(?:({MALE_TITLES})|({FEMALE_TITLES}))\b", name)
    if title:
        return "M" if title.group(1) else "F"
    titled = Counter("M" if found.group(1) else "F" for found in
                     re.finditer(rf"\b(?:({MALE_TITLES})|({FEMALE_TITLES}))\.?\s+{escaped}\b", text))
    votes: Counter = Counter()
    for found in re.finditer(rf"(?:{VERB}\s+{escaped}|{escaped}\s+{VERB})\W", text):
        following = text[found.end():found.end() + 80]
        pronoun = re.search(r"\b(he|his|him|she|her)\b", following, re.IGNORECASE)
        if pronoun:
            votes["M" if pronoun.group(1).lower() in ("he", "his", "him") else "F"] += 1
    for tally in (titled, votes):
        male, female = tally["M"], tally["F"]
        if male + female >= 2 and max(male, female) >= 3 * min(male, female):
            return "M" if male > female else "F"
    return "U"
