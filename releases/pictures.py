"""
Pictures: checking an upload, cleaning it, making its renditions, storing them.

An upload is judged by its content, never by its name: Pillow must recognise
it as a JPEG, PNG, WebP or GIF, decode it completely, and find it within the
pixel and byte limits; the name's extension must then agree with what it is.

What gets stored is re-encoded from the decoded pixels, after turning the
picture upright by its EXIF orientation, so no EXIF, GPS, XMP, comment or ICC
data survives (a non-sRGB colour profile is converted to sRGB first, so colours
stay right). A GIF keeps its first frame only. Every picture gets width-based
renditions in WebP and JPEG, made once, at upload, and stored through Django's
storage API under a random key that nobody can guess:

    pictures/<key>/original.<jpg|png|webp>
    pictures/<key>/<width>.webp   pictures/<key>/<width>.jpg

Nothing here touches a local path, so any Django storage backend works
(the filesystem in development, an S3-compatible bucket in production).
"""
import io
import logging
import posixpath
import struct
import uuid
import warnings
import zlib
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, PngImagePlugin, UnidentifiedImageError

logger = logging.getLogger(__name__)

#: The formats accepted, as Pillow names them, with the file-name extensions that may carry each.
EXTENSIONS = {
    "JPEG": ("jpg", "jpeg", "jpe", "jfif"),
    "PNG": ("png",),
    "WEBP": ("webp",),
    "GIF": ("gif",),
}
#: The format the cleaned original is stored in: a GIF's first frame becomes a PNG.
STORED_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
FILE_EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
FOLDER = "pictures"

ACCEPTED = _("Upload a JPEG, PNG, WebP or GIF image.")


def max_pixels():
    return settings.NEWSROOM_MAX_IMAGE_PIXELS


def max_bytes():
    return settings.NEWSROOM_MAX_UPLOAD_BYTES


@dataclass
class Rendition:
    width: int
    height: int
    extension: str
    content: bytes


@dataclass
class CleanPicture:
    """An upload that passed every check, re-encoded without metadata, with its renditions; not yet stored."""

    original: bytes
    extension: str
    width: int
    height: int
    renditions: list = field(default_factory=list)


class PictureUpload(ContentFile):
    """What the form field hands to the model: the cleaned file, carrying its renditions."""

    def __init__(self, clean):
        super().__init__(clean.original, name=f"original.{clean.extension}")
        self.clean = clean


# --- checking ---------------------------------------------------------------


def _too_many_pixels(pixels=None):
    limit = max_pixels()
    if pixels is None:
        message = _("This image has too many pixels to process safely (the limit is %(limit)s megapixels).")
    else:
        message = _("This image has %(pixels)s megapixels; the limit is %(limit)s megapixels.")
    return ValidationError(
        message, code="too_many_pixels",
        params={"limit": f"{limit / 1_000_000:g}", "pixels": f"{(pixels or 0) / 1_000_000:.1f}"},
    )


