"""Small EPUB 2 and EPUB 3 books built with zipfile, for test_epub.py: notes, a cover, DRM, bad cases."""

from __future__ import annotations

import io
import zipfile

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""
PROSE = ("The lamp was lit at dusk, and the road beyond the gate went on into the hills where nobody "
         "had walked for a long time. ")


def xhtml(body: str, title: str = "t") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
            f'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>{title}</title>'
            f'<style>p {{ color: red }}</style><script>var x = "not read";</script></head>'
            f"<body>{body}</body></html>")


CHAPTER_ONE = xhtml(
    '<section epub:type="chapter" id="c1"><span epub:type="pagebreak" id="p7">7</span>'
    '<h1>Chapter One: The Gate</h1>'
    f'<p>{PROSE}The keeper said so<a epub:type="noteref" href="#n1">1</a> and went in.</p>'
    '<p>She counted <em>three</em> lamps<sup><a href="#n2">2</a></sup>, then <img src="x.png" alt="a lamp"/>stopped.</p>'
    '<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>30</td></tr></table>'
    '<ul><li>first item</li><li>second item</li></ul>'
    '<blockquote><p>A quoted line.</p></blockquote>'
    '<aside epub:type="footnote" id="n1"><p>The keeper was old.</p></aside>'
    '<aside epub:type="footnote" id="n2"><p>Three is a lot of lamps.</p></aside>'
    "</section>")
CHAPTER_TWO = xhtml(f'<h1 id="c2">Chapter Two: The Hills</h1><p>{PROSE * 2}</p><h2 id="c2b">A Part</h2><p>{PROSE}</p>')
UNNAMED = xhtml(f"<h2>Interlude in the Rain</h2><p>{PROSE}</p>")
UNTITLED = xhtml(f"<p>{PROSE}It went on without a heading.</p>")
TITLE_PAGE = xhtml('<section epub:type="titlepage"><h1>THE BOOK</h1><p>by Someone</p></section>')
COPYRIGHT = xhtml("<p>Copyright 2020, all rights reserved.</p>")
COVER_PAGE = xhtml('<div><img src="cover.png" alt="cover"/></div>')
APPENDIX = xhtml(f"<h1>Appendix Not In The Spine Order</h1><p>{PROSE}</p>")
NAV = xhtml('<nav epub:type="toc"><h1>Contents</h1><ol>'
            '<li><a href="one.xhtml#c1">Chapter One: The Gate</a></li>'
            '<li><a href="two.xhtml#c2">Chapter Two: The Hills</a><ol><li><a href="two.xhtml#c2b">A Part</a></li></ol></li>'
            "</ol></nav>"
            '<nav epub:type="landmarks"><ol><li><a epub:type="copyright-page" href="copyright.xhtml">Copyright</a></li>'
            "</ol></nav>")
NCX = """<?xml version="1.0"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><navMap>
<navPoint id="a" playOrder="1"><navLabel><text>Chapter One: The Gate</text></navLabel><content src="one.xhtml#c1"/></navPoint>
<navPoint id="b" playOrder="2"><navLabel><text>Chapter Two: The Hills</text></navLabel><content src="two.xhtml"/>
  <navPoint id="c" playOrder="3"><navLabel><text>A Part</text></navLabel><content src="two.xhtml#c2b"/></navPoint>
</navPoint></navMap></ncx>"""
PLS = ('<?xml version="1.0"?><lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" '
       'alphabet="ipa" xml:lang="en"><lexeme><grapheme>Ann</grapheme><phoneme>ˈæn</phoneme></lexeme></lexicon>')


def opf(version: str, language: str = "en", spine: str = "", manifest: str = "", meta: str = "", guide: str = "") -> str:
    return f"""<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="{version}" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier>
<dc:title>The Gate and the Hills</dc:title><dc:creator>Ann Author</dc:creator><dc:creator>Bo Second</dc:creator>
<dc:language>{language}</dc:language>{meta}</metadata>
<manifest>{manifest}</manifest><spine toc="ncx">{spine}</spine>{guide}</package>"""


def build(files: dict[str, str | bytes], mimetype: bool = True) -> bytes:
    """Given {path: content}, return the bytes of a zip holding them (with the EPUB mimetype first)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        if mimetype:
            book.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for path, content in files.items():
            book.writestr(path, content)
    return buffer.getvalue()


def epub3(language: str = "en", extra: dict[str, str | bytes] | None = None) -> bytes:
    """An EPUB 3 book: cover, title page, copyright page, nav (not read), two chapters in the TOC, one
    document the TOC does not name, one without a heading, a linear="no" appendix, a PLS lexicon."""
    manifest = ('<item id="cover-img" href="cover.png" media-type="image/png" properties="cover-image"/>'
                '<item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="title" href="title.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="copy" href="copyright.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
                '<item id="one" href="one.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="two" href="two.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="three" href="three.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="four" href="four.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="app" href="appendix.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="lex" href="words.pls" media-type="application/pls+xml"/>')
    spine = ('<itemref idref="cover"/><itemref idref="title"/><itemref idref="copy"/><itemref idref="nav"/>'
             '<itemref idref="one"/><itemref idref="two"/><itemref idref="three"/><itemref idref="four"/>'
             '<itemref idref="app" linear="no"/>')
    files: dict[str, str | bytes] = {
        "META-INF/container.xml": CONTAINER, "OEBPS/content.opf": opf("3.0", language, spine, manifest),
        "OEBPS/cover.png": PNG, "OEBPS/cover.xhtml": COVER_PAGE, "OEBPS/title.xhtml": TITLE_PAGE,
        "OEBPS/copyright.xhtml": COPYRIGHT, "OEBPS/nav.xhtml": NAV, "OEBPS/one.xhtml": CHAPTER_ONE,
        "OEBPS/two.xhtml": CHAPTER_TWO, "OEBPS/three.xhtml": UNNAMED, "OEBPS/four.xhtml": UNTITLED,
        "OEBPS/appendix.xhtml": APPENDIX, "OEBPS/words.pls": PLS}
    files.update(extra or {})
    return build(files)


def epub2() -> bytes:
    """An EPUB 2 book: NCX table of contents, guide naming the cover page, <meta name="cover">."""
    manifest = ('<item id="cover-image" href="images/c.png" media-type="image/png"/>'
                '<item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
                '<item id="one" href="one.xhtml" media-type="application/xhtml+xml"/>'
                '<item id="two" href="two.xhtml" media-type="application/xhtml+xml"/>')
    spine = '<itemref idref="cover"/><itemref idref="one"/><itemref idref="two"/>'
    guide = '<guide><reference type="cover" title="Cover" href="cover.xhtml"/></guide>'
    cover_page = xhtml("<p>The Gate and the Hills, a cover with words on it.</p>")
    return build({"META-INF/container.xml": CONTAINER,
                  "OEBPS/content.opf": opf("2.0", "en-GB", spine, manifest, '<meta name="cover" content="cover-image"/>',
                                           guide),
                  "OEBPS/images/c.png": PNG, "OEBPS/cover.xhtml": cover_page, "OEBPS/toc.ncx": NCX,
                  "OEBPS/one.xhtml": CHAPTER_ONE, "OEBPS/two.xhtml": CHAPTER_TWO})
