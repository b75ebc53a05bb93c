"""Word times from the model's phoneme durations: the arithmetic, the pairing of words and phonemes,
and the real engine (tiny model) giving every spoken word its samples."""

from types import SimpleNamespace

import numpy as np

from kokoro_narrator.synthesis.wordtimes import (Durations, english_spans, locate_words, paired_spans,
                                                 word_samples)


def test_durations_skip_the_characters_the_vocabulary_lacks():
    durations = Durations.from_prediction("ab?c", {"a": 1, "b": 2, "c": 3}, [2, 1, 3, 4, 5])
    assert (durations.lead, list(durations.chars), durations.tail) == (2, [1, 3, 0, 4], 5)
    assert durations.total == 15
    assert Durations.from_prediction("abc", {"a": 1, "b": 2, "c": 3}, [2, 1, 3]) is None  # not one per token


def test_a_word_spans_the_frames_of_its_phonemes_at_the_decoders_rate():
    durations = Durations(lead=5, chars=np.array([1, 3, 1, 2, 2]), tail=1)  # "ab cd": two words and a space
    loud = np.full(15 * 600, 0.5, dtype=np.float32)
    # 3 frames early: "ab" is frames 2..6, "cd" frames 7..11
    assert word_samples([(0, 2), (3, 5)], durations, loud) == [(1200, 3600), (4200, 6600)]
    assert word_samples([(0, 2)], durations, loud[:15 * 40]) == [(80, 240)]  # another decoder, same frames
    assert word_samples([(0, 2)], Durations(0, np.zeros(2, dtype=np.int64), 0), loud[:0]) == [(0, 0)]


def test_a_word_ends_a_frame_after_its_last_sound_not_at_the_end_of_the_pause_after_it():
    durations = Durations(lead=3, chars=np.array([2, 8]), tail=1)  # one word; its last phoneme holds a pause
    audio = np.zeros(14 * 600, dtype=np.float32)
    audio[:4 * 600] = 0.5  # two frames of sound after the start, then the pause
    assert word_samples([(0, 2)], durations, audio) == [(0, 4 * 600 + 600)]
    assert word_samples([(0, 2)], durations, np.zeros(14 * 600, dtype=np.float32)) == [(0, 6000)]  # all quiet: kept


def token(text, phonemes, whitespace=True):
    return SimpleNamespace(text=text, phonemes=phonemes, whitespace=whitespace)


def test_english_words_are_misakis_tokens_in_the_calls_phoneme_string():
    tokens = [token("Hello", "həlˈO", False), token(",", ","), token("Dr.", "dˈɑktəɹ"),
              token("Watson", "wˈɑtsən", False), token("!", "!", False)]
    phonemes = "həlˈO, dˈɑktəɹ wˈɑtsən!"
    spans = english_spans(tokens, phonemes)
    assert [(text, phonemes[a:b]) for text, a, b in spans] == [("Hello", "həlˈO"), ("Dr.", "dˈɑktəɹ"),
                                                               ("Watson", "wˈɑtsən")]


def test_other_languages_pair_words_one_to_one_or_by_their_letters():
    assert paired_spans("Hola, mundo.", "ˈola, mˈundo.") == [("Hola", 0, 4), ("mundo", 6, 12)]
    spans = paired_spans("Año 1914 fue", "ˈaɲo mˈil nobeθjˈentos katˈorθe fwˈe")  # a number read as four words
    assert [word for word, _, _ in spans] == ["Año", "1914", "fue"]
    assert [b <= c for (_, _, b), (_, c, _) in zip(spans, spans[1:])] == [True, True]  # in order, no overlap
    assert spans[0][1] == 0 and spans[-1][2] == len("ˈaɲo mˈil nobeθjˈentos katˈorθe fwˈe")


def test_words_are_found_in_the_chunk_text_in_order():
    text = "The cat saw the [Kokoro](/kˈOkəɹO/) and the cat."
    places, cursor = locate_words(text, ["The", "cat", "Kokoro", "cat", "missing"], 0)
    assert [text[a:b] if a >= 0 else None for a, b in places] == ["The", "cat", "Kokoro", "cat", None]
    assert places[3][0] > places[2][0] and cursor == places[3][1]


def test_the_tiny_model_times_every_word_it_speaks(tiny_engine):
    text = "Chapter Four.\n\nIt was 1914, and the [Kokoro](/kˈOkəɹO/) rang twice!"
    said = []
    for segment in tiny_engine.synthesize_chunk(text):
        starts = [begin for _, _, begin, _ in segment.words]
        assert starts == sorted(starts)
        for first, last, begin, end in segment.words:
            assert 0 <= begin < end <= len(segment.audio)
            said.append(text[first:last])
    assert said == ["Chapter", "Four", "It", "was", "1914", "and", "the", "Kokoro", "rang", "twice"]
