"""Small books in the formats beyond text, markdown and EPUB, built in the test: DOCX (python-docx), FB2 and HTML."""

from __future__ import annotations

import base64
from io import BytesIO

from support.epubs import PNG

PROSE = "A plain sentence of this chapter, spoken as a tone. "


def docx_book(title: str = "The Word Book", chapters: tuple[str, ...] = ("Chapter One", "Chapter Two"),
              footnote: bool = False) -> bytes:
    """A DOCX: core properties, a Title paragraph, a Heading 1 per chapter with prose, a list and a table in the
    first, verse (soft line breaks) in the last; with footnote, a footnote on the first chapter's prose."""
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title, props.author, props.language = title, "Ann Author; Bob Writer", "en-GB"
    document.add_paragraph(title, style="Title")
    for number, chapter in enumerate(chapters):
        document.add_heading(chapter, level=1)
        paragraph = document.add_paragraph(PROSE * 3)
        if number == 0:
            if footnote:
                paragraph.add_run("Noted.")
                paragraph._p.append(_footnote_reference(document, 1, "The note of the first chapter."))
            document.add_paragraph("First item", style="List Bullet")
            document.add_paragraph("Second item", style="List Bullet")
            table = document.add_table(rows=2, cols=2)
            for row, cells in enumerate((("Name", "Age"), ("Ann", "40"))):
                for column, text in enumerate(cells):
                    table.cell(row, column).text = text
    run = document.add_paragraph("Roses are red,").add_run()
    run.add_break()
    run.add_text("violets are blue.")
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _footnote_reference(document, number: int, text: str):
    """A w:footnoteReference to a footnote part added to the package (python-docx has no API for notes)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    xml = (f'<w:footnotes xmlns:w="{w}"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r>'
           f'</w:p></w:footnote><w:footnote w:id="{number}"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t>{text}</w:t>'
           '</w:r></w:p></w:footnote></w:footnotes>')
    part = Part(PackURI("/word/footnotes.xml"), "application/vnd.openxmlformats-officedocument.wordprocessingml"
                ".footnotes+xml", xml.encode(), document.part.package)
    document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    reference = parse_xml(f'<w:r xmlns:w="{w}"><w:footnoteReference w:id="{number}"/></w:r>')
    assert reference.tag == qn("w:r")
    return reference


def fb2_book(title: str = "The Sea Book", encoding: str = "utf-8") -> bytes:
    """An FB2: title-info (author, title, language, cover), a body title and epigraph, two parts of two chapters
    (one with a note link, one with a poem), a notes body with the note and one no link names."""
    cover = base64.b64encode(PNG).decode()
    prose = PROSE * 3
    xml = f'''<?xml version="1.0" encoding="{encoding}"?>
<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0" xmlns:l="http://www.w3.org/1999/xlink">
<description><title-info><genre>prose</genre>
<author><first-name>Anna</first-name><middle-name>K.</middle-name><last-name>Writer</last-name></author>
<author><nickname>Sailor</nickname></author>
<book-title>{title}</book-title><coverpage><image l:href="#cover.png"/></coverpage><lang>en</lang></title-info>
</description>
<body><title><p>Anna Writer</p><p>{title}</p></title>
<epigraph><p>All is water.</p><text-author>Thales</text-author></epigraph>
<section><title><p>Part One</p></title>
 <section><title><p>Chapter 1</p><p>The Shore</p></title><p>The sea was calm<a l:href="#n1" type="note">1</a> today.</p>
  <p>{prose}</p><poem><stanza><v>Waves come in,</v><v>waves go out.</v></stanza></poem></section>
 <section><title><p>Chapter 2</p></title><p>{prose}</p><empty-line/><p>It was loud.</p></section>
</section>
<section><title><p>Part Two</p></title>
 <section><title><p>Chapter 3</p></title><p>{prose}</p><table><tr><td>Wind</td><td>strong</td></tr></table></section>
 <section><title><p>Chapter 4</p></title><p>{prose}</p><p>The end came.</p></section>
</section>
</body>
<body name="notes"><title><p>Notes</p></title><section id="n1"><title><p>1</p></title><p>Calm means still.</p>
</section><section id="n2"><p>A note no link names.</p></section></body>
<binary id="cover.png" content-type="image/png">{cover}</binary>
</FictionBook>'''
    return xml.encode(encoding)


def html_book(title: str = "A Page Book", charset: str = "utf-8") -> bytes:
    """One HTML page: title, author and language in the head, an h1 with the book's title, an h2 per chapter."""
    prose = PROSE * 3
    page = f'''<!DOCTYPE html><html lang="en-US"><head><meta charset="{charset}"><title>{title}</title>
<meta name="author" content="Jo Smith"><style>p {{ margin: 0 }}</style><script>var x = "not read";</script></head>
<body><h1>{title}</h1>
<h2>Chapter One</h2><p>It was \u201cfine\u201d, caf\u00e9.<a href="#fn1">1</a></p><p>{prose}</p>
<table><tr><td>Name</td><td>Age</td></tr><tr><td>Ann</td><td>40</td></tr></table>
<h2>Chapter Two</h2><p>{prose}</p><ul><li>First item</li><li>Second item</li></ul><img src="x.png" alt="a picture">
<aside epub:type="footnote" id="fn1"><p>The note.</p></aside></body></html>'''
    return page.encode(charset, "xmlcharrefreplace")
