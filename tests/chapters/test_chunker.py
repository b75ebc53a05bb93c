"""chunker.py: headings, chapters, chunks (the one-line heading test is in test_lines.py, the splits in test_sentences.py)."""

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kokoro_narrator.chapters.chunker import CHUNKER_VERSION, plan_book, plan_chunks
from kokoro_narrator.books.reader import read_book
from support.text import squash, text_strategy


def body(n: object, sentences: int = 10) -> str:
    return " ".join(f"Words of section {n} go on here, sentence {s}." for s in range(sentences))


def titles(text: str, max_chunk_chars: int = 20000) -> list[str]:
    return [chapter.title for chapter in plan_chunks(text, max_chunk_chars).chapters]


def corpus_plan(corpus, name, max_chunk_chars=20000):
    book = read_book((corpus / name).read_bytes(), name)
    return book, plan_chunks(book.text, max_chunk_chars, book.headings)


# ----------------------------------------------------------------------------- the corpus
# These copies start at the first chapter's text: pg11 has no "CHAPTER I." heading and no
# contents, pg1342 has no "Chapter 1"/"Chapter 2" headings, pg5200 has no "I".

def test_alice_has_its_opening_and_chapters_two_and_three_with_titles(corpus):
    _, plan = corpus_plan(corpus, "pg11.txt")  # the excerpt: the whole book is in bench/
    found = [c.title for c in plan.chapters]
    assert found == ["Opening", "CHAPTER II. The Pool of Tears", "CHAPTER III. A Caucus-Race and a Long Tale"]
    assert plan.chunks[0].text.startswith("Alice was beginning")
    first_of_two = next(c for c in plan.chunks if c.chapter == 1)
    assert first_of_two.text.startswith("CHAPTER II. The Pool of Tears\n\n'Curiouser and curiouser!'")


def test_pride_and_prejudice_has_chapters_three_to_six(corpus):
    _, plan = corpus_plan(corpus, "pg1342.txt")  # the excerpt: the whole book is in bench/
    found = [c.title for c in plan.chapters]
    assert found == ["Opening"] + [f"Chapter {n}" for n in range(3, 7)]


def test_metamorphosis_has_its_roman_numeral_sections(corpus):
    _, plan = corpus_plan(corpus, "pg5200.txt")
    assert [c.title for c in plan.chapters] == ["Opening", "II", "III"]
    assert plan.chunks[0].text.startswith("One morning, when Gregor Samsa woke")


@pytest.mark.parametrize("name", ["pg11.txt", "pg1342.txt", "pg5200.txt"])
def test_corpus_books_lose_no_text_and_respect_the_limit(corpus, name):
    book, plan = corpus_plan(corpus, name, 5000)
    assert all(0 < len(c.text) <= 5000 for c in plan.chunks)
    assert squash("".join(c.text for c in plan.chunks)) == squash(book.text)
    assert [c.index for c in plan.chunks] == list(range(len(plan.chunks)))
    assert [c.chapter for c in plan.chunks] == sorted(c.chapter for c in plan.chunks)
    assert {c.chapter for c in plan.chunks} == {c.index for c in plan.chapters}  # no empty chapter


# ----------------------------------------------------------------------------- headings

def test_a_marker_inside_a_long_paragraph_is_not_a_heading():
    assert titles(f"Opening words.\n\nChapter 2 {body(2)}") == ["Opening"]


# ----------------------------------------------------------------------------- chapters

def test_text_without_markers_is_one_chapter_split_at_paragraphs():
    paragraphs = [f"Paragraph {n} says something worth hearing." for n in range(50)]
    plan = plan_chunks("\n\n".join(paragraphs), 300)
    assert [c.title for c in plan.chapters] == ["Opening"] and len(plan.chunks) > 5
    for chunk in plan.chunks:
        assert len(chunk.text) <= 300 and chunk.chapter == 0
        assert all(p in paragraphs for p in chunk.text.split("\n\n"))  # whole paragraphs only
    assert [p for c in plan.chunks for p in c.text.split("\n\n")] == paragraphs


