"""Captions: exact cues, clause cuts, escaping, word timestamps, the chapters track, PyAV reading them back."""

import re

import av
import pytest

from kokoro_narrator.sync.captions import stamp, write_captions
from kokoro_narrator.sync.timings import BookTimings, Sentence, Word

LONG = ("When the long grey morning finally came over the hills, the travellers, tired and cold and hungry, "
        "gathered their packs; and then, without a word to anyone, \"We go now,\" said the old guide to them all.")
CLEAN = f"CHAPTER IV.\n\nTom & Jerry met <Spike> at noon.\n\n{LONG}\n\nSilence.\n\nThe end."
CUE = re.compile(r"^(\d\d+:\d\d:\d\d[.,]\d{3}) --> (\d\d+:\d\d:\d\d[.,]\d{3})$")
STAMP = re.compile(r"<(\d\d+:\d\d:\d\d\.\d{3})>")


def sentence(part, start, end, sid, spoken=None, chapter=0):
    """The sentence of CLEAN that is part, its words spread evenly over [start, end)."""
    at = CLEAN.index(part)
    found = [(m.start() + at, m.end() + at, m.group()) for m in re.finditer(r"\w+", part)]
    step = (end - start) / len(found)
    words = tuple(Word(round(start + n * step, 3), round(start + (n + 1) * step, 3), text, (a, b))
                  for n, (a, b, text) in enumerate(found))
    return Sentence(sid, chapter, 0, start, end, spoken or part, (at, at + len(part)), part, words)


def heading():
    """Shown "CHAPTER IV.", spoken "Chapter Four."."""
    return Sentence("s1", 0, 0, 0.5, 1.6, "Chapter Four.", (0, 11), "CHAPTER IV.",
                    (Word(0.5, 0.9, "Chapter", (0, 7)), Word(0.9, 1.5, "Four", (8, 10))))


def spoken_only():
    """No source: the spoken text is shown."""
    return Sentence("s5", 1, 1, 17.0, 18.2, "The end.", None, None,
                    (Word(17.0, 17.6, "The"), Word(17.6, 18.1, "end")))


def book(*sentences):
    sentences = sentences or (heading(), sentence("Tom & Jerry met <Spike> at noon.", 2.0, 4.0, "s2"),
                              sentence(LONG, 4.5, 16.0, "s3"), sentence("Silence.", 16.5, 16.5, "s4"), spoken_only())
    chapters = ({"index": 0, "title": "Chapter IV", "level": 1, "parent": None, "start": 0.0, "end": 16.8},
                {"index": 1, "title": "The  End & <After>", "level": 1, "parent": None, "start": 16.8, "end": 18.5})
    return BookTimings(18.5, chapters, tuple(sentences), "book.wav", "en")


