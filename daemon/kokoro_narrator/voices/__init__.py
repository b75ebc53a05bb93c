"""Who reads what: voice blends, the dialogue voice, and the book's cast of character voices.

What the other subpackages may use; everything else here is private to voices/.
"""

from .blend import Blend, BlendError, canonical_voice, is_blend, mix, parse_blend

__all__ = ["Blend", "BlendError", "canonical_voice", "is_blend", "mix", "parse_blend"]
