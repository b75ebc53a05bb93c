"""EPUB 3 pronunciation lexicons (W3C PLS): parsed into a `entries.Lexicon`, IPA into misaki's alphabet."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from .entries import Entry, Lexicon, LexiconError, check_entry

PLS_NAMESPACE = "{http://www.w3.org/2005/01/pronunciation-lexicon}"
IPA_TO_MISAKI = (
    ("eɪ", "A"), ("aɪ", "I"), ("oʊ", "O"), ("əʊ", "O"), ("aʊ", "W"), ("ɔɪ", "Y"), ("dʒ", "ʤ"), ("tʃ", "ʧ"),
    ("ɜː", "ɜɹ"), ("ɝ", "ɜɹ"), ("ɚ", "əɹ"), ("ɪə", "ɪɹ"), ("eə", "ɛɹ"), ("ʊə", "ʊɹ"), ("r", "ɹ"), ("g", "ɡ"),
    ("ɫ", "l"), ("ɐ", "ə"), ("e", "ɛ"), ("'", "ˈ"), (",", "ˌ"), (".", ""), ("x", "k"), ("ɒ", "ɑ"), ("ː", ""),
)
"""Standard IPA (as in PLS files) to misaki's US alphabet, longest first where it matters."""
BRITISH_KEEPS = {"əʊ": "Q", "ɒ": "ɒ", "ː": "ː", "ɜː": "ɜː"}
"""Where misaki's British alphabet differs: its own əʊ, and ɒ and ː kept."""
PLS_COPY = "book.pls.json"
"""A job's PLS entries as ingest parsed them, kept in its folder: `[[word, said], ...]`, in merge order."""


def parse_book_pls(lexicons: Iterable[tuple[str, str]], british: bool = False) -> tuple[Lexicon, list[tuple[str, list[str]]]]:
    """Given a book's PLS files ((name, XML text), `SourceText.lexicons`), return (their entries merged in
    order, a later file winning word by word; [(file name, what was left out and why)])."""
    merged, left_out = Lexicon(), []
    for name, xml_text in lexicons:
        lexicon, dropped = parse_pls(xml_text, name, british)
        merged = merged.merged(lexicon)
        left_out.append((name, dropped))
    return merged, left_out


def pls_bytes(lexicon: Lexicon) -> bytes:
    """Given a book's merged PLS entries, return what PLS_COPY keeps of them (their order too: it decides
    between two spellings of one word)."""
    return json.dumps([[entry.word, entry.say] for entry in lexicon.entries], ensure_ascii=False).encode("utf-8")


def read_kept_pls(folder: Path) -> Lexicon | None:
    """Given a job folder, return the PLS entries ingest kept in it, or None when it kept none
    (a book without PLS, or a job made before they were kept: parse the book's files then)."""
    try:
        pairs = json.loads((folder / PLS_COPY).read_bytes())
    except FileNotFoundError:
        return None
    return Lexicon(tuple(Entry(word, say, PLS_COPY) for word, say in pairs))


def parse_pls(xml_text: str, source: str, british: bool = False) -> tuple[Lexicon, list[str]]:
    """Given a PLS (W3C Pronunciation Lexicon) document, return (its Lexicon, what was left out and why).

    `<phoneme>` (alphabet "ipa") is converted to misaki's alphabet; `<alias>` is a respelling.
    A book's lexicon comes from its publisher, not from the user: an entry that cannot be used
    (a sound misaki has no symbol for, another alphabet) is left out and its word read as G2P
    reads it, and a file that is not XML is left out whole; the book is still made.
    """
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        return Lexicon(), [f"{source}: not valid XML ({exc}); the book's pronunciation lexicon is not used"]
    alphabet = root.get("alphabet", "ipa").lower()
    entries, left_out = [], []
    for lexeme in root.iter(f"{PLS_NAMESPACE}lexeme"):
        graphemes = [g.text.strip() for g in lexeme.findall(f"{PLS_NAMESPACE}grapheme") if g.text and g.text.strip()]
        phoneme = lexeme.find(f"{PLS_NAMESPACE}phoneme")
        alias = lexeme.find(f"{PLS_NAMESPACE}alias")
        for word in graphemes:
            where = f"{source}, line {_xml_line(xml_text, word)}, entry {word!r}"
            try:
                entries.append(Entry(word, check_entry(word, _said(phoneme, alias, alphabet, where, british), where,
                                                       british), source))
            except LexiconError as exc:
                left_out.append(f"{exc}: entry left out, the word is read as usual")
    return Lexicon(tuple(entries)), left_out


def _said(phoneme: ET.Element | None, alias: ET.Element | None, alphabet: str, where: str, british: bool) -> str:
    """How a lexeme is said, as a lexicon entry writes it (IPA between slashes, or a respelling)."""
    if phoneme is not None and phoneme.text:
        if (phoneme.get("alphabet") or alphabet) != "ipa":
            raise LexiconError(f"{where}: only the \"ipa\" alphabet is supported, got "
                               f"{phoneme.get('alphabet') or alphabet!r}")
        return "/" + ipa_to_misaki(phoneme.text.strip(), british) + "/"
    if alias is not None and alias.text:
        return alias.text.strip()
    raise LexiconError(f"{where}: has neither <phoneme> nor <alias>")


def _xml_line(xml_text: str, word: str) -> int:
    position = xml_text.find(f">{word}<")
    return xml_text.count("\n", 0, position) + 1 if position >= 0 else 0


def ipa_to_misaki(ipa: str, british: bool = False) -> str:
    """Given standard IPA, return it in misaki's alphabet (diphthongs as capitals, ɹ, ʤ, ʧ, ...)."""
    text = ipa.replace("\u0361", "").replace("\u035c", "")  # tie bars
    for ipa_sound, misaki_sound in IPA_TO_MISAKI:
        if british:
            misaki_sound = BRITISH_KEEPS.get(ipa_sound, misaki_sound)
        text = text.replace(ipa_sound, misaki_sound)
    return text