def cues(path):
    """(start, end, text) per cue of a VTT or SRT file, as written."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and not text.endswith("\n\n")
    blocks = text[:-1].split("\n\n")
    if path.suffix == ".vtt":
        assert blocks.pop(0) == "WEBVTT"
    found = []
    for number, block in enumerate(filter(None, blocks), 1):
        lines = block.split("\n")
        if path.suffix == ".srt":
            assert lines.pop(0) == str(number)
        start, end = CUE.match(lines[0]).groups()
        found.append((start, end, "\n".join(lines[1:])))
    return found


def ms(stamped):
    hours, minutes, seconds = re.split(r"[:]", stamped.replace(",", "."))
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)


def test_one_cue_per_sentence_with_the_books_own_text_escaped_in_vtt_and_plain_in_srt(tmp_path):
    paths = write_captions(book(), tmp_path / "Book", ["vtt", "srt"], clean_text=CLEAN)
    assert paths == [tmp_path / "Book.vtt", tmp_path / "Book.srt", tmp_path / "Book.chapters.vtt"]
    vtt, srt = cues(paths[0]), cues(paths[1])
    assert vtt[:2] == [("00:00:00.500", "00:00:01.600", "CHAPTER IV."),
                       ("00:00:02.000", "00:00:04.000", "Tom &amp; Jerry met &lt;Spike&gt; at noon.")]
    assert vtt[-1] == ("00:00:17.000", "00:00:18.200", "The end.")
    assert srt[:2] == [("00:00:00,500", "00:00:01,600", "CHAPTER IV."),
                       ("00:00:02,000", "00:00:04,000", "Tom & Jerry met <Spike> at noon.")]
    assert [text.replace("\n", " ") for *_, text in srt] == [text.replace("\n", " ").replace("&amp;", "&")
                                                             .replace("&lt;", "<").replace("&gt;", ">")
                                                             for *_, text in vtt]
    assert not any("Silence" in text for *_, text in vtt)  # start == end: no cue
    for path in paths:
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and raw.endswith(b"\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Book.chapters.vtt", "Book.srt", "Book.vtt"]


def test_a_long_sentence_is_cut_at_clauses_into_readable_timed_pieces(tmp_path):
    vtt = cues(write_captions(book(), tmp_path / "Book", ["vtt"], clean_text=CLEAN)[0])
    pieces = vtt[2:-1]
    assert len(LONG) == 201 and len(pieces) == 3
    assert " ".join(text.replace("\n", " ") for *_, text in pieces) == LONG
    for start, end, text in pieces:
        assert len(text.replace("\n", " ")) <= 84
        assert len(text.split("\n")) <= 2 and all(len(line) <= 42 for line in text.split("\n"))
        assert text.replace("\n", " ").rstrip("\"").endswith((",", ";", "."))  # cut after a clause
    assert pieces[0][0] == "00:00:04.500" and pieces[-1][1] == "00:00:16.000"
    words = sentence(LONG, 4.5, 16.0, "s3").words
    second = pieces[1][2].split()[0]
    assert ms(pieces[1][0]) == round(next(w.start for w in words if w.text == second) * 1000)


def test_cue_times_are_monotonic_and_never_overlap(tmp_path):
    overlapping = book(sentence("Tom & Jerry met <Spike> at noon.", 2.0, 4.0, "s2"),
                       sentence("Silence.", 3.5, 5.0, "s4"), sentence("The end.", 4.0, 4.8, "s5"))
    for path in write_captions(overlapping, tmp_path / "Book", ["vtt", "srt"], clean_text=CLEAN)[:2]:
        times = [(ms(start), ms(end)) for start, end, _ in cues(path)]
        assert times == [(2000, 4000), (4000, 5000)]  # clamped to the cue before; the third is left with no time
    longer = [(ms(start), ms(end)) for start, end, _ in cues(write_captions(book(), tmp_path / "B", ["vtt"])[0])]
    assert all(start < end for start, end in longer)
    assert all(end <= following for (_, end), (following, _) in zip(longer, longer[1:]))


def test_words_put_strictly_increasing_timestamps_inside_each_vtt_cue(tmp_path):
    plain = cues(write_captions(book(), tmp_path / "Plain", ["vtt"], clean_text=CLEAN)[0])
    timed = cues(write_captions(book(), tmp_path / "Timed", ["vtt"], words=True, clean_text=CLEAN)[0])
    assert [STAMP.sub("", text) for *_, text in timed] == [text for *_, text in plain]
    assert timed[0][2] == "CHAPTER <00:00:00.900>IV."
    assert timed[1][2].startswith("Tom &amp; <00:00:02.333>Jerry <00:00:02.667>met <00:00:03.000>&lt;Spike&gt;")
    assert sum(len(STAMP.findall(text)) for *_, text in timed) > 30
    for start, end, text in timed:
        stamps = [ms(found) for found in STAMP.findall(text)]
        assert all(a < b for a, b in zip([ms(start), *stamps], [*stamps, ms(end)]))


def test_words_give_srt_a_cue_per_small_group_of_words(tmp_path):
    srt = cues(write_captions(book(), tmp_path / "Book", ["srt"], words=True, clean_text=CLEAN)[0])
    assert srt[:3] == [("00:00:00,500", "00:00:01,500", "CHAPTER IV."),
                       ("00:00:02,000", "00:00:03,000", "Tom & Jerry met"),
                       ("00:00:03,000", "00:00:04,000", "<Spike> at noon.")]
    for _, _, text in srt:
        assert len(re.findall(r"\w+", text)) <= 3 and len(text) <= 20
    assert " ".join(text for *_, text in srt[3:-1]) == LONG
    times = [(ms(start), ms(end)) for start, end, _ in srt]
    assert all(a < b <= c for (a, b), (c, _) in zip(times, times[1:]))


def test_the_chapters_track_has_a_cue_per_chapter(tmp_path):
    path = write_captions(book(), tmp_path / "Book", ["srt"])[-1]
    assert path.name == "Book.chapters.vtt"
    assert path.read_text(encoding="utf-8") == ("WEBVTT\n\n00:00:00.000 --> 00:00:16.800\nChapter IV\n\n"
                                                "00:00:16.800 --> 00:00:18.500\nThe End &amp; &lt;After&gt;\n")


def test_without_clean_text_the_sentences_own_source_text_places_the_pieces(tmp_path):
    with_clean = write_captions(book(), tmp_path / "A", ["vtt", "srt"], words=True, clean_text=CLEAN)
    without = write_captions(book(), tmp_path / "B", ["vtt", "srt"], words=True)
    assert [p.read_text() for p in with_clean] == [p.read_text() for p in without]


def test_words_with_no_place_in_the_text_fall_back_to_the_spoken_words(tmp_path):
    lost = sentence(LONG, 4.5, 16.0, "s3")
    lost = Sentence("s3", 0, 0, 4.5, 16.0, lost.text, lost.source, lost.source_text,
                    tuple(Word(w.start, w.end, w.text) for w in lost.words))
    short = Sentence("s2", 0, 0, 2.0, 4.0, "Tom and Jerry.", (14, 46), "Tom & Jerry met <Spike> at noon.",
                     (Word(2.0, 2.5, "Tom"), Word(2.5, 3.0, "and"), Word(3.0, 4.0, "Jerry")))
    vtt = cues(write_captions(book(short, lost), tmp_path / "Book", ["vtt"], words=True, clean_text=CLEAN)[0])
    assert vtt[0] == ("00:00:02.000", "00:00:04.000", "Tom &amp; Jerry met &lt;Spike&gt; at noon.")  # fits: shown
    pieces = [text.replace("\n", " ") for *_, text in vtt[1:]]
    assert len(pieces) >= 3 and all(len(STAMP.sub("", piece)) <= 84 for piece in pieces)
    assert STAMP.sub("", " ".join(pieces)) == " ".join(re.findall(r"\w+", LONG))


def test_cue_text_never_holds_an_arrow_or_a_blank_line_and_hours_pass_99(tmp_path):
    odd = Sentence("s1", 0, 0, 360000.0, 360001.25, "a --> b\n\n c", None, None, ())
    paths = write_captions(book(odd), tmp_path / "Book", ["vtt", "srt"])
    assert cues(paths[0]) == [("100:00:00.000", "100:00:01.250", "a -&gt; b c")]
    assert cues(paths[1]) == [("100:00:00,000", "100:00:01,250", "a -> b c")]
    assert stamp(3_723_004, ",") == "01:02:03,004"


def test_kinds_decide_the_files(tmp_path):
    assert write_captions(book(), tmp_path / "Book", []) == []
    with pytest.raises(ValueError, match="unknown caption kinds"):
        write_captions(book(), tmp_path / "Book", ["vtt", "ass"])
    assert list(tmp_path.iterdir()) == []
    assert write_captions(book(), tmp_path / "Mr. Book", ["srt", "srt"]) == [tmp_path / "Mr. Book.srt",
                                                                             tmp_path / "Mr. Book.chapters.vtt"]


@pytest.mark.parametrize("words", [False, True])
def test_pyav_reads_the_captions_back(tmp_path, words):
    timings = book()
    for path in write_captions(timings, tmp_path / "Book", ["vtt", "srt"], words=words, clean_text=CLEAN):
        written = cues(path)
        with av.open(str(path)) as container:
            stream = container.streams.subtitles[0]
            packets = [packet for packet in container.demux(stream) if packet.size]
            texts = [sub.dialogue.decode() for packet in packets for sub in packet.decode()]
        assert len(packets) == len(texts) == len(written)
        assert [round(p.pts * p.time_base * 1000) for p in packets] == [ms(start) for start, _, _ in written]
        assert [round((p.pts + p.duration) * p.time_base * 1000) for p in packets] == [ms(end) for _, end, _ in written]
        if path.name == "Book.vtt":
            assert packets[0].pts * packets[0].time_base * 1000 == round(timings.sentences[0].start * 1000)
            assert texts[1] == "Tom & Jerry met <Spike> at noon."  # unescaped, inline timestamps dropped
            assert not any("<0" in text for text in texts)


@pytest.mark.parametrize("words", [False, True])
def test_words_with_no_time_at_a_trimmed_edge_keep_their_text_in_the_captions(tmp_path, words):
    # The chunk's end trimmed the last words to nothing (book.py clamps them to the chunk's end): their text
    # stays in a cue, in the long sentence's last piece and the SRT's last word group alike.
    timed = sentence(LONG, 4.5, 16.0, "s3")
    cut = len(timed.words) - 8
    zero = tuple(w if n < cut else Word(16.0, 16.0, w.text, w.source) for n, w in enumerate(timed.words))
    long_ = Sentence("s3", 0, 0, 4.5, 16.0, LONG, timed.source, LONG, zero)
    alone = Sentence("s4", 0, 0, 16.5, 17.0, "Silence.", (CLEAN.index("Silence."), CLEAN.index("Silence.") + 8),
                     "Silence.", (Word(16.5, 16.5, "Silence", (CLEAN.index("Silence."), CLEAN.index("Silence.") + 7)),))
    for path in write_captions(book(long_, alone), tmp_path / "Book", ["vtt", "srt"], words, CLEAN)[:2]:
        shown = " ".join(" ".join(text.split()) for _, _, text in cues(path))
        assert re.sub(r"<[^>]*>", "", shown).endswith('"We go now," said the old guide to them all. Silence.'), path
