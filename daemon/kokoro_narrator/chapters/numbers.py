"""Numbers as chapter headings write them: digits, Roman numerals, English number words.

One home for the tables that lines.py (heading patterns), headings.py (numbered sequences) and
narration's roman.py (numerals read aloud) share.
"""

from __future__ import annotations

import re

NUMBER_WORD = (
    r"(?:the\s+)?(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?:one|two|three|four|"
    r"five|six|seven|eight|nine|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth))?|one|two|three|"
    r"four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|"
    r"nineteen|hundred|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"(?:thir|four|fif|six|seven|eigh|nine)teenth|twentieth|thirtieth|fortieth|fiftieth|last|final)"
)
ROMAN = r"(?=[MDCLXVI])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
SMALL_ROMAN = r"(?=[CLXVI])C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"  # up to 399
LOOSE_NUMBER = (r"(?:\d{1,4}|[IVXLC]{1,8}|[ivxlc]{1,8}|(?:the\s+)?(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|"
                r"ninety)(?:[-\s][a-z]+)?|[a-z]+(?:teen|teenth|th|st|nd|rd)|one|two|three|five|six|seven|eight|nine|"
                r"ten|eleven|twelve|twentieth|thirtieth|fortieth|fiftieth|sixtieth))")
"""Anything that may be a number in a heading candidate (number_value then says whether it is one)."""
ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}
VALID_ROMAN = re.compile(rf"^{ROMAN}$")
CARDINALS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
             "sixteen seventeen eighteen nineteen").split()
ORDINALS = ("zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
            "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth").split()
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
TENTHS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60}


def roman_value(numeral: str) -> int | None:
    """Given a string, return its value when it is a valid (canonical) Roman numeral, else None."""
    upper = numeral.upper()
    if not upper or not VALID_ROMAN.match(upper):
        return None
    total = 0
    for position, letter in enumerate(upper):
        value = ROMAN_VALUES[letter]
        following = ROMAN_VALUES[upper[position + 1]] if position + 1 < len(upper) else 0
        total += -value if value < following else value
    return total


def number_value(word: str) -> int | None:
    """Given a number as digits, a Roman numeral or English words ("twenty-one", "the third"), return its value."""
    word = " ".join(word.lower().replace("-", " ").split())
    word = word[4:] if word.startswith("the ") else word
    if word.isdigit():
        return int(word)
    for table in (CARDINALS, ORDINALS):
        if word in table:
            return table.index(word)
    parts = word.split()
    if parts and parts[0] in TENS:
        if len(parts) == 1:
            return TENS[parts[0]]
        unit = number_value(parts[1]) if len(parts) == 2 else None
        return TENS[parts[0]] + unit if unit is not None and 0 < unit < 10 else None
    if word in TENTHS:
        return TENTHS[word]
    if re.fullmatch(r"[ivxlc]+", word):
        return roman_value(word.upper())
    return None
