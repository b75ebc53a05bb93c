"""A lexicon's entries, how one is checked and how they rewrite text, apart from where they come from.

lexicon.py reads them from TOML files and pls.py from an EPUB's PLS files; both build on this
module, so neither imports the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ENTRY_CHARS = 100
US_PHONEMES = frozenset("AIOWYTbdfhijklmnpstuvwzæðŋɑɔəɛɜɡɪɹɾʃʊʌʒʤʧˈˌθᵊᵻʔ ")
GB_PHONEMES = frozenset("AIQWYabdfhijklmnpstuvwzðŋɑɒɔəɛɜɡɪɹʃʊʌʒʤʧˈˌːθᵊ ")
"""misaki's phoneme alphabets (misaki.en.US_VOCAB and GB_VOCAB; T, the US flap, which misaki writes too; the space)."""
RESPELLING = re.compile(r"^[^\W\d_]+(?:[ '\u2019-]+[^\W\d_]+)*$")


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file, line and entry."""


@dataclass(frozen=True)
class Entry:
    """One word or phrase and how it is said."""

    word: str
    say: str
    """A respelling, or IPA phonemes between slashes ("/dˈɑɹsi/")."""
    source: str = ""
    """The file it comes from, for messages."""

    @property
    def phonemes(self) -> str | None:
        return self.say[1:-1] if self.say.startswith("/") and self.say.endswith("/") else None


@dataclass(frozen=True)
class Lexicon:
    """Entries by word; `apply` rewrites text with them."""

    entries: tuple[Entry, ...] = ()

    def merged(self, other: "Lexicon") -> "Lexicon":
        """Return this lexicon with other's entries on top (other wins word by word)."""
        words = {entry.word: entry for entry in self.entries}
        words.update({entry.word: entry for entry in other.entries})
        return Lexicon(tuple(words.values()))

    def to_json(self) -> dict[str, str]:
        """The entries as {word: how it is said}, sorted: what job.json records."""
        return {entry.word: entry.say for entry in sorted(self.entries, key=lambda e: e.word)}

    @classmethod
    def from_json(cls, data: dict[str, str] | None, source: str = "job.json") -> "Lexicon":
        return cls(tuple(Entry(word, say, source) for word, say in sorted((data or {}).items())))

    def apply(self, text: str, english: bool = True) -> tuple[str, dict[str, str]]:
        """Given text, return (it with every entry's word replaced, the entries used as {word: say}).

        English: an IPA entry becomes `[word](/phonemes/)`, a respelling `[respelling]()`
        (misaki reads the respelling, and later rules leave it alone): `marked_up`. Other
        languages: a respelling replaces the word; IPA entries are not used.
        """
        entries = [e for e in self.entries if english or e.phonemes is None]
        if not entries or not text:
            return text, {}
        any_case = {e.word.lower(): e for e in entries if e.word == e.word.lower()}
        as_written = {form: e for e in entries if e.word != e.word.lower() for form in (e.word, e.word.upper())}
        keys = sorted({e.word for e in entries}, key=lambda w: (-len(w), w))
        pattern = re.compile(r"(?<![\w\[])(?:" + "|".join(r"\s+".join(map(re.escape, k.split())) for k in keys)
                             + r")(?![\w\]])", re.IGNORECASE)
        used: dict[str, str] = {}

        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            spaced = " ".join(found.split())
            entry = as_written.get(spaced) or any_case.get(spaced.lower())
            if entry is None:
                return found
            used[entry.word] = entry.say
            if not english:
                return entry.say
            return marked_up(found, entry)

        return pattern.sub(replace, text), used


def marked_up(found: str, entry: Entry) -> str:
    """Given matched text and its entry, return misaki's markup for it, one word at a time.

    A phrase whose phonemes have as many words as the text gets one markup per word, so that
    no cut between words (a long sentence split for the model) ever falls inside markup; the
    text's own spaces and line breaks stay. A respelling `[word]()` is only protected from the
    later rules: misaki reads the respelling.
    """
    if entry.phonemes is None:
        return " ".join(f"[{word}]()" for word in entry.say.split())
    parts = re.split(r"(\s+)", found)
    groups = entry.phonemes.split()
    if len(groups) != len(parts[::2]):
        return f"[{' '.join(found.split())}](/{entry.phonemes}/)"
    parts[::2] = [f"[{word}](/{sound}/)" for word, sound in zip(parts[::2], groups)]
    return "".join(parts)


MARKUP = re.compile(r"\[([^\]\n]+)\]\(([^)\n]*)\)")
"""misaki's inline markup, `[word](/phonemes/)` or `[respelling]()`, as `marked_up` writes it."""


def without_markup(text: str) -> str:
    """Given text with misaki's markup, return the text it stands for: the words, not the phonemes."""
    return MARKUP.sub(lambda m: m.group(1), text)


def check_entry(word: str, say: str, where: str, british: bool = False) -> str:
    """Given an entry, return how it is said, tidied; raise LexiconError (prefixed with where) when bad."""
    say = say.strip()
    if not word.strip() or len(word) > MAX_ENTRY_CHARS or any(ch in word for ch in "[]()\n"):
        raise LexiconError(f"{where}: the word must be 1 to {MAX_ENTRY_CHARS} characters, without brackets")
    if not any(ch.isalnum() for ch in word):
        raise LexiconError(f"{where}: the word has no letter or digit to match")
    if say.startswith("/"):
        if len(say) < 3 or not say.endswith("/"):
            raise LexiconError(f"{where}: IPA must be written between two slashes, like \"/dˈɑɹsi/\", got {say!r}")
        alphabet = GB_PHONEMES if british else US_PHONEMES
        wrong = sorted({ch for ch in say[1:-1] if ch not in alphabet})
        if wrong:
            raise LexiconError(f"{where}: {''.join(wrong)!r} is not in misaki's phoneme alphabet "
                               f"({''.join(sorted(alphabet - {' '}))}); see docs/narration.md")
        return say
    if not RESPELLING.match(say) or len(say) > MAX_ENTRY_CHARS:
        raise LexiconError(f"{where}: a respelling is letters, with hyphens, spaces or apostrophes "
                           f"between syllables (\"her-my-oh-nee\"), got {say!r}")
    return say.lower()