def test_a_book_that_starts_with_a_heading_has_no_opening():
    assert titles(f"CHAPTER I\n\n{body(1)}\n\nCHAPTER II\n\n{body(2)}") == ["CHAPTER I", "CHAPTER II"]


def test_a_subtitle_line_joins_the_chapter_title_and_stays_in_the_text():
    plan = plan_chunks(f"CHAPTER I.\nDown the Rabbit-Hole.\n\n{body(1)}")
    assert [c.title for c in plan.chapters] == ["CHAPTER I. Down the Rabbit-Hole."]
    assert plan.chunks[0].text.startswith("CHAPTER I.\nDown the Rabbit-Hole.\n\nWords")


def test_a_table_of_contents_makes_no_empty_chapters_and_stays_in_the_opening():
    numbers = ("I", "II", "III", "IV", "V")
    contents = "\n\n".join(f"CHAPTER {n}.\n\nThe Title of {n}" for n in numbers)
    chapters = "\n\n".join(f"CHAPTER {n}.\n\nThe Title of {n}\n\n{body(n)}" for n in numbers)
    plan = plan_chunks(f"A BOOK\n\nContents\n\n{contents}\n\n{chapters}")
    assert [c.title for c in plan.chapters] == ["Opening"] + [f"CHAPTER {n}. The Title of {n}" for n in numbers]
    assert plan.chunks[0].text == f"A BOOK\n\nContents\n\n{contents}"  # the contents are read, in the opening


def test_a_table_of_contents_with_one_line_entries_stays_in_the_opening():
    numbers = ("I", "II", "III", "IV")
    contents = "\n".join(f"CHAPTER {n}. Title {n}" for n in numbers)
    chapters = "\n\n".join(f"CHAPTER {n}. Title {n}\n\n{body(n)}" for n in numbers)
    assert titles(f"Contents\n\n{contents}\n\n{chapters}") == ["Opening"] + [f"CHAPTER {n}. Title {n}" for n in numbers]


def test_a_part_heading_merges_into_the_chapter_that_follows_it():
    text = (f"PART ONE\n\nCHAPTER 1\n\n{body(1)}\n\nCHAPTER 2\n\n{body(2)}\n\n"
            f"PART TWO\n\nCHAPTER 3\n\n{body(3)}")
    plan = plan_chunks(text)
    assert [c.title for c in plan.chapters] == ["PART ONE: CHAPTER 1", "CHAPTER 2", "PART TWO: CHAPTER 3"]
    assert plan.chunks[-1].text.startswith("PART TWO\n\nCHAPTER 3\n\n")


def test_chapters_under_parts_have_a_level_and_a_parent_and_a_repeated_bare_title_carries_its_part():
    text = "".join(f"PART {part}\n\nCHAPTER I\n\n{body(part)}\n\nCHAPTER II\n\n{body(part + '2')}\n\n"
                   for part in ("ONE", "TWO"))
    plan = plan_chunks(text)
    assert [c.title for c in plan.chapters] == ["PART ONE: CHAPTER I", "PART ONE — CHAPTER II",
                                                "PART TWO: CHAPTER I", "PART TWO — CHAPTER II"]
    assert [(c.level, c.parent) for c in plan.chapters] == [(1, None), (2, 0), (1, None), (2, 2)]
    assert [c["parent"] for c in plan.to_json()["chapters"]] == [None, 0, None, 2]


def test_a_number_alone_inside_a_story_carries_the_story_and_is_read_as_a_part():
    stories = [("I", "A SCANDAL IN BOHEMIA"), ("II", "THE RED-HEADED LEAGUE"), ("III", "A CASE OF IDENTITY")]
    text = f"ADVENTURE I. A SCANDAL IN BOHEMIA\n\nI.\n\n{body(1)}\n\nII.\n\n{body(2)}\n\n" + "".join(
        f"ADVENTURE {n}. {title}\n\n{body(n)}\n\n" for n, title in stories[1:])
    plan = plan_chunks(text)
    assert [c.title for c in plan.chapters] == [
        "ADVENTURE I. A SCANDAL IN BOHEMIA — I.", "ADVENTURE I. A SCANDAL IN BOHEMIA — II.",
        "ADVENTURE II. THE RED-HEADED LEAGUE", "ADVENTURE III. A CASE OF IDENTITY"]
    assert [(c.level, c.parent) for c in plan.chapters] == [(1, None), (2, 0), (1, None), (1, None)]
    assert plan.chunks[0].text.startswith("ADVENTURE I. A SCANDAL IN BOHEMIA\n\nPart I.\n\nWords")
    assert plan.chunks[1].text.startswith("Part II.\n\nWords")  # "One", "Two" alone sound like counting
    assert plan.chapters[1].heading == ("Part II.",)


