"""Encoders: M4B, Opus and MP3 from a WAV, read back with the library that did not write each part.

PyAV writes the audio, chapters and text tags, mutagen the cover (and MP3's COMM): so
chapters and tags are read here with mutagen, covers with PyAV, durations with both.
"""

import base64

import av
import numpy as np
import pytest
import soundfile as sf
from mutagen.flac import Picture
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from kokoro_narrator.audio import encode
from kokoro_narrator.audio.encode import Chapter, EncodeError, EncoderMissing, Tags, encode_book, probe_seconds

from support.images import png

RATE = 24000
CODEC_FRAME = {"m4b": 1024 / RATE, "opus": 0.02, "mp3": 1152 / RATE}
"""One frame of each codec: chapter marks and durations may be off by this much."""
CHAPTERS = [Chapter("Chapter One", 0.0, 2.5), Chapter("Chapter Two", 3.0, 5.5), Chapter("Deux: l'été", 5.975, 8.0)]
"""The last mark has 975 ms: FFmpeg's Ogg muxer would write it a second late."""


@pytest.fixture
def book(tmp_path):
    t = np.arange(8 * RATE) / RATE
    audio = (0.2 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 0.5 * t) > -0.5)).astype(np.float32)
    wav = tmp_path / "book.wav"
    sf.write(wav, audio, RATE, subtype="PCM_16")
    cover = tmp_path / "cover.png"
    cover.write_bytes(png())
    tags = Tags("A Tale", ("Ann Author", "Bo Writer"), "en-GB", "Read by Kokoro-82M, voice af_heart", cover)
    return wav, tags


def test_m4b_has_chapters_tags_audiobook_kind_and_cover(book, tmp_path):
    wav, tags = book
    out = tmp_path / "book.m4b"
    assert encode_book(wav, out, "m4b", tags, CHAPTERS) == []
    m4b = MP4(out)
    assert [c.title for c in m4b.chapters] == [c.title for c in CHAPTERS]
    for read, wrote in zip(m4b.chapters, CHAPTERS):
        assert read.start == pytest.approx(wrote.start, abs=CODEC_FRAME["m4b"])
    assert m4b["©nam"] == ["A Tale"] and m4b["©alb"] == ["A Tale"] and m4b["©gen"] == ["Audiobook"]
    assert m4b["©ART"] == ["Ann Author; Bo Writer"] and m4b["©cmt"] == [tags.comment]
    assert m4b["stik"] == [2]
    assert bytes(m4b["covr"][0]) == tags.cover.read_bytes()
    with av.open(str(out)) as container:  # the cover and chapters, as FFmpeg's demuxer (ffprobe) sees them
        assert [c["metadata"]["title"] for c in container.chapters()] == [c.title for c in CHAPTERS]
        audio = container.streams.audio[0]
        assert audio.metadata.get("language") == "eng"
        pictures = [s for s in container.streams.video if s.disposition & av.stream.Disposition.attached_pic]
        assert len(pictures) == 1
    # AAC's priming is in an edit list that FFmpeg honours and mutagen does not
    assert probe_seconds(out) == pytest.approx(8.0, abs=CODEC_FRAME["m4b"])
    assert m4b.info.length == pytest.approx(8.0, abs=3 * CODEC_FRAME["m4b"])


def test_opus_has_chapter_comments_tags_and_a_cover_picture(book, tmp_path):
    wav, tags = book
    out = tmp_path / "book.opus"
    encode_book(wav, out, "opus", tags, CHAPTERS)
    opus = OggOpus(out)
    assert opus.info.length == pytest.approx(8.0, abs=CODEC_FRAME["opus"])
    assert opus["title"] == ["A Tale"] and opus["album"] == ["A Tale"] and opus["genre"] == ["Audiobook"]
    assert opus["artist"] == ["Ann Author; Bo Writer"] and opus["language"] == ["eng"]
    names = [opus[f"chapter{n:03d}name"][0] for n in range(1, len(CHAPTERS) + 1)]
    assert names == [c.title for c in CHAPTERS]
    for n, chapter in enumerate(CHAPTERS, start=1):
        h, m, s = opus[f"chapter{n:03d}"][0].split(":")
        assert int(h) * 3600 + int(m) * 60 + float(s) == pytest.approx(chapter.start, abs=CODEC_FRAME["opus"])
    picture = Picture(base64.b64decode(opus["metadata_block_picture"][0]))
    assert picture.type == 3 and picture.mime == "image/png" and picture.data == tags.cover.read_bytes()
    with av.open(str(out)) as container:  # FFmpeg's demuxer reads the comments as chapters
        assert [c["start"] / 1000 for c in container.chapters()] == pytest.approx([c.start for c in CHAPTERS])
    decoded, rate = sf.read(out)  # libsndfile's own Opus decoder
    assert len(decoded) / rate == pytest.approx(8.0, abs=CODEC_FRAME["opus"])


def test_mp3_has_id3_chapters_a_table_of_contents_comment_and_cover(book, tmp_path):
    wav, tags = book
    out = tmp_path / "book.mp3"
    encode_book(wav, out, "mp3", tags, CHAPTERS)
    id3 = ID3(out)
    chaps = sorted(id3.getall("CHAP"), key=lambda c: c.start_time)
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [c.title for c in CHAPTERS]
    assert [c.start_time / 1000 for c in chaps] == pytest.approx([c.start for c in CHAPTERS], abs=CODEC_FRAME["mp3"])
    toc = id3.getall("CTOC")
    assert len(toc) == 1 and len(toc[0].child_element_ids) == len(CHAPTERS)
    assert id3["TIT2"].text == ["A Tale"] and id3["TALB"].text == ["A Tale"] and id3["TCON"].text == ["Audiobook"]
    assert id3["TLAN"].text == ["eng"] and id3.getall("COMM")[0].text == [tags.comment]
    assert id3.getall("APIC")[0].data == tags.cover.read_bytes()
    assert MP3(out).info.length == pytest.approx(8.0, abs=3 * CODEC_FRAME["mp3"])


def test_a_cover_that_is_not_jpeg_or_png_is_a_warning_and_the_file_is_still_made(book, tmp_path):
    wav, tags = book
    gif = tmp_path / "cover.gif"
    gif.write_bytes(b"GIF89a" + b"\x00" * 20)
    out = tmp_path / "book.m4b"
    warnings = encode_book(wav, out, "m4b", Tags(tags.title, cover=gif), CHAPTERS)
    assert warnings and "not a JPEG or PNG" in warnings[0]
    assert "covr" not in MP4(out)


def test_a_missing_encoder_says_what_to_install_and_leaves_no_file(book, tmp_path, monkeypatch):
    wav, tags = book

    def no_pyav():
        raise EncoderMissing(f"PyAV is not installed; {encode.INSTALL_HINT}")

    monkeypatch.setattr(encode, "_av", no_pyav)
    with pytest.raises(EncoderMissing, match="encoders"):
        encode_book(wav, tmp_path / "book.opus", "opus", tags, CHAPTERS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.wav", "cover.png"]


def test_an_unknown_format_is_refused(book, tmp_path):
    wav, tags = book
    with pytest.raises(EncodeError, match="unknown format 'flac'"):
        encode_book(wav, tmp_path / "book.flac", "flac", tags, CHAPTERS)
