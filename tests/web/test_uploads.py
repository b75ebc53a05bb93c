"""Adding a book from the page: it lands in the inbox as a copy would, and a second upload of it says so."""

from __future__ import annotations

from support.daemons import wait_for
from support.web import BOOK


def put(client, name: str, body: bytes):
    return client.request("PUT", f"/api/upload?name={name}", body, headers={"Content-Type": "application/octet-stream"})


def test_an_uploaded_book_lands_whole_in_the_inbox_and_becomes_a_job(page):
    client = page.client().login()
    answer = put(client, "small.md", BOOK.encode())
    assert answer.status == 201 and answer.json()["message"].startswith("small.md (")
    jobs = []
    wait_for(lambda: jobs.extend(page.daemon.store.all()) or jobs, 20, "the upload's job")
    assert jobs[0].name == "small.md" and jobs[0].source["size"] == len(BOOK.encode())
    assert not [p for p in page.config.paths.inbox.rglob(".*")]  # no temp file left behind


def test_a_second_upload_of_the_same_book_says_so(page):
    client = page.client().login()
    steer = b'{"action": "pause"}'
    client.request("POST", "/api/steer", steer, headers={"Content-Type": "application/json"})
    assert put(client, "small.md", BOOK.encode()).status == 201
    again = put(client, "small.md", BOOK.encode())  # still in the inbox
    assert again.status == 409 and again.json()["message"] == "small.md is already in the inbox"
    wait_for(lambda: page.daemon.store.all(), 20, "the upload's job")
    job = page.daemon.store.all()[0]
    renamed = put(client, "same-text.md", BOOK.encode())  # other name, same bytes: the same book
    assert renamed.status == 409
    assert renamed.json()["message"] == f"this book was uploaded before: small.md is job {job.id}, queued"
    assert not (page.config.paths.inbox / "same-text.md").exists()


def test_a_file_that_is_not_a_book_is_refused_with_the_suffixes_the_inbox_takes(page):
    client = page.client().login()
    answer = put(client, "photo.jpg", b"\xff\xd8\xff")
    assert answer.status == 400 and ".epub" in answer.json()["message"] and ".md" in answer.json()["message"]
    assert put(client, "empty.txt", b"").json()["message"] == "empty.txt is empty"
    assert not list(page.config.paths.inbox.iterdir())


def test_the_limit_is_the_smaller_of_max_upload_mb_and_the_inbox_s(serve):
    from kokoro_narrator.inbox import MAX_BOOK_BYTES
    from kokoro_narrator.web.uploads import limit_bytes

    assert limit_bytes(1) == 1024 * 1024 and limit_bytes(256) == MAX_BOOK_BYTES
    page = serve(max_upload_mb=1)
    client = page.client().login()
    # The declared size is refused before the body is read, and the connection closed: a client still sending
    # it may see a broken pipe, so the body goes on a raw connection and the answer is read after.
    connection = client.connection()
    connection.putrequest("PUT", "/api/upload?name=big.txt", skip_host=True)
    body = b"word " * (1024 * 1024 // 5 + 1)
    for key, value in {**client.credentials(),
                       "Content-Length": str(len(body))}.items():
        connection.putheader(key, value)
    connection.endheaders()
    try:
        connection.send(body)
    except OSError:
        pass  # refused early
    over = connection.getresponse()
    assert over.status == 413 and b"1,048,576 bytes" in over.read()
    connection.close()
    assert put(client, "fits.txt", b"word " * (1024 * 1024 // 5)).status == 201