def test_a_half_title_over_the_first_chapter_is_no_part():
    chapters = (("I", "THE PRISON-DOOR."), ("II", "THE MARKET-PLACE."), ("III", "THE RECOGNITION."))
    contents = "Contents\n\nTHE SCARLET LETTER\n" + "\n".join(f"{n}. {title}" for n, title in chapters)
    text = contents + "\n\nTHE SCARLET LETTER\n\n" + "\n\n".join(f"{n}.\n\n{title}\n\n{body(n)}" for n, title in chapters)
    plan = plan_chunks(text)
    assert [c.title for c in plan.chapters] == ["Opening", "THE SCARLET LETTER: I. THE PRISON-DOOR.",
                                                "II. THE MARKET-PLACE.", "III. THE RECOGNITION."]
    assert [(c.level, c.parent) for c in plan.chapters] == [(1, None)] * 4
    assert "Part" not in "".join(c.text for c in plan.chunks)


def test_a_short_chapter_with_prose_is_still_a_chapter():
    text = f"CHAPTER I\n\n{body(1)}\n\nCHAPTER II\n\nAnother chapter begins here, and it ends the book."
    assert titles(text) == ["CHAPTER I", "CHAPTER II"]


def test_a_heading_glued_to_its_text_is_split_off():
    plan = plan_chunks(f"CHAPTER I\n{body(1)}\n\nCHAPTER II\n{body(2)}")
    assert [c.title for c in plan.chapters] == ["CHAPTER I", "CHAPTER II"]
    assert plan.chunks[0].text == f"CHAPTER I\n\n{body(1)}"


def test_markdown_headings_are_chapters():
    book = read_book(f"# My Notes\n\nBy me.\n\n## Getting Started\n\n{body(1)}\n\n## Going On\n\n{body(2)}\n".encode(),
                     "notes.md")
    plan = plan_chunks(book.text, 20000, book.headings)
    assert [c.title for c in plan.chapters] == ["My Notes", "Getting Started", "Going On"]


# ----------------------------------------------------------------------------- chunks

def test_a_giant_paragraph_is_cut_at_sentences():
    sentences = " ".join(f"Sentence number {n} is here." for n in range(100))
    plan = plan_chunks(sentences, 200)
    assert all(len(c.text) <= 200 and c.text.endswith(".") for c in plan.chunks)
    assert " ".join(c.text for c in plan.chunks) == sentences


def test_a_giant_sentence_is_cut_at_words_and_a_giant_word_hard():
    text = f"A URL follows: {'x' * 1000} and then more words. " + "word " * 100
    plan = plan_chunks(text, 150)
    assert all(0 < len(c.text) <= 150 for c in plan.chunks)
    assert squash("".join(c.text for c in plan.chunks)) == squash(text)
    assert "x" * 150 in [c.text for c in plan.chunks]


def test_chunks_never_cross_a_chapter_boundary():
    plan = plan_chunks(f"CHAPTER I\n\n{body(1, 3)}\n\nCHAPTER II\n\n{body(2, 3)}", 20000)
    assert [(c.chapter, c.text.split()[0]) for c in plan.chunks] == [(0, "CHAPTER"), (1, "CHAPTER")]


