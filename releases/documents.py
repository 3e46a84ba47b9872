"""
Documents of the media kit: checking an upload by its content, storing it, serving it, zipping the kit.

An upload is judged by its bytes, never by its name: a PDF, a Word document (DOCX), an
Excel workbook (XLSX), an OpenDocument text (ODT) or UTF-8 plain text, within the size
limit, with no active content; the name's extension must then agree with what it is.

- PDF: opened with pypdf and walked object by object from the trailer (object streams
  and escaped names included), plus a scan of the raw bytes for objects nothing points
  to. JavaScript (``/JS``, ``/JavaScript``, an ``/OpenAction`` running either),
  ``/Launch``, additional actions (``/AA``), XFA forms, embedded files (``/EmbeddedFile``,
  ``/EmbeddedFiles``, ``/EF``) and rich media are refused, never "cleaned": stripping
  them by rewriting the file can miss a trigger hidden in a way the stripper doesn't
  know, and changes the document the source approved. Encrypted PDFs are refused too
  (their objects can't be inspected).
- DOCX/XLSX and ODT are ZIP containers: the container is checked first (member count,
  declared uncompressed size and ratio, every member readable and its CRC right, no
  absolute or ``..`` paths, no encryption), then its type: ``[Content_Types].xml`` with a
  Word or Excel main part (the macro-enabled types, a ``vbaProject.bin`` or ActiveX parts
  are refused), or ODF's ``mimetype`` member (Basic or script macros refused).
- Plain text: UTF-8 (a byte-order mark allowed), no NUL bytes.

What is stored is the file as it came, under ``documents/<random key>/document.<ext>``;
the uploaded name, made safe, is kept in the database for downloads.
"""
import io
import logging
import posixpath
import re
import tempfile
import unicodedata
import uuid
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from . import pictures

logger = logging.getLogger(__name__)

FOLDER = "documents"


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str
    extensions: tuple


KINDS = {
    "pdf": Kind("PDF", "application/pdf", ("pdf",)),
    "docx": Kind("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",)),
    "xlsx": Kind("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)),
    "odt": Kind("OpenDocument text", "application/vnd.oasis.opendocument.text", ("odt",)),
    "txt": Kind("Text", "text/plain; charset=utf-8", ("txt", "text")),
}
KIND_CHOICES = [(name, kind.label) for name, kind in KINDS.items()]
ACCEPTED = _("Upload a PDF, Word (.docx), Excel (.xlsx), OpenDocument text (.odt) or plain-text (.txt) file.")

