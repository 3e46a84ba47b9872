"""
Media-kit documents: an upload is judged by its content (PDF, DOCX, XLSX, ODT, UTF-8 text),
refused with a clear form error when it carries active content, a macro, a ZIP bomb or the
wrong type; a new edition shares its documents' files; "Download all" zips the pictures'
stored originals and the documents, at once when small, by the worker when large.
"""
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from PIL import Image

from releases import documents
from releases.admin import DocumentForm
from releases.models import Document, Release

from .factories import (
    DOCX_MAIN, XLSX_MAIN, image_bytes, make_advisory, make_document, make_picture, make_release, odt_bytes,
    ooxml_bytes, pdf_bytes, publish,
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def form_errors(name, content):
    """The errors the admin's document form shows for this upload."""
    form = DocumentForm(data={"title": "Fact sheet", "language": "", "position": 0},
                        files={"file": SimpleUploadedFile(name, content)})
    return " ".join(form.errors.get("file", []))


def zip_bytes(members):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return output.getvalue()


# --- checking by content ---------------------------------------------------------------


@pytest.mark.parametrize("name, content, kind", [
    ("fact-sheet.pdf", pdf_bytes(), "pdf"),
    ("Décision – Chișinău.docx", ooxml_bytes(), "docx"),
    ("figures.xlsx", ooxml_bytes(XLSX_MAIN), "xlsx"),
    ("programme.odt", odt_bytes(), "odt"),
    ("statement.txt", "Déclaration de Chișinău: “Novák”.\n".encode(), "txt"),
    ("statement-bom.txt", "\ufeffNovák\n".encode(), "txt"),
])
def test_real_documents_are_accepted_with_their_kind_and_name(name, content, kind):
    assert form_errors(name, content) == ""
    clean = documents.check_upload(SimpleUploadedFile(name, content))
    assert (clean.kind, clean.filename, clean.size) == (kind, name, len(content))


@pytest.mark.parametrize("name, content, message", [
    ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 64, "is not a document"),
    ("report.docx", b"\x7fELF\x02\x01\x01\x00" + b"\0" * 200, "is not a document"),
    ("notes.txt", "Déclaration".encode("latin-1"), "not UTF-8"),
    ("notes.txt", b"text\0with a NUL", "is not a document"),
    ("archive.docx", zip_bytes([("readme.txt", "hello")]), "a ZIP archive, not a document"),
    ("fact-sheet.docx", pdf_bytes(), "Rename it to end in .pdf"),
    ("figures.docx", ooxml_bytes(XLSX_MAIN), "Rename it to end in .xlsx"),
    ("broken.pdf", b"%PDF-1.7\n" + b"garbage" * 50, "damaged"),
])
def test_what_is_not_a_document_or_is_misnamed_is_refused(name, content, message):
    assert message in form_errors(name, content)
    assert not Document.objects.exists()


@pytest.mark.parametrize("active, name", [
    ("js", "/JavaScript"), ("open-action", "/JavaScript"), ("launch", "/Launch"), ("aa", "/AA"),
    ("embedded", "/EmbeddedFile"),
])
def test_a_pdf_with_active_content_or_an_embedded_file_is_refused(active, name):
    errors = form_errors("brief.pdf", pdf_bytes(active))
    assert "not accepted in a media kit" in errors and name in errors


def test_a_pdf_name_hidden_by_hex_escapes_is_still_found():
    """``/J#61vaScript`` is ``/JavaScript`` to a PDF reader: to the check too (raw scan and pypdf's walk)."""
    content = pdf_bytes("open-action").replace(b"/JavaScript", b"/J#61vaScript")
    assert "(/JavaScript)" in form_errors("brief.pdf", content)


