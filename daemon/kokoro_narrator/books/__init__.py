"""Bytes to clean text and metadata: plain text, markdown and its front matter, EPUB (zip, XHTML, navigation).

What the other subpackages may use; everything else here is private to books/.
"""

from .metadata import LANGUAGES, source_metadata
from .reader import BOOK_SUFFIXES, decode_book, Decoded, read_book, source_suffix, SourceText, TextError

__all__ = ["BOOK_SUFFIXES", "decode_book", "Decoded", "LANGUAGES", "read_book", "source_metadata", "source_suffix",
           "SourceText", "TextError"]