def test_chunking_is_deterministic_hashed_and_reported_as_json():
    text = "\n\n".join(f"Para {n}. " * 30 for n in range(40))
    first, second = plan_chunks(text, 1000), plan_chunks(text, 1000)
    assert first == second
    assert all(c.sha256 == hashlib.sha256(c.text.encode()).hexdigest() for c in first.chunks)
    report = first.to_json()
    assert report["version"] == CHUNKER_VERSION and report["max_chunk_chars"] == 1000
    assert report["chapters"] == [{"index": 0, "title": "Opening", "level": 1, "parent": None, "chunks": len(first.chunks),
                                   "chars": sum(len(c.text) for c in first.chunks)}]
    assert report["chunks"][0] == {"index": 0, "chapter": 0, "chars": len(first.chunks[0].text),
                                   "sha256": first.chunks[0].sha256}
    assert report["totals"] == {"chapters": 1, "chunks": len(first.chunks), "chars": report["chapters"][0]["chars"]}


@pytest.mark.parametrize("text, limit", [("Some text.", 99), ("Some text.", 0), ("", 1000), (" \n\n\t ", 1000)])
def test_bad_arguments_are_refused(text, limit):
    with pytest.raises(ValueError):
        plan_chunks(text, limit)


# ----------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(text=text_strategy, limit=st.integers(min_value=100, max_value=600))
def test_chunks_are_never_empty_never_too_big_and_lose_or_invent_nothing(text, limit):
    plan = plan_chunks(text, limit)
    assert plan.chunks and all(c.text.strip() and len(c.text) <= limit for c in plan.chunks)
    assert squash("".join(c.text for c in plan.chunks)) == squash(text)
    assert plan_chunks(text, limit) == plan
    assert {c.chapter for c in plan.chunks} == {c.index for c in plan.chapters}


# ----------------------------------------------------------------------------- headings of any book (headings.py)

def book_of(headings: list[str], opening: str = "A BOOK\n\nBy Somebody") -> str:
    return "\n\n".join([opening] + [f"{heading}\n\n{body(n)}\n\n{body(n, 4)}" for n, heading in enumerate(headings)])


@pytest.mark.parametrize("headings", [
    ["STAVE ONE", "STAVE TWO", "STAVE THREE"],
    ["FIT THE FIRST", "FIT THE SECOND", "FIT THE THIRD", "FIT THE FOURTH"],
    ["CANTO I", "CANTO II", "CANTO III", "CANTO IV"],
    ["LETTER 10", "LETTER 11", "LETTER 12"],
    ["BOOK THE FIRST", "BOOK THE SECOND", "BOOK THE THIRD"],
    ["THE FIRST CHAPTER", "THE SECOND CHAPTER", "THE THIRD CHAPTER"],
    ["Chapter the Tenth", "Chapter the Eleventh", "Chapter the Twelfth"],
    ["ADVENTURE I. A SCANDAL IN BOHEMIA", "ADVENTURE II. THE RED-HEADED LEAGUE", "ADVENTURE III. A CASE OF IDENTITY"],
    ["TALE 1: The Miller", "TALE 2: The Reeve", "TALE 3: The Cook", "TALE 4: The Lawyer"],
    ["Adventure I. The Scandal.", "Adventure II. The League.", "Adventure III. The Case."],
    ["Episode Twenty-One", "Episode Twenty-Two", "Episode Twenty-Three"],
    ["I.", "II.", "III.", "IV."],
    ["1", "2", "3", "4"],
    ["ONE", "TWO", "THREE"],
])
def test_a_numbered_sequence_under_any_label_makes_the_chapters(headings):
    assert titles(book_of(headings)) == ["Opening"] + headings


@pytest.mark.parametrize("headings", [
    ["ROOM 101", "PLATFORM 9", "ROUTE 66"],                   # numbers that do not go up by one
    ["SCENARIO 1", "SCENARIO 2"],                             # two are not a sequence
    ["1", "3", "7", "12"],                                    # bare numbers that do not go up by one
    ["Session 1 was a failure.", "Session 2 was better.", "Session 3 was the best."],  # sentences
    ["Table 1 shows the results", "Table 2 shows the costs", "Table 3 shows the rest"],  # lower-case titles
])
def test_numbered_lines_that_are_not_a_sequence_of_headings_stay_prose(headings):
    assert titles(book_of(headings)) == ["Opening"]


