"""Spoken text back to the clean text it was made from, through the narration rules' rewrites."""

from kokoro_narrator.sync.align import Alignment


def read(spoken: str, clean: str, said: str, whole: bool = False) -> str | None:
    start = spoken.index(said)
    span = Alignment(spoken, clean).clean_span(start, start + len(said), whole)
    return None if span is None else clean[span[0]:span[1]]


def test_rewritten_words_point_at_what_the_book_says():
    clean = "CHAPTER IV.\n\nIt was 1914 when the bell rang at 8:35, they said."
    spoken = "Chapter Four.\n\nIt was nineteen fourteen when the bell rang at eight thirty-five, they said."
    assert read(spoken, clean, "Four") == "IV"
    assert read(spoken, clean, "Chapter Four.", whole=True) == "CHAPTER IV."
    assert read(spoken, clean, "nineteen fourteen") == "1914"
    assert read(spoken, clean, "eight thirty-five") == "8:35"
    assert read(spoken, clean, "they said.", whole=True) == "they said."


def test_a_lexicon_entrys_phonemes_are_not_words_of_the_text():
    clean = "The Kokoro rang, and the bell answered."
    spoken = "The [Kokoro](/kˈOkəɹO/) rang, and the bell answered."
    assert read(spoken, clean, "[Kokoro](/kˈOkəɹO/) rang") == "Kokoro rang"
    assert read(spoken, clean, "bell answered.", whole=True) == "bell answered."


def test_words_the_book_does_not_have_read_nothing_and_the_walk_goes_on():
    clean = "I\n\nThe night was dark. Nobody came. The night was long."
    spoken = "Part One\n\nThe night was dark. Nobody came. The night was long."
    assert read(spoken, clean, "Part One") == "I"  # the words in between read each other, as a block
    assert read(spoken.replace("dark.", "dark and cold."), clean, "and cold") is None  # words the book lacks
    assert read(spoken, clean, "Nobody came.", whole=True) == "Nobody came."
    assert read(spoken, clean, "The night was long.", whole=True) == "The night was long."


def test_dropped_text_is_skipped_over():
    clean = "Before the art.\n\n* * * ASCII ART 12345 * * *\n\nAfter it, the story goes on as before."
    spoken = "Before the art.\n\nAfter it, the story goes on as before."
    assert read(spoken, clean, "After it, the story goes on as before.", whole=True) == \
        "After it, the story goes on as before."
    assert read(spoken, clean, "before.", whole=True) == "before."
