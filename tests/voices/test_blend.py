"""Voice blends: parsed, checked with errors that name the part, mixed as the weighted mean of the packs."""

import pytest
import torch

from kokoro_narrator.voices import BlendError, canonical_voice, mix, parse_blend


def test_a_blend_is_written_with_weights_or_equal_parts():
    assert parse_blend("af_bella*0.6 + af_sky*0.4").parts == (("af_bella", 0.6), ("af_sky", 0.4))
    assert parse_blend("af_bella+af_sky").parts == (("af_bella", 1.0), ("af_sky", 1.0))
    assert canonical_voice(" af_bella * 0.6+ af_sky*0.4 ") == "af_bella*0.6+af_sky*0.4"
    assert canonical_voice("af_bella*2+af_sky*2") == "af_bella+af_sky"
    assert canonical_voice("af_heart") == "af_heart"


@pytest.mark.parametrize("written, says", [
    ("af_bella*0+af_sky", "af_bella: weight 0 must be a number above 0"),
    ("af_bella*-1+af_sky", "af_bella: weight -1 must be a number above 0"),
    ("af_bella*x+af_sky", "af_bella: weight 'x' is not a number"),
    ("af_bella*nan+af_sky", "af_bella: weight nan must be a number above 0"),
    ("af_bella++af_sky", "'(empty)' is not `voice` or `voice*weight`"),
    ("af_bella+af_bella", "a voice is named twice in the blend: af_bella"),
])
def test_a_bad_blend_says_which_part_is_wrong(written, says):
    with pytest.raises(BlendError) as error:
        parse_blend(written)
    assert says in str(error.value)


def test_the_mix_is_the_weighted_mean_of_the_packs():
    a, b = torch.full((510, 1, 256), 1.0), torch.full((510, 1, 256), 4.0)
    assert torch.equal(mix([a, b], [0.6, 0.4]), torch.full((510, 1, 256), 1.0 * 0.6 + 4.0 * 0.4))
    assert torch.allclose(mix([a, b], [3, 1]), torch.full((510, 1, 256), 1.75))
    with pytest.raises(BlendError, match="different shapes"):
        mix([a, torch.ones(10, 1, 256)], [1, 1])


def test_the_engine_speaks_a_blend_as_the_mean_of_its_packs(tiny_engine, tmp_path):
    import dataclasses
    import shutil

    from kokoro_narrator.synthesis import EngineError, KokoroEngine

    voices = tmp_path / "voices"
    shutil.copytree(tiny_engine.settings.voices_dir, voices)
    torch.manual_seed(7)
    torch.save(torch.randn(510, 1, 256) * 0.1, voices / "other.pt")
    engine = KokoroEngine(dataclasses.replace(tiny_engine.settings, voices_dir=voices), tiny_engine.acoustic,
                          tiny_engine.pipeline, "cpu", "cpu", 0.0)
    one, two = engine.voice_pack("tiny_voice"), engine.voice_pack("other")
    assert torch.equal(engine.voice_pack("tiny_voice*0.25+other*0.75"), one * 0.25 + two * 0.75)
    blended = b"".join(s.audio.tobytes() for s in engine.synthesize_chunk("A blend of two voices.", "tiny_voice+other"))
    alone = b"".join(s.audio.tobytes() for s in engine.synthesize_chunk("A blend of two voices.", "tiny_voice"))
    assert blended and blended != alone
    with pytest.raises(EngineError, match="voice 'tiny_voice\\+nobody'.*nobody"):
        engine.voice_pack("tiny_voice+nobody")