def test_a_contents_list_names_bare_titles_and_fixes_their_order_and_misprints():
    stories = ["THE SISTERS", "AN ENCOUNTER", "ARABY", "COUNTERPARTS"]
    contents = "Contents\n\nThe Sisters\n\nAn Encounter\n\nAraby\n\nCouterparts"  # the misprint is the book's own
    text = book_of(stories, f"DUBLINERS\n\nby James Joyce\n\n{contents}")
    plan = plan_chunks(text)
    assert [c.title for c in plan.chapters] == ["Opening"] + stories
    assert plan.contents == ("The Sisters", "An Encounter", "Araby", "Couterparts")
    assert plan.to_json()["contents"] == list(plan.contents)


def test_a_contents_entry_finds_its_heading_with_a_label_added_and_page_numbers_ignored():
    headings = ["ADVENTURE I. A SCANDAL IN BOHEMIA", "ADVENTURE II. THE RED-HEADED LEAGUE", "THE SILENT HOUSE"]
    contents = "CONTENTS.\n\nI. A Scandal in Bohemia ..... 3\n\nII. The Red-Headed League ..... 29\n\nThe Silent House 51"
    assert titles(book_of(headings, contents)) == ["Opening"] + headings


def test_a_contents_list_whose_entries_are_not_found_is_not_used():
    text = book_of(["THE SISTERS"], "Contents\n\nOne Story\n\nAnother Story\n\nA Third Story")
    plan = plan_chunks(text)
    assert [c.title for c in plan.chapters] == ["Opening"] and plan.contents == ()


def test_isolated_capital_lines_are_headings_in_a_book_with_no_other_kind():
    stories = ["THE SISTERS", "AN ENCOUNTER", "ARABY", "EVELINE"]
    long_body = lambda n: "\n\n".join([body(n)] * 4)  # noqa: E731
    text = "\n\n".join(f"{story}\n\n{long_body(n)}" for n, story in enumerate(stories))
    assert titles(text) == stories


def test_shouting_signatures_and_short_capital_lines_are_not_headings():
    text = "\n\n".join([body(1), '"HELP!"', body(2), "NO.", body(3), '"CAROLINE BINGLEY"', body(4), "THE END"])
    assert titles(text) == ["Opening"]


def test_given_headings_are_matched_in_order_and_carry_their_titles():
    text = f"Notes\n\n{body(1)}\n\nOne\n\n{body(2)}\n\nNotes\n\n{body(3)}"
    plan = plan_chunks(text, 20000, ["One", "Notes"], ["The First Part", "The Notes"])
    assert [c.title for c in plan.chapters] == ["Opening", "The First Part", "The Notes"]
    assert plan.chunks[-1].text.startswith("Notes\n\n" + body(3)[:20])


def test_the_chunker_version_changed_with_the_chapter_tree():
    assert CHUNKER_VERSION == 4


def test_chunk_reports_the_contents_list_it_found(tmp_path, capsys, monkeypatch):
    from kokoro_narrator.cli import commands as cli

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    stories = ["THE SISTERS", "AN ENCOUNTER", "ARABY"]
    path = tmp_path / "dubliners.txt"
    path.write_text(book_of(stories, "Contents\n\nThe Sisters\n\nAn Encounter\n\nAraby"))
    assert cli.main(["chunk", str(path)]) == 0
    out = capsys.readouterr().out
    assert "contents list found: 3 entries: The Sisters; An Encounter; Araby" in out
    assert all(f"] {story}" in out for story in stories)
    assert cli.main(["chunk", "--json", str(path)]) == 0
    assert '"contents": [\n    "The Sisters"' in capsys.readouterr().out


def test_chunk_lists_a_chapter_inside_a_part_under_it_and_its_json_gives_the_tree(tmp_path, capsys, monkeypatch):
    from kokoro_narrator.cli import commands as cli

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = tmp_path / "parts.txt"
    path.write_text("".join(f"PART {part}\n\nCHAPTER 1\n\n{body(1)}\n\nCHAPTER 2\n\n{body(2)}\n\n" for part in ("ONE", "TWO")))
    assert cli.main(["chunk", str(path)]) == 0
    out = capsys.readouterr().out
    assert "] PART ONE: CHAPTER 1 " in out and "]   PART ONE — CHAPTER 2 " in out
    assert cli.main(["chunk", "--json", str(path)]) == 0
    tree = [(c["level"], c["parent"]) for c in json.loads(capsys.readouterr().out)["chapters"]]
    assert tree == [(1, None), (2, 0), (1, None), (2, 2)]


