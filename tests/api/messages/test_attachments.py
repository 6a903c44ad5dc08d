"""Attachments of secure messages through /graphql and the download route: the type comes from the
content, refusals store nothing, the same bytes are stored once, and downloads are for the thread's
parties only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import AttachmentBlob, MessageAttachment, MessageThread, SecureMessage
from resolvers.messages import attachments as rules
from tests.api.messages import helpers as h


async def _signed_in(client, services, username: str = "alice"):
    owner, user = await h.customer_login(services, username)
    await h.as_user(client, services, user)
    return owner, user


async def _nothing_stored() -> bool:
    return not any([await MessageThread.exists(), await SecureMessage.exists(), await AttachmentBlob.exists(),
                    await MessageAttachment.exists()])


async def test_pdf_png_and_jpeg_are_accepted_and_a_png_named_pdf_is_stored_as_png(client, services):
    await _signed_in(client, services)
    files = [{"filename": "statement.pdf", "contentBase64": h.b64(h.pdf_bytes())},
             {"filename": "scan.pdf", "contentBase64": h.b64(h.png_bytes())},
             {"filename": "../../etc/photo.JPEG", "contentBase64": h.b64(h.jpeg_bytes())},
             {"filename": 'bad"name\r\n.exe', "contentBase64": h.b64(h.png_bytes(2, 2))}]
    payload = await h.start(client, attachments=files)
    assert payload["errors"] == []
    got = [(a["filename"], a["contentType"]) for a in payload["message"]["attachments"]]
    assert got == [("statement.pdf", "application/pdf"), ("scan.png", "image/png"), ("photo.jpeg", "image/jpeg"),
                   ("bad_name.exe.png", "image/png")]
    rows = await MessageAttachment.all().order_by("id")
    assert [row.content_type for row in rows] == ["application/pdf", "image/png", "image/jpeg", "image/png"]
    assert rows[1].size == len(h.png_bytes())


@pytest.mark.parametrize(("name", "content", "message"), [
    ("invoice.pdf", h.exe_bytes(), "not a PDF, PNG or JPEG"),
    ("fake.pdf", b"%PDF-1.7\n<script>alert(1)</script>", "not a PDF, PNG or JPEG"),  # no %%EOF trailer
    ("cut.png", h.png_bytes()[:-12], "not a PDF, PNG or JPEG"),  # no IEND: truncated or padded
    ("page.html", b"<html><body>hi</body></html>", "not a PDF, PNG or JPEG"),
    ("empty.pdf", b"", "is empty"),
])
async def test_anything_else_is_refused_and_nothing_is_stored(client, services, name, content, message):
    await _signed_in(client, services)
    files = [{"filename": "ok.pdf", "contentBase64": h.b64(h.pdf_bytes())},
             {"filename": name, "contentBase64": h.b64(content)}]
    payload = await h.start(client, attachments=files)
    assert h.codes(payload) == [("INVALID", ["attachments", "1", "contentBase64"])]
    assert message in payload["errors"][0]["message"]
    assert payload["thread"] is None and await _nothing_stored()


async def test_a_file_one_byte_over_5_mb_is_refused_and_exactly_5_mb_is_accepted(client, services):
    await _signed_in(client, services)
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    over = head + b"0" * (rules.MAX_BYTES + 1 - len(head) - len(tail)) + tail
    assert len(over) == 5 * 1024 * 1024 + 1
    payload = await h.start(client, attachments=[{"filename": "big.pdf", "contentBase64": h.b64(over)}])
    assert h.codes(payload) == [("INVALID", ["attachments", "0", "contentBase64"])]
    assert "larger than 5 MB" in payload["errors"][0]["message"]
    assert await _nothing_stored()

    exact = over[:len(head)] + over[len(head) + 1:]
    payload = await h.start(client, attachments=[{"filename": "big.pdf", "contentBase64": h.b64(exact)}], key="k2")
    assert payload["errors"] == [] and payload["message"]["attachments"][0]["sizeBytes"] == rules.MAX_BYTES


async def test_too_many_files_or_bad_base64_are_refused(client, services):
    await _signed_in(client, services)
    six = [{"filename": f"{i}.pdf", "contentBase64": h.b64(h.pdf_bytes(str(i)))} for i in range(6)]
    assert h.codes(await h.start(client, attachments=six)) == [("INVALID", ["attachments"])]
    bad = [{"filename": "x.pdf", "contentBase64": "not base64!"}]
    assert h.codes(await h.start(client, attachments=bad)) == [("INVALID", ["attachments", "0", "contentBase64"])]
    assert await _nothing_stored()


async def test_a_refused_reply_stores_no_message(client, services):
    await _signed_in(client, services)
    thread_id = (await h.start(client))["thread"]["id"]
    payload = await h.post(client, thread_id, "here", "r-1",
                           attachments=[{"filename": "a.pdf", "contentBase64": h.b64(h.exe_bytes())}])
    assert h.codes(payload) == [("INVALID", ["attachments", "0", "contentBase64"])]
    assert await SecureMessage.all().count() == 1 and not await AttachmentBlob.exists()


async def test_the_same_bytes_twice_make_one_blob(client, services):
    await _signed_in(client, services)
    pdf = {"filename": "a.pdf", "contentBase64": h.b64(h.pdf_bytes("same"))}
    first = await h.start(client, attachments=[pdf, {**pdf, "filename": "copy.pdf"}])
    thread_id = first["thread"]["id"]
    await h.post(client, thread_id, "again", "r-1", attachments=[pdf])
    assert await AttachmentBlob.all().count() == 1
    assert await MessageAttachment.all().count() == 3
    blob = await AttachmentBlob.get()
    assert bytes(blob.content) == h.pdf_bytes("same") and blob.size == len(h.pdf_bytes("same"))
    assert first["message"]["attachments"][0]["sha256"] == blob.sha256


async def test_a_download_link_gives_the_file_as_an_attachment_with_its_stored_type(client, services):
    await _signed_in(client, services)
    payload = await h.start(client, attachments=[{"filename": "scan.pdf", "contentBase64": h.b64(h.png_bytes())}])
    url = payload["message"]["attachments"][0]["downloadUrl"]
    response = await client.http.get(url)
    assert response.status_code == 200
    assert response.content == h.png_bytes()
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == 'attachment; filename="scan.png"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


async def test_support_downloads_and_links_expire_and_are_bound_to_their_user(client, services, clock):
    _, user = await _signed_in(client, services)
    payload = await h.start(client, attachments=[{"filename": "a.pdf", "contentBase64": h.b64(h.pdf_bytes())}])
    thread_id = payload["thread"]["id"]
    own_url = payload["message"]["attachments"][0]["downloadUrl"]
    staff = await h.support_user(services)
    await h.as_user(client, services, staff)
    data = await client.execute(h.DESK_THREAD, {"id": thread_id})
    staff_url = data["support"]["thread"]["messages"]["edges"][0]["node"]["attachments"][0]["downloadUrl"]
    assert (await client.http.get(staff_url)).status_code == 200
    # A tampered link (another user, another attachment, another expiry) is a 404.
    assert (await client.http.get(own_url.replace(f"user={user.id}", f"user={staff.id}"))).status_code == 404
    assert (await client.http.get(own_url.replace("/message-attachments/", "/message-attachments/9"))).status_code \
        == 404
    # A deactivated staff member's link stops working at once.
    staff.is_active = False
    await staff.save(update_fields=["is_active"])
    assert (await client.http.get(staff_url)).status_code == 404
    clock.advance(timedelta(minutes=5, seconds=1))
    assert (await client.http.get(own_url)).status_code == 404