def _open(upload):
    """
    Open ``upload`` with Pillow, restricted to the accepted formats.

    Pillow raises ``DecompressionBombError`` for huge images and only warns for
    big ones; the warning is made an error here. (The filter is process-wide
    while it is set, so under threads it may miss; the pixel check after opening
    is what really enforces the limit.)
    """
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(upload, formats=list(EXTENSIONS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except UnidentifiedImageError:
            raise ValidationError(_("This file is not an image. %(accepted)s"), code="not_an_image",
                                  params={"accepted": ACCEPTED}) from None


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")


def _text_too_large(kind, data, budget):
    """
    Whether Pillow would refuse this text chunk: longer than its ``MAX_TEXT_CHUNK``, or compressed
    and inflating beyond it. Inflating stops at that size, and at ``budget`` bytes in all, so a
    chunk of compressed zeros costs a megabyte at most. Returns (too large, bytes inflated).
    """
    limit = PngImagePlugin.MAX_TEXT_CHUNK
    if len(data) > limit:
        return True, 0
    _, _, rest = data.partition(b"\0")
    if kind == b"zTXt":
        compressed = rest[1:]
    elif kind == b"iTXt" and rest[:1] == b"\x01":
        compressed = rest[2:].split(b"\0", 2)[-1]
    else:
        return False, 0
    if budget <= 0:
        return True, 0
    inflater = zlib.decompressobj()
    try:
        inflated = len(inflater.decompress(compressed, min(limit, budget) + 1))
    except zlib.error:
        return False, 0  # Pillow skips a broken compressed text itself
    return inflated > limit or bool(inflater.unconsumed_tail), inflated


def _png_without_oversized_text(content):
    """
    ``content`` (a PNG) without the text chunks Pillow refuses as too large, or None when it has
    none. Text is metadata, discarded anyway: a screenshot tool's 5 MB description shouldn't cost
    the picture. Smaller text stays for Pillow to read (an XMP orientation, for one).
    """
    kept, position, dropped = [content[:8]], 8, False
    budget = PngImagePlugin.MAX_TEXT_MEMORY
    while position + 12 <= len(content):
        length, kind = struct.unpack(">I4s", content[position:position + 8])
        end = position + 12 + length
        if kind in PNG_TEXT_CHUNKS:
            too_large, inflated = _text_too_large(kind, content[position + 8:min(end, len(content)) - 4], budget)
            budget -= inflated
            if too_large:
                dropped = True
                position = end
                continue
        kept.append(content[position:end])
        position = end
        if kind == b"IEND":
            break
    kept.append(content[position:])  # whatever follows, as it came: Pillow judges it
    return b"".join(kept) if dropped else None


def _without_oversized_text(upload):
    """The upload, or a copy of it without oversized PNG text chunks (same name and size check)."""
    upload.seek(0)
    if upload.read(8) != PNG_SIGNATURE:
        return upload
    upload.seek(0)
    cleaned = _png_without_oversized_text(upload.read())
    if cleaned is None:
        return upload
    logger.info("Dropped oversized text metadata from PNG upload %r", upload.name)
    return ContentFile(cleaned, name=upload.name)


def _looks_like_svg(head):
    head = head.lstrip().lower()
    return b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in head)


def check_upload(upload):
    """
    Refuse anything that isn't a whole JPEG, PNG, WebP or GIF within the limits.

    Returns the opened, fully decoded image (first frame) and its format. Raises ValidationError.
    """
    if upload.size > max_bytes():
        raise ValidationError(
            _("This file is %(size)s; the limit is %(limit)s."), code="too_big",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes())},
        )
    upload.seek(0)
    if _looks_like_svg(upload.read(1024)):
        raise ValidationError(
            _("SVG files are not accepted: they can carry scripts. %(accepted)s"), code="svg",
            params={"accepted": ACCEPTED},
        )
    upload = _without_oversized_text(upload)
    try:
        image = _open(upload)
        # A camera JPEG carrying extra images (MPO) is a JPEG: only its first image is read.
        image_format = "JPEG" if image.format == "MPO" else image.format
        frames = 1 if image_format == "JPEG" else getattr(image, "n_frames", 1)
        # Size before any decoding: width × height × frames, so an animated bomb counts every frame.
        pixels = image.width * image.height * frames
        if pixels > max_pixels():
            raise _too_many_pixels(pixels)
        _check_extension(upload.name, image_format)
        image.verify()
        # verify() leaves the image unusable; decode it for real from the start.
        image = _open(upload)
        image.load()
    except ValidationError:
        raise
    except Exception:  # Pillow reports damaged files with many exception types (as Django's ImageField does).
        logger.info("Refused a damaged picture upload %r", upload.name, exc_info=True)
        raise ValidationError(
            _("This image is damaged or incomplete and can't be used. Export it again and upload the new file."),
            code="damaged",
        ) from None
    return image, image_format


def _check_extension(name, image_format):
    extension = posixpath.splitext(name or "")[1].lower().lstrip(".")
    if not extension:
        raise ValidationError(
            _("The file name has no extension; name this %(format)s image so it ends in .%(expected)s."),
            code="extension_missing", params={"format": image_format, "expected": EXTENSIONS[image_format][0]},
        )
    if extension not in EXTENSIONS[image_format]:
        raise ValidationError(
            _("The file name ends in “.%(extension)s” but the file is a %(format)s image. "
              "Rename it to end in .%(expected)s, or upload the right file."),
            code="extension_mismatch",
            params={"extension": extension, "format": image_format, "expected": EXTENSIONS[image_format][0]},
        )


# --- cleaning -------------------------------------------------------------------