# ----------------------------------------------------------------------------- titles set apart

STORY = ("It was late in the year when the carts came down from the hills, and the town was glad of them. "
         "Nobody asked where the drivers had been, and nobody said. ") * 12
SONG = "\n".join(f"    Now the night is long and the lamps burn low, line {n}," for n in range(8))


def collection(titles: list[str]) -> bytes:
    """A story collection set as the issue describes it: a title, three blank lines before, one after."""
    parts = ["THE COLLECTION\r\n\r\nBy Some One"]
    for title in titles:
        parts.append(f"\r\n\r\n\r\n\r\n{title}\r\n\r\n" + (SONG.replace("\n", "\r\n") if "Song" in title else STORY))
    return "".join(parts).encode()


def test_a_collection_headed_by_titles_set_apart_gets_one_chapter_per_story_and_song():
    titles = ["The Lamplighter's Daughter", '"Fire! Fire!"', "Song of the Road", "Mr. Brown's Errand", "The Last Door"]
    book = read_book(collection(titles), "stories.txt")
    plan = plan_book(book, 20000)
    assert [c.title for c in plan.chapters] == ["Opening", *titles]
    assert plan.chunks[0].text == "THE COLLECTION\n\nBy Some One"


def test_a_single_line_set_apart_stays_text_and_so_do_lines_set_apart_with_nothing_between():
    one = read_book(collection(["The Only Title"]), "one.txt")
    assert [c.title for c in plan_book(one, 20000).chapters] == ["Opening"]
    crowded = read_book(("\r\n\r\n\r\n\r\n".join(["A Title", "Another Title", "A Third", "A Fourth"]) + "\r\n\r\n"
                         + STORY).encode(), "list.txt")  # a title page, not headings
    assert [c.title for c in plan_book(crowded, 20000).chapters] == ["Opening"]
    paragraphs = read_book(collection(["The Lamplighter", "The Errand", "The Door"]).replace(b"\r\n\r\n\r\n\r\n", b"\r\n\r\n"),
                           "plain.txt")  # the same lines with the book's usual gap: not set apart
    assert [c.title for c in plan_book(paragraphs, 20000).chapters] == ["Opening"]


def test_set_apart_titles_survive_ornaments_and_are_found_where_they_stand_not_by_their_words():
    """Review: one `* * *` between stories made the rule match nothing after it; a line of dialogue
    with a later story's title ("Fire! Fire!") started that chapter in the middle of the story before."""
    titles = ["The Lamplighter's Daughter", "Mr. Brown's Errand", '"Fire! Fire!"', "The Last Door", "The Road Home"]
    text = collection(titles).decode()
    text = text.replace("\r\n\r\n\r\n\r\nMr. Brown's Errand", "\r\n\r\n\r\n\r\n* * *\r\n\r\nMr. Brown's Errand")
    first_story = text.index(STORY)
    text = text[:first_story] + '"Fire! Fire!"\r\n\r\n' + text[first_story:]  # dialogue in the first story
    plan = plan_book(read_book(text.encode(), "stories.txt"), 20000)
    assert [c.title for c in plan.chapters] == ["Opening", *titles]
    first = [chunk.text for chunk in plan.chunks if chunk.chapter == 1]
    assert first[0].startswith("The Lamplighter's Daughter\n\n\"Fire! Fire!\"\n\nIt was late")


def test_scene_breaks_of_a_novella_and_a_plays_stage_directions_are_no_titles():
    """Review: one-word openers after scene breaks ("Mother!", "No.") and stage directions set apart
    made a one-chapter book six chapters named by dialogue."""
    openers = ['"Mother!"', "Morning.", '"No."', "Silence.", "Enter Hamlet and Horatio.", "Enter Hamlet and Horatio."]
    novella = "A NOVELLA\r\n\r\n" + "".join(f"\r\n\r\n\r\n{line}\r\n\r\n{STORY}" for line in openers)
    assert [c.title for c in plan_book(read_book(novella.encode(), "novella.txt"), 20000).chapters] == ["Opening"]
