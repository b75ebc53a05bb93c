"""Who reads what: voice blends, the dialogue voice, and the book's cast of character voices.

What the other subpackages may use; everything else here is private to voices/.
"""

from .blend import Blend, BlendError, canonical_voice, is_blend, mix, parse_blend
from .cast import available_voices, CastError, make_cast, Role, sidecar_cast
from .plan import voice_spans, VoiceSpan
from .quotes import find_quotes, Quote
from .speakers import attribute, Character, find_speakers, guess_gender

__all__ = ["attribute", "available_voices", "Blend", "BlendError", "canonical_voice", "CastError", "Character",
           "find_quotes", "find_speakers", "guess_gender", "is_blend", "make_cast", "mix", "parse_blend", "Quote",
           "Role", "sidecar_cast", "voice_spans", "VoiceSpan"]