#: The main part each accepted Office Open XML type declares in [Content_Types].xml.
OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
OOXML_MACRO_TYPES = {
    "application/vnd.ms-word.document.macroenabled.main+xml",
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml",
    "application/vnd.ms-excel.template.macroenabled.main+xml",
    "application/vnd.ms-excel.addin.macroenabled.main+xml",
    "application/vnd.ms-office.vbaproject",
    "application/vnd.ms-office.activex+xml",
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
CONTENT_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"

#: ZIP containers: limits far above any real press document, far below what hurts the server.
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100  # uncompressed / compressed, for members over a megabyte uncompressed

#: PDF names that mean active content or a file inside the file.
PDF_ACTIVE_NAMES = {
    "/JS": _("JavaScript"), "/JavaScript": _("JavaScript"), "/Launch": _("an action that launches a program"),
    "/AA": _("automatic actions"), "/XFA": _("an XFA form (which can run scripts)"),
    "/EmbeddedFile": _("an embedded file"), "/EmbeddedFiles": _("an embedded file"), "/EF": _("an embedded file"),
    "/RichMedia": _("embedded rich media"),
}
PDF_NAME = re.compile(rb"/[^\s/<>\[\]()%{}]+")
PDF_MAX_OBJECTS = 500_000


def max_bytes():
    return settings.NEWSROOM_MAX_DOCUMENT_BYTES


def refuse(message, code, **params):
    return ValidationError(message, code=code, params=params)


# --- checking --------------------------------------------------------------------------


def _pdf_name(raw):
    """A PDF name as the reader sees it: ``/J#61vaScript`` is ``/JavaScript``."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")


PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)


def _active_in_raw_bytes(content):
    """Names outside streams (whose compressed bytes would match by chance; pypdf reads object streams)."""
    for match in PDF_NAME.finditer(PDF_STREAM.sub(b" ", content)):
        name = _pdf_name(match.group())
        if name in PDF_ACTIVE_NAMES:
            return name
    return None


def _active_in_objects(reader):
    """The first active-content name met walking every object reachable from the trailer."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen, stack, visited = set(), [reader.trailer], 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            reference = (node.idnum, node.generation)
            if reference in seen:
                continue
            seen.add(reference)
            node = node.get_object()
        visited += 1
        if visited > PDF_MAX_OBJECTS:
            raise refuse(_("This PDF has too many objects to check."), "pdf_too_complex")
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in PDF_ACTIVE_NAMES:
                    return key
                if key == "/S" and isinstance(value, NameObject) and value in PDF_ACTIVE_NAMES:
                    return str(value)
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return None


def check_pdf(content):
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    found = _active_in_raw_bytes(content)
    if found is None:
        try:
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted:
                raise refuse(_("This PDF is encrypted, so it can't be checked. Save it without a password."),
                             "pdf_encrypted")
            len(reader.pages)  # the page tree must be readable
            found = _active_in_objects(reader)
        except ValidationError:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
            logger.info("Refused a damaged PDF", exc_info=True)
            raise refuse(_("This PDF is damaged and can't be used. Export it again."), "damaged") from None
    if found is not None:
        raise refuse(
            _("This PDF contains %(what)s (%(name)s), which is not accepted in a media kit. "
              "Export or print it again as a plain PDF, without scripts, actions or attachments."),
            "pdf_active_content", what=PDF_ACTIVE_NAMES[found], name=found,
        )
    return "pdf"


def _unsafe_member_name(name):
    return (
        name.startswith(("/", "\\")) or "\\" in name or re.match(r"^[A-Za-z]:", name) is not None
        or ".." in name.split("/") or "\0" in name
    )


def check_zip_container(content):
    """An open ZipFile whose every member passed the limits and reads back whole. Raises ValidationError."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise refuse(_("This file is damaged and can't be used. Save it again."), "damaged") from None
    if len(members) > ZIP_MAX_MEMBERS:
        raise refuse(_("This document has %(count)s parts; a document may have at most %(limit)s."),
                     "zip_too_many_members", count=len(members), limit=ZIP_MAX_MEMBERS)
    names = [member.filename for member in members]
    if any(_unsafe_member_name(name) for name in names) or len(set(names)) != len(names):
        raise refuse(_("This document contains parts with unsafe or duplicate names; it was not made by an "
                       "office program. Save it again from Word, Excel or LibreOffice."), "zip_unsafe_names")
    total = sum(member.file_size for member in members)
    if total > ZIP_MAX_UNCOMPRESSED:
        raise refuse(_("This document unpacks to %(size)s; the limit is %(limit)s."), "zip_too_large",
                     size=filesizeformat(total), limit=filesizeformat(ZIP_MAX_UNCOMPRESSED))
    for member in members:
        if member.flag_bits & 0x1:
            raise refuse(_("This document is encrypted, so it can't be checked. Save it without a password."),
                         "zip_encrypted")
        if member.file_size > 1024 * 1024 and member.file_size > ZIP_MAX_RATIO * max(member.compress_size, 1):
            raise refuse(_("This document is compressed suspiciously well (a “ZIP bomb”?) and was refused."),
                         "zip_ratio")
    try:
        # zipfile reads no more than each member's declared size, so this stays within ``total``.
        for member in members:
            with archive.open(member) as stream:
                while stream.read(1024 * 1024):
                    pass
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError, RuntimeError):
        raise refuse(_("This file is damaged and can't be used. Save it again."), "damaged") from None
    return archive


def _ooxml_kind(archive, names):
    raw = archive.read("[Content_Types].xml")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise refuse(_("This document's type list is not valid."), "ooxml_content_types")
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError:
        raise refuse(_("This document's type list is not valid."), "ooxml_content_types") from None
    declared = {}
    for element in root:
        content_type = (element.get("ContentType") or "").lower()
        if element.tag == CONTENT_TYPES_NS + "Override":
            declared[(element.get("PartName") or "").lstrip("/")] = content_type
        elif element.tag == CONTENT_TYPES_NS + "Default":
            declared["*." + (element.get("Extension") or "").lower()] = content_type
    lowered = [name.lower() for name in names]
    if set(declared.values()) & OOXML_MACRO_TYPES or any(
        name.endswith("vbaproject.bin") or name.startswith(("word/activex/", "xl/activex/")) for name in lowered
    ):
        raise refuse(_("This document contains macros or ActiveX controls, which are not accepted. "
                       "Save it as a plain .docx or .xlsx, without macros."), "ooxml_macros")
    kinds = {OOXML_MAIN[ct] for part, ct in declared.items() if ct in OOXML_MAIN and part in names}
    if len(kinds) != 1:
        raise refuse(_("This is not a Word or Excel document (its declared content type is not one of them). "
                       "%(accepted)s"), "ooxml_wrong_type", accepted=ACCEPTED)
    return kinds.pop()


def check_zip_document(content):
    archive = check_zip_container(content)
    names = archive.namelist()
    if names and names[0] == "mimetype":
        if archive.read("mimetype").strip() != ODT_MIMETYPE or "content.xml" not in names:
            raise refuse(_("This OpenDocument file is not a text document. %(accepted)s"), "odf_wrong_type",
                         accepted=ACCEPTED)
        if any(name.startswith(("Basic/", "Scripts/")) for name in names):
            raise refuse(_("This document contains macros, which are not accepted. Save it again without them."),
                         "odf_macros")
        return "odt"
    if "[Content_Types].xml" in names:
        return _ooxml_kind(archive, names)
    raise refuse(_("This file is a ZIP archive, not a document. %(accepted)s"), "not_a_document", accepted=ACCEPTED)


def check_text(content):
    if b"\0" in content:
        raise refuse(_("This file is not a document. %(accepted)s"), "not_a_document", accepted=ACCEPTED)
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse(_("This text file is not UTF-8. Save it as UTF-8 text and upload it again."), "text_encoding") from None
    return "txt"


def detect_kind(content):
    """The kind of a document by its bytes (a key of KINDS). Raises ValidationError."""
    if content.startswith(b"%PDF-"):
        return check_pdf(content)
    if content.startswith(b"PK\x03\x04"):
        return check_zip_document(content)
    return check_text(content)


def safe_name(name, default="document"):
    """A file name safe on every system, its letters kept: “Décision – Chișinău.pdf”, never “../x”."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("-" if unicodedata.category(c).startswith("C") or c in '<>:"|?*' else c for c in name)
    name = re.sub(r"\s+", " ", name).strip(" .-") or default
    stem, extension = posixpath.splitext(name)
    return stem[:100].strip(" .-") + extension[:10] if stem else default + extension[:10]


def unique_names(names):
    """The names, each made unique (case aside) with “ (2)”, “ (3)”… before the extension."""
    used, result = set(), []
    for name in names:
        stem, extension = posixpath.splitext(name)
        candidate, number = name, 1
        while candidate.lower() in used:
            number += 1
            candidate = f"{stem} ({number}){extension}"
        used.add(candidate.lower())
        result.append(candidate)
    return result


@dataclass
class CleanDocument:
    content: bytes
    kind: str
    filename: str

    @property
    def size(self):
        return len(self.content)


class DocumentUpload(ContentFile):
    """What the form field hands to the model: the checked file, carrying its kind and safe name."""

    def __init__(self, clean):
        super().__init__(clean.content, name=f"document.{clean.kind}")
        self.clean = clean


def check_upload(upload):
    """Refuse anything but a whole, inactive document within the limits. Returns a CleanDocument."""
    if upload.size > max_bytes():
        raise refuse(_("This file is %(size)s; the limit is %(limit)s."), "too_big",
                     size=filesizeformat(upload.size), limit=filesizeformat(max_bytes()))
    upload.seek(0)
    content = upload.read()
    kind = detect_kind(content)
    filename = safe_name(upload.name)
    extension = posixpath.splitext(filename)[1].lower().lstrip(".")
    if extension not in KINDS[kind].extensions:
        expected = KINDS[kind].extensions[0]
        raise refuse(
            _("The file name ends in “.%(extension)s” but the file is a %(kind)s document. "
              "Rename it to end in .%(expected)s, or upload the right file."),
            "extension_mismatch", extension=extension, kind=KINDS[kind].label, expected=expected,
        )
    return CleanDocument(content, kind, filename)


# --- storing and serving -----------------------------------------------------------------


def store(clean, storage):
    """Save a checked document under a new random key. Returns (key, stored name)."""
    key = uuid.uuid4().hex
    return key, storage.save(f"{FOLDER}/{key}/document.{clean.kind}", ContentFile(clean.content))


def delete_folder(key, storage):
    pictures.delete_folder(key, storage, root=FOLDER)


def file_response(document):
    """The document as a download under its own (Unicode) name, or 404 when its file is gone."""
    try:
        stored = document.file.storage.open(document.file.name, "rb")
    except OSError:
        raise Http404 from None
    return FileResponse(stored, as_attachment=True, filename=document.filename,
                        content_type=KINDS[document.kind].content_type)


# --- the media kit ZIP ---------------------------------------------------------------------


def kit_members(item):
    """(name in the ZIP, storage, stored name) for every picture original and document of ``item``."""
    entries = []
    for picture in item.pictures.all():
        extension = picture.image.name.rsplit(".", 1)[-1]
        label = picture.alt_text if not picture.credit else f"{picture.alt_text} ({picture.credit})"
        entries.append(("pictures/" + safe_name(f"{label[:90]}.{extension}", "picture"), picture.image))
    for document in item.documents.all():
        entries.append(("documents/" + document.filename, document.file))
    names = unique_names([name for name, _ in entries])
    return [(name, stored) for name, (_, stored) in zip(names, entries)]


def kit_size(item):
    """The bytes the kit will hold: the documents' recorded sizes and the pictures' stored originals."""
    return sum(d.size for d in item.documents.all()) + sum(p.image.storage.size(p.image.name) for p in item.pictures.all())


def kit_name(item):
    """Where the built kit of this edition is cached: each (model, edition, version) is built once."""
    return f"media-kits/{item._meta.model_name}/{item.pk}-v{item.version}.zip"


def write_kit(item, output):
    with zipfile.ZipFile(output, "w") as archive:
        for name, stored in kit_members(item):
            compression = zipfile.ZIP_DEFLATED if name.endswith(".txt") else zipfile.ZIP_STORED
            member = zipfile.ZipInfo(name, date_time=item.published_at.timetuple()[:6])
            member.compress_type = compression
            with stored.storage.open(stored.name, "rb") as source, archive.open(member, "w", force_zip64=True) as target:
                while chunk := source.read(1024 * 1024):
                    target.write(chunk)


def ready_kit(item, storage):
    """
    The kit as an open file: the one built earlier, or zipped now when it is small (up to
    ``NEWSROOM_MEDIA_KIT_INLINE_BYTES``); None when it is large and not built yet (the worker's job).
    """
    name = kit_name(item)
    if storage.exists(name):
        return storage.open(name, "rb")
    if kit_size(item) > settings.NEWSROOM_MEDIA_KIT_INLINE_BYTES:
        return None
    output = tempfile.TemporaryFile()
    write_kit(item, output)
    output.seek(0)
    return output


def build_kit(item, storage):
    """Build the kit into storage under ``kit_name`` (once: an existing one is kept). Returns its name."""
    name = kit_name(item)
    if storage.exists(name):
        return name
    with tempfile.TemporaryFile() as output:
        write_kit(item, output)
        output.seek(0)
        saved = storage.save(name, File(output))
    if saved != name:  # another worker finished first: keep theirs
        storage.delete(saved)
    return name


# --- the form field ---------------------------------------------------------------------


class DocumentField(forms.FileField):
    """An upload field that only lets through whole documents with no active content (see ``check_upload``)."""

    widget = forms.FileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("PDF, Word (.docx), Excel (.xlsx), OpenDocument text (.odt) or UTF-8 text; "
                                         "up to %(size)s. No macros, scripts or embedded files.")
                          % {"size": filesizeformat(max_bytes())})
        super().__init__(**kwargs)

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return DocumentUpload(check_upload(upload))