def test_the_object_walk_alone_finds_a_document_level_script():
    """pypdf's walk from the trailer (which also reads compressed object streams) finds the script by itself."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_bytes("js")))
    assert documents._active_in_objects(reader) == "/JavaScript"
    assert documents._active_in_objects(PdfReader(io.BytesIO(pdf_bytes()))) is None


@pytest.mark.parametrize("content, message", [
    (ooxml_bytes(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}), "macros"),
    (ooxml_bytes("application/vnd.ms-word.document.macroEnabled.main+xml"), "macros"),
    (ooxml_bytes(XLSX_MAIN, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}), "macros"),
    (ooxml_bytes("application/vnd.ms-excel.sheet.macroEnabled.main+xml"), "macros"),
    (ooxml_bytes("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
     "not a Word or Excel document"),
    (ooxml_bytes(extra={"../../evil.sh": "rm -rf /"}), "unsafe or duplicate names"),
    (ooxml_bytes(extra={"/etc/passwd": "x"}), "unsafe or duplicate names"),
    (ooxml_bytes(extra={f"word/media/{n}.xml": "x" for n in range(documents.ZIP_MAX_MEMBERS)}), "at most 2000"),
    (ooxml_bytes(extra={"word/bomb.xml": b"\0" * (3 * 1024 * 1024)}), "ZIP bomb"),
])
def test_office_documents_with_macros_wrong_types_or_zip_tricks_are_refused(content, message):
    assert message in form_errors("statement.docx", content)


def test_a_document_unpacking_beyond_the_limit_is_refused(monkeypatch):
    """The declared uncompressed total is checked before anything is unpacked (a small limit keeps the test quick)."""
    monkeypatch.setattr(documents, "ZIP_MAX_UNCOMPRESSED", 1024 * 1024)
    content = ooxml_bytes(extra={"word/media/photo.bin": bytes(range(256)) * 8192})  # 2 MB, barely compressible
    assert "unpacks to 2.0\xa0MB; the limit is 1.0\xa0MB" in form_errors("statement.docx", content)


def test_the_upload_size_limit_is_a_clear_form_error(settings):
    settings.NEWSROOM_MAX_DOCUMENT_BYTES = 1000
    assert "the limit is 1000\xa0bytes" in form_errors("fact-sheet.pdf", pdf_bytes() + b"%" * 1000)


def test_stored_names_are_random_and_the_download_keeps_the_uploaded_name(client, writer, reviewer):
    release = publish(make_release(author=writer), reviewer)
    document = make_document(release, name="Décision secrète – Chișinău.pdf")
    assert document.file.name == f"documents/{document.key}/document.pdf"
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''D%C3%A9cision%20secr%C3%A8te%20%E2%80%93%20Chi%C8%99in%C4%83u.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_the_item_page_lists_documents_with_type_and_size(client, writer, reviewer):
    release = publish(make_release(author=writer), reviewer)
    make_document(release, title="Fiche d’information", language="fr")
    make_document(release, title="Figures", name="figures.xlsx", content=ooxml_bytes(XLSX_MAIN), position=1)
    page = client.get(release.get_absolute_url()).content.decode()
    assert "Media kit" in page and "Fiche d’information" in page and 'hreflang="fr"' in page
    assert f"(PDF, {len(pdf_bytes())}\xa0bytes, French)" in page
    assert "(Excel, " in page and release.media_kit_url in page


# --- editions share files ------------------------------------------------------------------


def test_a_new_edition_shares_its_documents_and_files_go_when_no_row_uses_them(writer, reviewer, reviewer2,
                                                                             django_capture_on_commit_callbacks):
    release = publish(make_release(author=writer), reviewer)
    document = make_document(release)
    storage = document.file.storage
    draft = release.start_new_draft(writer)
    copy = draft.documents.get()
    assert (copy.key, copy.file.name, copy.title) == (document.key, document.file.name, document.title)

    with django_capture_on_commit_callbacks(execute=True):
        copy.delete()
    assert storage.exists(document.file.name)  # the published edition still uses it
    with django_capture_on_commit_callbacks(execute=True):
        Release.objects.get(pk=release.pk).documents.get().delete()
    assert not storage.exists(document.file.name)


def test_prune_command_deletes_only_document_files_nobody_uses(writer):
    kept = make_document(make_release(author=writer))
    orphan = make_document(make_release(author=writer))
    Document.objects.filter(pk=orphan.pk).delete()  # a bulk delete: no per-object clean-up
    output = io.StringIO()
    call_command("prune_pictures", min_age_minutes=0, stdout=output)
    assert "1 unused document(s)" in output.getvalue()
    assert kept.file.storage.exists(kept.file.name) and not kept.file.storage.exists(orphan.file.name)


# --- the ZIP ------------------------------------------------------------------------------


def kit(response):
    body = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(body))


def photo_with_exif():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (50.0, 51.0, 52.0)}  # GPS
    return image_bytes(size=(700, 400), exif=exif.tobytes())


def test_download_all_zips_picture_originals_and_documents_with_safe_unique_names(client, writer, reviewer):
    advisory = publish(make_advisory(author=writer, slug="summit"), reviewer)
    picture = make_picture(advisory, alt_text="Ministers in Chișinău", credit="© NATO", content=photo_with_exif())
    make_document(advisory, name="Décision: Chișinău.pdf")
    make_document(advisory, name="décision: chișinău.pdf", title="Second")
    make_document(advisory, name="../../etc/passwd.txt", content=b"harmless text", title="Sneaky")
    response = client.get(reverse("releases:advisory-media-kit", args=["summit"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "summit-media-kit.zip" in response["Content-Disposition"]
    archive = kit(response)
    assert archive.namelist() == [
        "pictures/Ministers in Chișinău (© NATO).jpg",
        "documents/Décision- Chișinău.pdf",
        "documents/décision- chișinău (2).pdf",
        "documents/passwd.txt",
    ]
    original = archive.read("pictures/Ministers in Chișinău (© NATO).jpg")
    assert original == picture.image.storage.open(picture.image.name).read()
    assert not Image.open(io.BytesIO(original)).getexif()  # the stored original carries no metadata
    assert archive.read("documents/passwd.txt") == b"harmless text"


@pytest.fixture
def work_the_queue(monkeypatch):
    """The database queue's own worker, in this process: every task that is due, then it stops."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    return lambda: call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def test_a_large_kit_is_built_once_by_the_worker_and_cached(client, writer, reviewer, settings, work_the_queue):
    settings.NEWSROOM_MEDIA_KIT_INLINE_BYTES = 100
    release = publish(make_release(author=writer, slug="big"), reviewer)
    document = make_document(release)
    url = reverse("releases:release-media-kit", args=["big"])
    storage = document.file.storage

    first, again = client.get(url), client.get(url)
    assert first.status_code == again.status_code == 202
    assert "being prepared" in first.content.decode() and first["Retry-After"] == "10"
    assert f'href="{url}">Try the download again' in first.content.decode()
    assert not storage.exists(documents.kit_name(release))  # nothing built in the request
    assert DBTaskResult.objects.count() == 1  # reloading enqueues no second build

    work_the_queue()
    name = documents.kit_name(release)
    assert name == f"media-kits/release/{release.pk}-v1.zip" and storage.exists(name)
    built_at = storage.get_modified_time(name)
    response = client.get(url)
    assert response.status_code == 200
    assert kit(response).namelist() == ["documents/fact-sheet.pdf"]
    assert documents.build_kit(release, storage) == name and storage.get_modified_time(name) == built_at

    release.withdraw(reviewer, "Issued in error.")
    assert client.get(url).status_code == 404  # the cached kit is no longer served


