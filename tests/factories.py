"""Small factories for the tests: real rows in the real test database."""
import itertools
from datetime import date, time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from releases.models import Advisory, Contact, Release, Source

_counter = itertools.count(1)


def make_user(username=None, group=None, **extra):
    username = username or f"user{next(_counter)}"
    user = get_user_model().objects.create_user(username=username, password="pw", **{"is_staff": True, **extra})
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def make_source(name=None, **extra):
    name = name or f"Source {next(_counter)}"
    defaults = {"slug": name.lower().replace(" ", "-")}
    defaults.update(extra)
    return Source.objects.get_or_create(name=name, defaults=defaults)[0]


def make_contact(source=None, name=None, **extra):
    """A public contact unless ``is_public=False`` is given (the model's default is internal)."""
    extra.setdefault("is_public", True)
    return Contact.objects.create(source=source or make_source(), name=name or f"Contact {next(_counter)}", **extra)


def make_release(source=None, title=None, author=None, **extra):
    n = next(_counter)
    title = title or f"Release {n}"
    fields = {
        "summary": f"Summary of release {n}.",
        "body": f"Body of release {n}.",
        "slug": extra.pop("slug", None) or f"release-{n}",
    }
    fields.update(extra)
    return Release.objects.create(
        source=source or make_source(), title=title, created_by=author, last_edited_by=author, **fields,
    )


def make_advisory(source=None, title=None, author=None, **extra):
    n = next(_counter)
    fields = {
        "summary": f"Summary of advisory {n}.",
        "slug": extra.pop("slug", None) or f"advisory-{n}",
        "event_date": date(2030, 1, 15),
        "event_time": time(17, 30),
        "time_zone": "Europe/Brussels",
        "venue": "NATO Headquarters",
    }
    fields.update(extra)
    return Advisory.objects.create(
        source=source or make_source(), title=title or f"Advisory {n}", created_by=author, last_edited_by=author,
        **fields,
    )


def publish(item, reviewer=None, at=None):
    """Take a draft through review to published, as a writer and a reviewer would."""
    writer = item.last_edited_by or make_user(group="Writers")
    if item.last_edited_by is None:
        item.last_edited_by = writer
        item.save()
    reviewer = reviewer or make_user(group="Reviewers")
    item.submit(writer)
    item.approve(reviewer, publish_at=at)
    item.refresh_from_db()
    return item


def now():
    return timezone.now()


def image_bytes(format="JPEG", size=(1600, 1000), color=(200, 30, 30), **save_options):
    """A real image made with Pillow, as bytes: a block of colour with a darker square, so resizing has work to do."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).rectangle([size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2], fill=(20, 20, 60))
    output = io.BytesIO()
    image.save(output, format, **save_options)
    return output.getvalue()


def make_picture(owner, alt_text="Allied ministers at the table", name="photo.jpg", content=None, **extra):
    """A picture on a release, an advisory or (as its logo) a source, stored as an upload would be."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from releases.models import Picture

    owner_field = {"Release": "release", "Advisory": "advisory", "Source": "source"}[type(owner).__name__]
    upload = SimpleUploadedFile(name, content if content is not None else image_bytes())
    return Picture.objects.create(**{owner_field: owner}, image=upload, alt_text=alt_text, **extra)


def pdf_bytes(active=None):
    """A real one-page PDF made with pypdf; ``active`` adds what a media kit refuses:
    "js", "open-action", "launch", "aa", "embedded"."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    script = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert('hi')")})
    if active == "js":
        # A document-level script, in the catalog's name tree (what Acrobat's "Document JavaScripts" writes).
        from pypdf.generic import ArrayObject
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): DictionaryObject({
            NameObject("/Names"): ArrayObject([TextStringObject("hi"), writer._add_object(script)])})})
    elif active == "open-action":
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(script)
    elif active == "launch":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    elif active == "aa":
        page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(script)})
    elif active == "embedded":
        writer.add_attachment("payload.exe", b"MZ\x90\x00 not really")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def ooxml_bytes(main_type=DOCX_MAIN, extra=None):
    """A minimal Office Open XML package: [Content_Types].xml naming its main part, and that part."""
    import io
    import zipfile

    part = "word/document.xml" if "wordprocessing" in main_type or "ms-word" in main_type else "xl/workbook.xml"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>'
    )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr(part, "<document>Déclaration de Chișinău</document>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return output.getvalue()


def odt_bytes():
    import io
    import zipfile

    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return output.getvalue()


def make_document(owner, title="Fact sheet", name="fact-sheet.pdf", content=None, **extra):
    """A media-kit document on a release or an advisory, stored as an upload would be."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from releases.models import Document

    owner_field = {"Release": "release", "Advisory": "advisory"}[type(owner).__name__]
    upload = SimpleUploadedFile(name, content if content is not None else pdf_bytes())
    return Document.objects.create(**{owner_field: owner}, file=upload, title=title, **extra)
