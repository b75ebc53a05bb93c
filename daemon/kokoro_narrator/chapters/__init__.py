"""A book's structure: heading lines, headings found, the chapter tree, and deterministic chunks.

What the other subpackages may use; everything else here is private to chapters/.
"""

from .chunker import CHUNKER_VERSION, plan_book
from .lines import is_heading, SMALL_WORDS
from .numbers import roman_value
from .sentences import split_sentences, split_words

__all__ = ["CHUNKER_VERSION", "is_heading", "plan_book", "roman_value", "SMALL_WORDS", "split_sentences",
           "split_words"]
