"""frontmatter.py: which `---`/`+++` block is front matter (and then never spoken), and the fields it gives."""

import pytest

from kokoro_narrator.books.frontmatter import split_front_matter
from kokoro_narrator.books.reader import decode, read_book
from kokoro_narrator.inbox.settings import front_matter


def keys_of(text: str) -> dict:
    """The per-book settings a markdown text's front matter sets (as test_settings.py's keys_of)."""
    return front_matter(split_front_matter(text)[1])


@pytest.mark.parametrize("top", [
    "---\nvoice: bf_emma\n---\n",
    "--- \nvoice: bf_emma\n---\n",  # a space after the opening line
    "---\nvoice: bf_emma\n...\n",  # YAML's other closing line
    "\ufeff---\r\nvoice: bf_emma\r\n---\r\n",  # byte order mark, CRLF
    "+++\nvoice = \"bf_emma\"\n+++\n",
    "+++\nvoice = bf_emma\n+++\n",  # not valid TOML, still a Hugo header
    "---\n# narrated by\nvoice: bf_emma\n---\n",
    "---\ndate created: 2023-01-01\n\"my key\": x\nvoice: bf_emma\n---\n",  # Obsidian-style keys
    "---\n\"voice\": bf_emma\n---\n",
    "---\nsummary: |\n  Two lines\n  of summary\n\nvoice: bf_emma\ntags: [a, b]\n---\n",  # a block scalar
    "+++\nabout = \"\"\"\nA multi-line\nstring\n\"\"\"\nvoice = \"bf_emma\"\n+++\n",
])
def test_front_matter_whose_settings_apply_is_never_spoken(top):
    """booksettings and markdown read front matter the same way: before, some of these set the
    voice and were read aloud too ("voice: bf_emma"), or were not read and set nothing."""
    data = (top + "\nThe book begins.\n").encode("utf-8")
    text = decode(data)[0]
    assert keys_of(text) == {"voice": "bf_emma"}
    assert read_book(data, "b.md").text.strip() == "The book begins."


@pytest.mark.parametrize("top", [
    "---\n- a list, not settings\n---\n",
    "---\nA rule, then prose.\n---\n",
    "---\n# Chapter 1\n\nIt was a dark night.\n\n---\n",  # a heading and prose between two rules
    "---\ntitle: Tale\n\nIt was prose, then a scene break.\n\n...\n",
    "---\n# Only a heading\n---\n",
    "---\nPart One: The Fall\n---\n",  # YAML would take it for a key; no front matter has only that one
])
def test_a_rule_then_prose_is_text_and_sets_nothing(top):
    data = (top + "\nThe book begins.\n").encode("utf-8")
    assert keys_of(decode(data)[0]) == {}
    assert read_book(data, "b.md").text.strip().endswith("The book begins.")
    assert len(read_book(data, "b.md").text.strip()) > len("The book begins.")


def test_a_block_gives_its_text_after_it_and_its_fields_typed_by_its_kind():
    assert split_front_matter("---\nTitle: X\n---\nBody") == ("Body", {"title": "X"})
    assert split_front_matter('+++\ntitle = "T"\nyear = 1815\n+++\nBody') == ("Body", {"title": "T", "year": 1815})
    assert split_front_matter("+++\ntitle = T\n+++\nBody") == ("Body", {"title": "T"})  # bad TOML, read by line
    yaml = '---\ntags: [a, "b c"]\nauthor:\n  - Ann\n  - Bo\nsummary: |\n  one\n  two\n---\nX'
    assert split_front_matter(yaml) == ("X", {"tags": ["a", "b c"], "author": ["Ann", "Bo"], "summary": "one\ntwo"})


def test_unknown_keys_need_three_lines_to_be_front_matter():
    assert split_front_matter("---\nfoo: 1\nbar: 2\nbaz: 3\n---\nX")[1] == {"foo": "1", "bar": "2", "baz": "3"}
    two = "---\nfoo: 1\nbar: 2\n---\nX"
    assert split_front_matter(two) == (two, {})
    assert split_front_matter("No front matter") == ("No front matter", {})
