"""Bytes to clean text and metadata: plain text, markdown and its front matter, EPUB (zip, XHTML, navigation),
DOCX, FB2, HTML, PDF, and the formats Calibre converts (each structured reader returns parts.BookParts).

What the other subpackages may use; everything else here is private to books/.
"""

from .epubzip import markup_text
from .markdown import PARSER as MARKDOWN_PARSER
from .metadata import LANGUAGES, source_metadata
from .reader import BOOK_SUFFIXES, decode_book, Decoded, read_book, source_suffix, SourceText, TextError
from .xhtml import XhtmlReader, XhtmlText

__all__ = ["BOOK_SUFFIXES", "decode_book", "Decoded", "LANGUAGES", "MARKDOWN_PARSER", "markup_text", "read_book",
           "source_metadata", "source_suffix", "SourceText", "TextError", "XhtmlReader", "XhtmlText"]
