"""A book's timings from its chunks' timed words: book time, sentences, and places in the clean text."""

from kokoro_narrator.sync import book_timings, TimedChunk

RATE = 24000
BOOK = "CHAPTER IV.\n\nIt was 1914. The bell rang.\n\nI\n\nNobody came."
CHAPTERS = [{"index": 0, "title": "CHAPTER IV.", "level": 1, "parent": None, "start_seconds": 0.0, "end_seconds": 5.0},
            {"index": 1, "title": "Part I", "level": 1, "parent": None, "start_seconds": 5.0, "end_seconds": 8.0}]


def timed(text: str, words: list[str], step: int = 2400, first: int = 0) -> list[list[int]]:
    """Each word in order, `step` samples long with a gap of one tenth of it, from sample `first`."""
    out, cursor = [], 0
    for number, word in enumerate(words):
        at = text.index(word, cursor)
        cursor = at + len(word)
        begin = first + number * (step + step // 10)
        out.append([at, at + len(word), begin, begin + step])
    return out


def chunks() -> list[TimedChunk]:
    one = "Chapter Four.\n\nIt was nineteen fourteen. The bell rang."
    two = "Part One\n\nNobody came."
    return [TimedChunk(0, one, "CHAPTER IV.\n\nIt was 1914. The bell rang.",
                       timed(one, ["Chapter", "Four", "It", "was", "nineteen", "fourteen", "The", "bell", "rang"],
                             first=4800), start=0.5, first=2400, end=4.6),
            TimedChunk(1, two, "Part I\n\nNobody came.", timed(two, ["Part", "One", "Nobody", "came"]),
                       start=5.3, first=0, end=7.9)]


def test_sentences_get_book_time_and_the_clean_text_they_read():
    timings = book_timings(chunks(), BOOK, CHAPTERS, 8.0, RATE, "book.wav", "en")
    got = [(s.id, s.chapter, s.chunk, s.start, s.end, s.text, s.source_text) for s in timings.sentences]
    assert got == [
        ("s1", 0, 0, 0.6, 0.81, "Chapter Four.", "CHAPTER IV."),  # chunk start 0.5 s + (4800 - 2400) / 24000
        ("s2", 0, 0, 0.82, 1.25, "It was nineteen fourteen.", "It was 1914."),
        ("s3", 0, 0, 1.26, 1.58, "The bell rang.", "The bell rang."),
        ("s4", 1, 1, 5.3, 5.51, "Part One", None),  # the chunker's relabel: not in the book's text
        ("s5", 1, 1, 5.52, 5.73, "Nobody came.", "Nobody came."),
    ]
    for sentence in timings.sentences:
        if sentence.source:
            assert BOOK[slice(*sentence.source)] == sentence.source_text
    fourteen = timings.sentences[1].words[3]
    assert (fourteen.text, BOOK[slice(*fourteen.source)]) == ("fourteen", "1914")
    starts = [s.start for s in timings.sentences]
    assert starts == sorted(starts) and all(a.end <= b.start for a, b in zip(timings.sentences, timings.sentences[1:]))
    assert [c["start"] for c in timings.chapters] == [0.0, 5.0] and timings.duration == 8.0


def test_times_stay_inside_the_chunks_audio_and_untimed_chunks_give_no_sentences():
    one, two = chunks()
    early = TimedChunk(0, one.spoken, one.clean, [[0, 7, 0, 99999]], start=0.5, first=2400, end=1.0)
    empty = TimedChunk(1, two.spoken, two.clean, [], start=5.3, first=0, end=7.9)
    timings = book_timings([early, empty], BOOK, CHAPTERS, 8.0, RATE)
    assert [(s.start, s.end) for s in timings.sentences] == [(0.5, 1.0)]
