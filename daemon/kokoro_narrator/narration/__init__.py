"""What a narrator reads: text that is not speech taken out, lexicons (user, sidecar, PLS), numerals, capitals.

What the other subpackages may use; everything else here is private to narration/.
"""

from .entries import MARKUP, without_markup
from .lexicon import lexicon_settings, LexiconError, read_toml_lexicon, SIDECAR_COPY, with_default_lexicon
from .nonspeech import NONSPEECH_VERSION, strip_nonspeech, summarize
from .normalize import NORMALIZE_VERSION
from .pls import parse_book_pls, pls_bytes, PLS_COPY
from .speakable import speakable_chunks, speakable_job

__all__ = ["lexicon_settings", "MARKUP", "LexiconError", "NONSPEECH_VERSION", "NORMALIZE_VERSION", "parse_book_pls",
           "pls_bytes", "PLS_COPY", "read_toml_lexicon", "SIDECAR_COPY", "speakable_chunks", "speakable_job",
           "strip_nonspeech", "summarize", "with_default_lexicon", "without_markup"]