def _to_srgb(image):
    """Convert pixels described by an embedded colour profile to sRGB, so the profile can go."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken profile: keep the pixels as they are rather than refuse the picture.
        return image


def upright_without_metadata(image):
    """The picture turned by its EXIF orientation, in RGB(A), with no metadata attached."""
    # In place, and converting only when needed: a 40-megapixel picture is 160 MB per copy.
    ImageOps.exif_transpose(image, in_place=True)
    image = _to_srgb(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    if image.mode != mode:
        image = image.convert(mode)
    image.info = {}
    return image


def _encode(image, extension, quality):
    output = io.BytesIO()
    if extension == "jpg":
        if image.mode == "RGBA":
            # JPEG has no transparency: flatten onto white, as the page background is.
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            image = background
        image.save(output, "JPEG", quality=quality, optimize=True, progressive=True)
    elif extension == "webp":
        image.save(output, "WEBP", quality=quality, method=4)
    else:
        image.save(output, "PNG", optimize=False, compress_level=6)
    return output.getvalue()


def rendition_widths(width):
    """The configured widths below the original's, plus the original's own when it is smaller than the largest."""
    widths = sorted(settings.NEWSROOM_PICTURE_WIDTHS)
    return sorted({w for w in widths if w < width} | {min(width, widths[-1])})


def make_renditions(image):
    renditions = []
    for width in rendition_widths(image.width):
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize(
            (width, height), Image.Resampling.LANCZOS, reducing_gap=3.0,
        )
        renditions.append(Rendition(width, height, "webp", _encode(resized, "webp", 80)))
        renditions.append(Rendition(width, height, "jpg", _encode(resized, "jpg", 82)))
    return renditions


def clean_upload(upload):
    """Check ``upload``, then re-encode it without metadata and make its renditions. Raises ValidationError."""
    image, image_format = check_upload(upload)
    try:
        clean = upright_without_metadata(image)
        extension = FILE_EXTENSION[STORED_FORMAT[image_format]]
        result = CleanPicture(
            original=_encode(clean, extension, 90), extension=extension,
            width=clean.width, height=clean.height, renditions=make_renditions(clean),
        )
    except (OSError, ValueError):
        logger.info("Could not process picture upload %r", upload.name, exc_info=True)
        raise ValidationError(
            _("This image could not be processed. Export it again as a JPEG or PNG and upload the new file."),
            code="unprocessable",
        ) from None
    return PictureUpload(result)


# --- storing ----------------------------------------------------------------------


def new_key():
    return uuid.uuid4().hex


def folder_for(key, root=FOLDER):
    return f"{root}/{key}"


def store(clean, storage):
    """
    Save a cleaned picture and its renditions under a new random key.

    Returns (key, name of the original, renditions as dicts for the database).
    If a save fails half-way, what was saved is removed again.
    """
    key = new_key()
    folder = folder_for(key)
    try:
        original = storage.save(f"{folder}/original.{clean.extension}", ContentFile(clean.original))
        renditions = [
            {
                "width": r.width, "height": r.height, "format": r.extension, "size": len(r.content),
                "name": storage.save(f"{folder}/{r.width}.{r.extension}", ContentFile(r.content)),
            }
            for r in clean.renditions
        ]
    except Exception:
        delete_folder(key, storage)
        raise
    return key, original, renditions


def delete_folder(key, storage, root=FOLDER):
    """Remove every file stored under ``key`` (and, on a filesystem, the emptied folder)."""
    folder = folder_for(key, root)
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{folder}/{name}")
    storage.delete(folder)


def prune(storage, used_keys, older_than, root=FOLDER):
    """
    Delete the folders of keys no picture uses, whose files are older than ``older_than``
    (an aware datetime; younger ones may belong to an upload whose row isn't committed yet).

    Deleting a picture or its owner removes its files; this catches what slipped past
    that: a bulk queryset delete in a shell, a transaction rolled back after storing.
    Returns the keys deleted.
    """
    try:
        keys, _ = storage.listdir(root)
    except FileNotFoundError:
        return []
    deleted = []
    for key in sorted(set(keys) - set(used_keys)):
        folder = folder_for(key, root)
        _, files = storage.listdir(folder)
        if all(storage.get_modified_time(f"{folder}/{name}") < older_than for name in files):
            delete_folder(key, storage, root)
            deleted.append(key)
    return deleted


# --- the form field ---------------------------------------------------------------------


class PictureField(forms.FileField):
    """An upload field that only lets through whole, safe images, already cleaned (see ``clean_upload``)."""

    widget = forms.FileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _(
            "JPEG, PNG, WebP or GIF (first frame only); up to %(size)s and %(pixels)s megapixels. "
            "Location and camera data are removed."
        ) % {"size": filesizeformat(max_bytes()), "pixels": f"{max_pixels() / 1_000_000:g}"})
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/jpeg,image/png,image/webp,image/gif")

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return clean_upload(upload)