def test_a_kit_whose_stored_file_went_missing_is_a_404_not_a_500(client, writer, reviewer):
    release = publish(make_release(author=writer, slug="lost"), reviewer)
    document = make_document(release)
    document.file.storage.delete(document.file.name)
    assert client.get(reverse("releases:release-media-kit", args=["lost"])).status_code == 404
    assert client.get(document.get_absolute_url()).status_code == 404


def test_an_item_without_pictures_or_documents_has_no_kit(client, writer, reviewer):
    release = publish(make_release(author=writer, slug="bare"), reviewer)
    assert client.get(reverse("releases:release-media-kit", args=["bare"])).status_code == 404
    assert "Media kit" not in client.get(release.get_absolute_url()).content.decode()


# --- the admin ------------------------------------------------------------------------------


def post_document(client, release, name, content):
    from .test_pictures import change_url, release_form

    data = release_form(release)
    data.update({
        "documents-TOTAL_FORMS": "1", "documents-INITIAL_FORMS": "0",
        "documents-0-file": SimpleUploadedFile(name, content), "documents-0-title": "Communiqué de Chișinău",
        "documents-0-language": "ro", "documents-0-position": "0",
    })
    return client.post(change_url(release), data)


def test_editors_attach_documents_in_the_admin_inline_and_see_clear_errors(client, writer):
    client.force_login(writer)
    release = make_release(author=writer, title="Ministers meet")
    response = post_document(client, release, "brief.pdf", pdf_bytes("js"))
    assert response.status_code == 200
    assert "This PDF contains JavaScript (/JavaScript)" in response.content.decode()
    assert not Document.objects.exists()

    response = post_document(client, release, "Communiqué.pdf", pdf_bytes())
    assert response.status_code == 302
    document = release.documents.get()
    assert (document.title, document.language, document.filename, document.kind) == (
        "Communiqué de Chișinău", "ro", "Communiqué.pdf", "pdf")
    page = client.get(reverse("admin:releases_release_change", args=[release.pk])).content.decode()
    assert document.get_absolute_url() in page and "Communiqué.pdf" in page
