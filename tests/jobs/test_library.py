"""`[output] layout = "library"`: the outbox as an Audiobookshelf library (jobs/library.py).

Books are made by the tone provider through the runner and published as WAV and M4B; the tree, the
files Audiobookshelf reads (metadata.json, desc.txt, reader.txt, cover) and the M4B's tags are read back.
"""

import json
import os
import unicodedata
from pathlib import Path

import pytest
from mutagen.mp4 import MP4

from kokoro_narrator.inbox.afterwards import output_paths
from kokoro_narrator.jobs import library
from kokoro_narrator.jobs.publish import export_book
from kokoro_narrator.jobs.runner import JobRunner
from kokoro_narrator.jobs.store import JobStore

from support.config import build_config
from support.images import png
from support.jobs import add_book
from support.providers import ToneProvider

BOOK = "\n\n".join(
    f"CHAPTER {n}\n\n" + "\n\n".join(f"Paragraph {p} of the {n} story. It has two sentences." for p in range(1, 5))
    for n in ("I", "II", "III"))
LIBRARY = {"layout": "library", "formats": ("wav", "m4b")}


def make(tmp_path, metadata=None, name="tale.txt", text=BOOK, output=None, cover=True):
    """Publish one book (its metadata recorded as the book reader would) and return (config, store, job)."""
    config = build_config(tmp_path, jobs={"max_chunk_chars": 300}, output=output or LIBRARY)
    store = JobStore(config.paths.jobs)
    job, _ = add_book(store, name, text, config)
    if metadata is not None:
        if cover:
            (store.folder(job) / "cover.png").write_bytes(png(4, 4))
            metadata = {"cover": "cover.png", **metadata}
        job.source["metadata"] = metadata
        store.save(job)
    job = JobRunner(store, config, ToneProvider(), space_wait_seconds=0.01, space_margin=0).run(job)
    assert job.status == "done", job.error
    return config, store, job


def tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def series_book(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("library")
    metadata = {"title": "A Tale: of Three", "authors": ["Ann Author", "Bob Writer"], "language": "en",
                "series": "Tales", "series_index": 2.0, "description": "Three short parts.\nRead aloud."}
    return make(tmp_path, metadata)


def test_a_book_with_a_series_goes_to_author_series_title(series_book):
    config, store, job = series_book
    folder = config.paths.outbox / "Ann Author & Bob Writer" / "Tales" / "A Tale - of Three"
    assert tree(config.paths.outbox) == sorted(str(p.relative_to(config.paths.outbox)) for p in (
        folder / ".A Tale - of Three.wav", folder / "A Tale - of Three.m4b", folder / "A Tale - of Three.json",
        folder / "A Tale - of Three.timings.json", folder / "metadata.json", folder / "cover.png",
        folder / "desc.txt", folder / "reader.txt"))
    assert job.output["folder"] == str(folder) and job.output["listen"] == "m4b"
    assert job.output["wav"] == str(folder / ".A Tale - of Three.wav")
    book = json.loads((folder / "A Tale - of Three.json").read_text())
    assert book["layout"] == "library" and book["folder"] == str(folder) and book["listen_format"] == "m4b"
    assert {f["format"]: f["path"] for f in book["files"]} == job.output["files"]


def test_metadata_json_is_audiobookshelf_s_schema(series_book):
    config, store, job = series_book
    folder = config.paths.outbox / "Ann Author & Bob Writer" / "Tales" / "A Tale - of Three"
    data = json.loads((folder / "metadata.json").read_text())
    book = json.loads((folder / "A Tale - of Three.json").read_text())
    assert data["title"] == "A Tale: of Three" and data["authors"] == ["Ann Author", "Bob Writer"]
    assert data["narrators"] == [job.settings["voice"]] and data["series"] == ["Tales #2"]
    assert data["language"] == "en" and data["description"] == "Three short parts.\nRead aloud."
    assert data["abridged"] is False and data["tags"] == [] and data["genres"] == []
    assert [c["id"] for c in data["chapters"]] == [0, 1, 2]
    assert [(c["start"], c["end"], c["title"]) for c in data["chapters"]] == \
        [(c["start_seconds"], c["end_seconds"], c["title"]) for c in book["chapters"]]
    assert data["chapters"][-1]["end"] == book["audio_seconds"]
    assert set(data) <= {"tags", "title", "subtitle", "authors", "narrators", "series", "genres", "publishedYear",
                         "publishedDate", "publisher", "description", "isbn", "asin", "language", "explicit",
                         "abridged", "chapters"}  # abmetadataGenerator.js's book keys


def test_desc_reader_and_cover_beside_the_book(series_book):
    config, store, job = series_book
    folder = config.paths.outbox / "Ann Author & Bob Writer" / "Tales" / "A Tale - of Three"
    assert (folder / "desc.txt").read_text() == "Three short parts.\nRead aloud.\n"
    assert (folder / "reader.txt").read_text() == job.settings["voice"] + "\n"
    assert (folder / "cover.png").read_bytes() == (store.folder(job) / "cover.png").read_bytes()


def test_the_m4b_names_author_title_and_narrator(series_book):
    config, store, job = series_book
    folder = config.paths.outbox / "Ann Author & Bob Writer" / "Tales" / "A Tale - of Three"
    m4b = MP4(folder / "A Tale - of Three.m4b")
    assert m4b["©ART"] == ["Ann Author; Bob Writer"] and m4b["©alb"] == ["A Tale: of Three"]
    assert m4b["©wrt"] == [job.settings["voice"]]  # composer: Audiobookshelf's narrator
    assert len(m4b.chapters) == 3


def test_the_hook_and_status_get_the_library_paths(series_book):
    config, store, job = series_book
    folder = config.paths.outbox / "Ann Author & Bob Writer" / "Tales" / "A Tale - of Three"
    paths = output_paths(job)
    assert all(os.path.isfile(p) and os.path.dirname(p) == str(folder) for p in paths)
    assert {os.path.basename(p) for p in paths} >= {"A Tale - of Three.m4b", ".A Tale - of Three.wav", "metadata.json",
                                                    "cover.png", "desc.txt", "reader.txt", "A Tale - of Three.json"}


def test_export_works_in_a_library_folder(tmp_path):
    config, store, job = make(tmp_path, {"title": "Export Me", "authors": ["Ann"]}, output={"layout": "library"})
    folder = config.paths.outbox / "Ann" / "Export Me"
    assert job.output["listen"] == "wav" and (folder / "Export Me.wav").is_file()  # the only audio: shown
    files, warnings = export_book(folder / "Export Me.json", ["mp3"])
    assert warnings == [] and files[0]["path"] == str(folder / ".Export Me.mp3")  # one audio file shown
    assert (folder / ".Export Me.mp3").is_file()
    book = json.loads((folder / "Export Me.json").read_text())
    assert [f["format"] for f in book["files"]][:1] == ["wav"] and "mp3" in [f["format"] for f in book["files"]]


def test_no_metadata_gives_unknown_author_and_the_file_name(tmp_path):
    config, store, job = make(tmp_path, name="plain tale.txt")
    folder = config.paths.outbox / "Unknown Author" / "plain tale"
    assert job.output["folder"] == str(folder)
    assert sorted(p.name for p in folder.iterdir()) == [".plain tale.wav", "metadata.json", "plain tale.json",
                                                       "plain tale.m4b", "plain tale.timings.json", "reader.txt"]
    data = json.loads((folder / "metadata.json").read_text())
    assert data["title"] == "plain tale" and data["authors"] == [] and data["description"] is None


def test_a_clash_with_another_book_is_numbered_and_the_same_job_keeps_its_folder(tmp_path):
    metadata = {"title": "Same Title", "authors": ["Ann"]}
    config, store, first = make(tmp_path, metadata)
    _, _, second = make(tmp_path, metadata, name="other.txt", text=BOOK.replace("two", "2"))
    assert first.output["folder"] == str(config.paths.outbox / "Ann" / "Same Title")
    assert second.output["folder"] == str(config.paths.outbox / "Ann" / "Same Title (2)")
    assert (config.paths.outbox / "Ann" / "Same Title (2)" / "Same Title (2).m4b").is_file()
    assert library.book_folder(first, config.paths.outbox, "Same Title", ["Ann"]) == Path(first.output["folder"])


def test_a_book_folder_never_takes_a_series_folder_nor_the_reverse(tmp_path):
    outbox = tmp_path / "outbox"
    config, store, job = make(tmp_path, {"title": "Dune", "authors": ["Frank"]})
    _, _, sequel = make(tmp_path, {"title": "Messiah", "authors": ["Frank"], "series": "Dune"}, name="m.txt",
                        text=BOOK.replace("two", "2"))
    assert Path(sequel.output["folder"]) == outbox / "Frank" / "Dune (2)" / "Messiah"


HOSTILE = ["a/b", "..", ".hidden", "CON", "con.txt", "LPT1", "trailing dots...", "spaces   ", "$(touch x)",
           "tab\there\nnew\x00line\x1b[31m", 'win<>:"\\|?*chars', "é" * 150 + "x" * 50, "CD 1", "disc2",
           "@eaDir", "\u202eevil", "\udcff bytes", "", "   ", "...", "a" * 300]


@pytest.mark.parametrize("text", HOSTILE)
def test_folder_names_are_safe_everywhere(text):
    for name in (library.title_name(text), library.author_name([text]), library.safe_name(text, "x")):
        assert name and name == name.strip() and not name.startswith(".") and not name.endswith(".")
        assert not set(name) & set('<>:"/\\|?*') and len(name.encode("utf-8")) <= library.FOLDER_MAX
        assert all(unicodedata.category(ch)[0] != "C" for ch in name)
        assert name.partition(".")[0].upper() not in library.RESERVED and "@eaDir" not in name
    assert not library.DISC_FOLDER.match(library.title_name(text))
    assert len(library.title_name(text).encode()) <= library.FOLDER_MAX - library.NUMBER_ROOM


def test_hostile_titles_and_authors_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    title = "$(touch x)/" + "ü" * 150 + "..."
    config, store, job = make(tmp_path, {"title": title, "authors": ["../..", "CON"]}, cover=False)
    folder = Path(job.output["folder"])
    assert folder.parent.parent == config.paths.outbox and folder.parent.name == "_.. & CON"
    assert folder.name.startswith("$(touch x)_üü") and len(folder.name.encode()) <= 193
    assert not (tmp_path / "x").exists() and not list(tmp_path.rglob("x"))
    assert json.loads((folder / "metadata.json").read_text())["title"] == title  # the title itself, unchanged
    for number, dangerous in enumerate(("..", "CON", "a/b")):
        _, _, other = make(tmp_path / str(number), {"title": dangerous, "authors": [dangerous]}, cover=False)
        path = Path(other.output["folder"])
        assert path.parent.parent == tmp_path / str(number) / "outbox" and path.is_dir()
        assert path.name == {"..": "Untitled", "CON": "CON_", "a/b": "a_b"}[dangerous]


def test_settle_listening_shows_the_wav_when_the_m4b_was_not_made(tmp_path):
    name = tmp_path / "Book.wav"
    hidden = library.audio_path(name, "wav", "m4b")
    hidden.write_bytes(b"RIFF")
    files = [{"format": "wav", "path": str(hidden)}]
    assert library.settle_listening(files, name, "m4b") == "wav"
    assert name.is_file() and not hidden.exists() and files[0]["path"] == str(name)


def test_series_forms():
    assert library.series_of({"series": "S", "series_index": 3}) == [("S", "3")]
    assert library.series_of({"series": ["A", {"name": "B", "sequence": "1a"}, {"name": " "}]}) == \
        [("A", None), ("B", "1a")]
    assert library.series_of({"series": "S", "series_index": "two words"}) == [("S", None)]
    assert library.series_of({}) == []


def test_flat_layout_is_unchanged(tmp_path):
    config, store, job = make(tmp_path, {"title": "Flat", "authors": ["Ann"]}, output={"formats": ("wav", "m4b")})
    assert sorted(p.name for p in config.paths.outbox.iterdir()) == ["tale.json", "tale.m4b", "tale.timings.json",
                                                                     "tale.wav"]
    book = json.loads((config.paths.outbox / "tale.json").read_text())
    assert book["layout"] == "flat" and book["folder"] == str(config.paths.outbox) and "listen_format" not in book
    assert job.output["wav"] == str(config.paths.outbox / "tale.wav") and "folder" not in job.output
    assert MP4(config.paths.outbox / "tale.m4b")["©wrt"] == [job.settings["voice"]]
