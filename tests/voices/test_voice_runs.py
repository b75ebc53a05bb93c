"""Voices switching inside a chunk: utterances never cross a voice's edge, the engine speaks each run
with its voice, and a chunk killed midway resumes byte for byte."""

import dataclasses
import shutil

import pytest
import torch

from kokoro_narrator.synthesis.g2p import split_utterances

TEXT = ('The lamp was lit. "Come in, come in. Sit by the fire," said the keeper. She sat down.\n\n'
        '"Thank you," she said.')


def spans(text, *quoted, voice="dialogue"):
    out = []
    for piece in quoted:
        at = text.index(piece)
        out.append((at, at + len(piece), voice))
    return out


def test_utterances_are_cut_where_the_voice_changes_and_packed_inside_one_voice():
    voices = spans(TEXT, '"Come in, come in. Sit by the fire,"', '"Thank you,"')
    got = [(u.text, u.voice, u.ends_paragraph) for u in split_utterances(TEXT, r"\n+", voices=voices)]
    assert got == [("The lamp was lit.", None, False),
                   ('"Come in, come in. Sit by the fire,"', "dialogue", False),  # two sentences, one utterance
                   ("said the keeper. She sat down.", None, True),
                   ('"Thank you,"', "dialogue", False),
                   ("she said.", None, True)]
    assert [u.text for u in split_utterances(TEXT, r"\n+")] == [  # without voices: as before
        'The lamp was lit. "Come in, come in. Sit by the fire," said the keeper. She sat down.',
        '"Thank you," she said.']


@pytest.fixture
def two_voices(tiny_engine, tmp_path):
    from kokoro_narrator.synthesis import KokoroEngine

    voices = tmp_path / "voices"
    shutil.copytree(tiny_engine.settings.voices_dir, voices)
    torch.manual_seed(11)
    torch.save(torch.randn(510, 1, 256) * 0.1, voices / "dialogue.pt")
    settings = dataclasses.replace(tiny_engine.settings, voices_dir=voices)
    return KokoroEngine(settings, tiny_engine.acoustic, tiny_engine.pipeline, "cpu", "cpu", 0.0)


def test_the_engine_speaks_each_run_with_its_voice_and_resumes_inside_a_run(two_voices):
    voices = spans(TEXT, '"Come in, come in. Sit by the fire,"', '"Thank you,"')
    segments = list(two_voices.synthesize_chunk(TEXT, "tiny_voice", voices=voices))
    assert [s.voice for s in segments] == ["tiny_voice", "dialogue", "tiny_voice", "dialogue", "tiny_voice"]
    alone = list(two_voices.synthesize_chunk('"Thank you,"', "dialogue"))
    assert segments[3].audio.tobytes() != alone[0].audio.tobytes()  # seeded by its place in the chunk
    resumed = list(two_voices.synthesize_chunk(TEXT, "tiny_voice", start=3, voices=voices))
    assert [s.audio.tobytes() for s in resumed] == [s.audio.tobytes() for s in segments[3:]]


def test_a_quotation_in_the_narrators_own_voice_is_not_cut_out(two_voices):
    voices = spans(TEXT, '"Come in, come in. Sit by the fire,"', '"Thank you,"', voice="tiny_voice")
    segments = list(two_voices.synthesize_chunk(TEXT, "tiny_voice", voices=voices))
    plain = list(two_voices.synthesize_chunk(TEXT, "tiny_voice"))
    assert [s.text for s in segments] == [s.text for s in plain] and len(segments) == 2
    assert [s.audio.tobytes() for s in segments] == [s.audio.tobytes() for s in plain]
