"""Who reads what: voice blends, the dialogue voice, and the book's cast of character voices.

What the other subpackages may use; everything else here is private to voices/.
"""

__all__: list[str] = []
