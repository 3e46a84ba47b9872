"""
Pictures: uploads through the admin, the checks that refuse hostile files, metadata stripping,
renditions and their lifecycle, storage other than the local disk, and query counts with pictures.

Every image is made here with Pillow (the decompression bombs are written chunk by chunk, since
Pillow would need gigabytes of memory to draw them).
"""
import io
import struct
import time
import zlib

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from moto import mock_aws
from PIL import ExifTags, Image

from releases.models import Picture

from .factories import image_bytes, make_advisory, make_picture, make_release, make_source, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Each test stores its pictures in its own empty folder, so 'nothing stored' can be checked."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(storage=default_storage, path="pictures"):
    """Every file under ``path`` in ``storage``, found through the storage API."""
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:
        return []
    found = [f"{path}/{name}" for name in files]
    for folder in folders:
        found += stored_files(storage, f"{path}/{folder}")
    return sorted(found)


def change_url(item):
    return reverse(f"admin:releases_{item._meta.model_name}_change", args=[item.pk])


def release_form(release, pictures=(), initial=0):
    """The release change form as the admin posts it, with ``pictures`` as inline forms."""
    data = {
        "source": release.source_id, "category": release.category, "title": release.title,
        "slug": release.slug, "summary": release.summary, "body": release.body, "original_url": "",
        "revision": release.revision,
        "documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0",
        "pictures-TOTAL_FORMS": str(len(pictures)), "pictures-INITIAL_FORMS": str(initial),
        "pictures-MIN_NUM_FORMS": "0", "pictures-MAX_NUM_FORMS": "1000",
    }
    for index, fields in enumerate(pictures):
        data.update({f"pictures-{index}-{name}": value for name, value in fields.items()})
    return data


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def post_picture(client, release, file, **fields):
    fields = {"image": file, "alt_text": "The North Atlantic Council in session", "position": "0", **fields}
    return client.post(change_url(release), release_form(release, [fields]))


@pytest.fixture
def draft(client, writer):
    client.force_login(writer)
    return make_release(author=writer, title="Ministers meet")


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(width, height):
    """A valid black 1-bit PNG of width × height pixels: a few hundred kilobytes that decode to gigabytes."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def animated_gif(size, frames):
    # Each frame a different colour: Pillow merges identical frames.
    images = [Image.new("RGB", size, (index * 40 % 256, 0, 0)) for index in range(frames)]
    output = io.BytesIO()
    images[0].save(output, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return output.getvalue()


def open_stored(name):
    with default_storage.open(name) as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


# --- the editor's journey -----------------------------------------------------------


def test_editor_adds_a_photograph_and_the_public_page_shows_it_sharp_and_credited(client, draft, reviewer):
    response = post_picture(
        client, draft, upload("IMG_0042.JPG", image_bytes("JPEG", size=(2400, 1600), quality=92), "image/jpeg"),
        alt_text="Secretary General Rutte at the podium", caption="Press conference, Brussels",
        credit="© NATO", is_lead="on",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    picture = Picture.objects.get(release=draft)
    edit_page = client.get(change_url(draft)).content.decode()
    assert picture.smallest_url in edit_page  # the editor sees the picture through the checking view

    publish(draft, reviewer)
    client.force_login(reviewer)
    read_only = client.get(change_url(draft)).content.decode()
    assert picture.smallest_url in read_only and "/media/" not in read_only  # never a storage address
    client.logout()
    page = client.get(draft.get_absolute_url()).content.decode()
    assert f'srcset="{picture.srcset_webp}"' in page and f'srcset="{picture.srcset_jpeg}"' in page
    assert 'sizes="(min-width: 46rem) 44rem, calc(100vw - 2rem)"' in page
    assert 'width="1280" height="853"' in page
    assert 'alt="Secretary General Rutte at the podium"' in page
    assert "Press conference, Brussels" in page and '<span class="credit">© NATO</span>' in page
    assert f'<meta property="og:image" content="http://testserver{picture.largest_url}">' in page
    home = client.get(reverse("releases:home")).content.decode()
    assert f'srcset="{picture.srcset_jpeg}" sizes="8rem"' in home
    assert client.get(picture.largest_url).status_code == 200


# --- accepted uploads --------------------------------------------------------------


@pytest.mark.parametrize("image_format, name, stored_as", [
    ("JPEG", "photo.jpg", "JPEG"),
    ("PNG", "photo.png", "PNG"),
    ("WEBP", "photo.webp", "WEBP"),
])
def test_jpeg_png_and_webp_are_accepted_with_their_renditions(client, draft, image_format, name, stored_as):
    response = post_picture(client, draft, upload(name, image_bytes(image_format, size=(1600, 1000))))
    assert response.status_code == 302, response.content.decode()[:3000]
    picture = Picture.objects.get(release=draft)
    assert (picture.width, picture.height) == (1600, 1000)
    assert open_stored(picture.image.name).format == stored_as
    renditions = {(r["width"], r["height"], r["format"]) for r in picture.renditions}
    assert renditions == {(w, h, f) for w, h in [(320, 200), (640, 400), (1280, 800)] for f in ("webp", "jpg")}
    for rendition in picture.renditions:
        image = open_stored(rendition["name"])
        assert image.format == {"webp": "WEBP", "jpg": "JPEG"}[rendition["format"]]
        assert image.size == (rendition["width"], rendition["height"])
        assert default_storage.size(rendition["name"]) == rendition["size"]
    assert stored_files() == sorted([picture.image.name] + [r["name"] for r in picture.renditions])


def test_a_gif_is_accepted_and_keeps_its_first_frame(client, draft):
    frames = [Image.new("RGB", (700, 400), color) for color in [(0, 90, 200), (250, 0, 0), (0, 200, 0)]]
    output = io.BytesIO()
    frames[0].save(output, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    response = post_picture(client, draft, upload("animation.gif", output.getvalue()))
    assert response.status_code == 302, response.content.decode()[:3000]
    picture = Picture.objects.get(release=draft)
    original = open_stored(picture.image.name)
    assert original.format == "PNG" and getattr(original, "n_frames", 1) == 1
    red, green, blue = original.convert("RGB").getpixel((350, 200))
    assert blue > 150 and red < 60  # the first frame's blue, not a later frame
    assert sorted({r["width"] for r in picture.renditions}) == [320, 640, 700]


def test_a_camera_jpeg_with_extra_images_is_a_jpeg(client, draft):
    """Some cameras write MPO: a JPEG with a second image appended. The first is the picture."""
    first, second = Image.new("RGB", (800, 600), (200, 0, 0)), Image.new("RGB", (800, 600), (0, 0, 200))
    output = io.BytesIO()
    first.save(output, "MPO", save_all=True, append_images=[second])
    assert post_picture(client, draft, upload("DSCF0001.JPG", output.getvalue())).status_code == 302
    original = open_stored(Picture.objects.get(release=draft).image.name)
    assert original.format == "JPEG" and original.getpixel((400, 300))[0] > 150


def test_a_cmyk_jpeg_is_stored_in_rgb(client, draft):
    output = io.BytesIO()
    Image.new("CMYK", (640, 480), (0, 255, 255, 0)).save(output, "JPEG")  # printer's red
    assert post_picture(client, draft, upload("print.jpg", output.getvalue())).status_code == 302
    original = open_stored(Picture.objects.get(release=draft).image.name)
    red, green, blue = original.getpixel((320, 240))
    assert original.mode == "RGB" and red > 200 and green < 60 and blue < 60


@pytest.mark.parametrize("profile", ["srgb", "broken"])
def test_colour_profiles_are_applied_then_removed(client, draft, profile):
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() if profile == "srgb" else b"garbage"
    upload_file = upload("profiled.jpg", image_bytes("JPEG", size=(640, 480), color=(0, 120, 0), icc_profile=icc))
    assert post_picture(client, draft, upload_file).status_code == 302
    for name in stored_files():
        image = open_stored(name)
        assert "icc_profile" not in image.info, name
        red, green, blue = image.convert("RGB").getpixel((image.width - 5, image.height - 5))
        assert abs(green - 120) < 12 and red < 20 and blue < 20, (name, (red, green, blue))


def test_a_small_picture_is_not_enlarged(client, draft):
    post_picture(client, draft, upload("small.png", image_bytes("PNG", size=(500, 300))))
    picture = Picture.objects.get(release=draft)
    assert sorted({(r["width"], r["height"]) for r in picture.renditions}) == [(320, 192), (500, 300)]
    assert picture.largest["width"] == 500


# --- refused uploads ---------------------------------------------------------------------


def truncated_jpeg():
    content = image_bytes("JPEG", size=(1200, 800), quality=95)
    return content[: len(content) // 2]


SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
       b'<script>alert(document.cookie)</script><rect width="100" height="100"/></svg>')
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"

REFUSED = {
    # name: (file name, content builder, extra settings, error shown)
    "bomb png": ("bomb.png", lambda: bomb_png(30_000, 30_000), {}, "too many pixels to process safely"),
    "big png, pillow warns": ("big.png", lambda: bomb_png(10_000, 10_000), {}, "too many pixels to process safely"),
    "png over the limit": ("large.png", lambda: bomb_png(8_000, 6_000), {}, "48.0 megapixels; the limit is 40 megapixels"),
    "animated bomb gif": (
        "animated.gif", lambda: animated_gif((500, 500), 5), {"NEWSROOM_MAX_IMAGE_PIXELS": 1_000_000},
        "1.2 megapixels; the limit is 1 megapixels",
    ),
    "truncated jpeg": ("cut.jpg", truncated_jpeg, {}, "damaged or incomplete"),
    "text named .jpg": ("notes.jpg", lambda: b"Meeting notes: not for publication.\n" * 20, {}, "This file is not an image"),
    "html named .png": ("page.png", lambda: HTML, {}, "This file is not an image"),
    "svg with a script": ("logo.svg", lambda: SVG, {}, "SVG files are not accepted"),
    "svg named .png": ("logo.png", lambda: SVG, {}, "SVG files are not accepted"),
    "png named .jpg": ("photo.jpg", lambda: image_bytes("PNG"), {}, "but the file is a PNG image"),
    "jpeg without extension": ("photo", lambda: image_bytes("JPEG"), {}, "The file name has no extension"),
    "oversize file": (
        "huge.jpg", lambda: image_bytes("JPEG", size=(1600, 1000)), {"NEWSROOM_MAX_UPLOAD_BYTES": 5_000},
        "the limit is 4.9\xa0KB",
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_hostile_or_broken_uploads_are_refused_with_a_form_error_and_nothing_stored(client, draft, settings, case):
    name, content, overrides, error = REFUSED[case]
    for setting, value in overrides.items():
        setattr(settings, setting, value)
    response = post_picture(client, draft, upload(name, content()))
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page.replace("&#x27;", "'"), page[page.find("errorlist") - 200: page.find("errorlist") + 600]
    assert not Picture.objects.exists()
    assert stored_files() == []


def test_an_animated_gif_is_refused_only_for_all_its_frames(client, draft, settings):
    """The same frame size passes alone: it is the frames together that exceed the limit."""
    settings.NEWSROOM_MAX_IMAGE_PIXELS = 1_000_000
    assert post_picture(client, draft, upload("one.gif", animated_gif((500, 500), 1))).status_code == 302
    assert Picture.objects.count() == 1


def test_alt_text_is_required(client, draft):
    response = post_picture(client, draft, upload("photo.jpg", image_bytes()), alt_text="  ")
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not Picture.objects.exists() and stored_files() == []


def test_only_one_lead_picture(client, draft):
    pictures = [
        {"image": upload(f"photo{n}.jpg", image_bytes()), "alt_text": f"Photo {n}", "is_lead": "on", "position": n}
        for n in (1, 2)
    ]
    response = client.post(change_url(draft), release_form(draft, pictures))
    assert response.status_code == 200 and "Only one picture can be the lead picture." in response.content.decode()
    assert not Picture.objects.exists() and stored_files() == []


# --- privacy: metadata ---------------------------------------------------------------


def test_gps_and_camera_data_are_removed_and_the_picture_stays_upright(client, draft):
    # Stored sideways, as a camera held upright writes it: left half red, right half blue, and
    # EXIF orientation 6 ("rotate 90° clockwise to view"), so upright the red half is on top.
    raw = Image.new("RGB", (400, 200), (0, 0, 255))
    raw.paste((255, 0, 0), (0, 0, 200, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Artist] = "Jane Photographer"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 52.0, 38.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 25.0, 31.0)
    output = io.BytesIO()
    raw.save(output, "JPEG", quality=95, exif=exif, comment=b"shot at the safe house")
    sent = output.getvalue()
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the upload does carry GPS

    assert post_picture(client, draft, upload("field.jpg", sent)).status_code == 302
    picture = Picture.objects.get(release=draft)
    assert (picture.width, picture.height) == (200, 400)
    for name in stored_files():
        with default_storage.open(name) as file:
            content = file.read()
        assert b"SecretCam" not in content and b"Jane Photographer" not in content and b"safe house" not in content
        image = Image.open(io.BytesIO(content))
        assert not image.getexif(), name
        assert not {"exif", "comment", "xmp", "XML:com.adobe.xmp", "icc_profile"} & set(image.info), name
        image = image.convert("RGB")
        width, height = image.size
        assert height > width, name
        top, bottom = image.getpixel((width // 2, height // 8)), image.getpixel((width // 2, height * 7 // 8))
        assert top[0] > 200 and top[2] < 60, (name, top)  # red on top
        assert bottom[2] > 200 and bottom[0] < 60, (name, bottom)  # blue below


def test_xmp_and_exif_go_from_an_upright_jpeg_too(client, draft):
    """Nothing to turn, so the decoded file itself is re-encoded: its metadata must still go."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"
    sent = image_bytes("JPEG", size=(800, 600), exif=exif, xmp=b"<x:xmpmeta>exif:GPSLatitude 50,52N</x:xmpmeta>")
    assert post_picture(client, draft, upload("upright.jpg", sent)).status_code == 302
    for name in stored_files():
        with default_storage.open(name) as file:
            content = file.read()
        assert b"SecretCam" not in content and b"GPSLatitude" not in content and b"xmpmeta" not in content, name
        assert not Image.open(io.BytesIO(content)).getexif(), name


def test_png_text_chunks_are_removed(client, draft):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "GPS 50.877N 4.425E")
    info.add_text("Author", "Jane Photographer")
    post_picture(client, draft, upload("chart.png", image_bytes("PNG", pnginfo=info)))
    for name in stored_files():
        with default_storage.open(name) as file:
            content = file.read()
        assert b"Jane" not in content and b"50.877" not in content, name


def png_with_text(kind, size):
    """A real PNG made by Pillow carrying ``size`` characters of text metadata in a ``kind`` chunk."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    text = ("Legende: Chisinau, Novak. " * (size // 26 + 1))[:size]
    if kind == "tEXt":
        info.add_text("Comment", text)
    elif kind == "zTXt":
        info.add_text("Comment", text, zip=True)
    else:
        info.add_itxt("Description", text.replace("Chisinau", "Chișinău"), lang="ro", zip=True)
    return image_bytes("PNG", size=(640, 400), pnginfo=info)


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt"])
def test_a_png_carrying_megabytes_of_text_metadata_is_accepted_without_it(client, draft, kind):
    """5 MB of text in a PNG is metadata like any other: discarded, and the picture kept."""
    sent = png_with_text(kind, 5_000_000)
    response = post_picture(client, draft, upload("chart.png", sent))
    assert response.status_code == 302, response.content.decode()[:3000]
    picture = Picture.objects.get(release=draft)
    assert (picture.width, picture.height) == (640, 400)
    for name in stored_files():
        with default_storage.open(name) as file:
            content = file.read()
        assert b"Legende" not in content and len(content) < 200_000, name


def test_a_text_chunk_that_decompresses_without_end_is_not_decompressed_without_bound(client, draft):
    """
    A zTXt chunk of 1 GB of zeros compresses to 1 MB: it must not be inflated in full (memory,
    time). The picture is kept without it, in well under the time a full inflation takes.
    """
    compressor = zlib.compressobj(9)
    block = b"\0" * 1_000_000
    bomb = b"".join(compressor.compress(block) for _ in range(1000)) + compressor.flush()
    plain = image_bytes("PNG", size=(320, 200))
    # The chunk goes right after the header, where Pillow reads text before the pixels.
    sent = plain[:33] + png_chunk(b"zTXt", b"Comment\0\0" + bomb) + plain[33:]
    started = time.monotonic()
    response = post_picture(client, draft, upload("chart.png", sent))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert time.monotonic() - started < 5
    assert Picture.objects.get(release=draft).width == 320


# --- renditions: replacing and deleting -------------------------------------------------------


def test_replacing_a_picture_removes_its_old_files(client, draft, django_capture_on_commit_callbacks):
    picture = make_picture(draft, credit="© NATO")
    old_files = stored_files()
    assert old_files and all(picture.key in name for name in old_files)
    form = {"id": picture.pk, "release": draft.pk, "image": upload("new.png", image_bytes("PNG", size=(900, 600))),
            "alt_text": picture.alt_text, "credit": "© NATO", "position": "0"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(draft), release_form(draft, [form], initial=1))
    assert response.status_code == 302, response.content.decode()[:3000]
    picture.refresh_from_db()
    assert (picture.width, picture.height) == (900, 600)
    assert not set(old_files) & set(stored_files())
    assert stored_files() == sorted([picture.image.name] + [r["name"] for r in picture.renditions])


def test_deleting_a_picture_in_the_admin_removes_its_files(client, draft, django_capture_on_commit_callbacks):
    picture = make_picture(draft)
    form = {"id": picture.pk, "release": draft.pk, "alt_text": picture.alt_text, "position": "0", "DELETE": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(draft), release_form(draft, [form], initial=1))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Picture.objects.exists()
    assert stored_files() == []


def test_deleting_a_draft_release_removes_its_pictures_files(client, draft, django_capture_on_commit_callbacks):
    make_picture(draft)
    make_picture(draft, alt_text="A second photograph")
    delete_url = reverse("admin:releases_release_delete", args=[draft.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Picture.objects.exists() and stored_files() == []


def test_a_new_edition_shares_the_files_and_deleting_one_edition_keeps_them(
    writer, reviewer, django_capture_on_commit_callbacks,
):
    release = publish(make_release(author=writer), reviewer)
    picture = make_picture(release, is_lead=True, credit="© NATO")
    files = stored_files()
    draft = release.start_new_draft(writer)
    copy = draft.pictures.get()
    assert (copy.key, copy.image.name, copy.credit, copy.is_lead) == (picture.key, picture.image.name, "© NATO", True)
    assert stored_files() == files  # no file was copied
    with django_capture_on_commit_callbacks(execute=True):
        copy.delete()
        draft.delete()
    assert stored_files() == files  # the published edition still uses them
    with django_capture_on_commit_callbacks(execute=True):
        picture.delete()
    assert stored_files() == []


def test_prune_command_deletes_only_files_nobody_uses(writer):
    kept = make_picture(make_release(author=writer))
    orphan = make_picture(make_release(author=writer))
    Picture.objects.filter(pk=orphan.pk).delete()  # a bulk delete: no per-object clean-up
    call_command("prune_pictures", min_age_minutes=0, stdout=io.StringIO())
    remaining = stored_files()
    assert remaining and all(kept.key in name for name in remaining)


# --- storage: nothing assumes a local disk --------------------------------------------------------


@mock_aws
def test_pictures_work_on_s3_compatible_storage(client, settings, writer, reviewer, django_capture_on_commit_callbacks):
    """The production configuration (django-storages' S3Storage, private bucket), against a fake S3."""
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="newsroom-media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "newsroom-media", "region_name": "us-east-1", "location": "media",
                        "default_acl": "private", "querystring_auth": True},
        },
    }
    release = make_release(author=writer)
    picture = make_picture(release, is_lead=True)
    bucket = boto3.resource("s3", region_name="us-east-1").Bucket("newsroom-media")
    keys = {obj.key for obj in bucket.objects.all()}
    assert keys == {f"media/{picture.image.name}"} | {f"media/{r['name']}" for r in picture.renditions}
    assert client.get(picture.largest_url).status_code == 404
    publish(release, reviewer)
    response = client.get(picture.largest_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == bucket.Object(f"media/{picture.largest['name']}").get()["Body"].read()
    with django_capture_on_commit_callbacks(execute=True):
        Picture.objects.get(pk=picture.pk).delete()
    assert list(bucket.objects.all()) == []


# --- logos ---------------------------------------------------------------------------------


def test_press_office_adds_a_logo_shown_on_the_source_page(client, press_officer):
    source = make_source("NATO", slug="nato")
    client.force_login(press_officer)
    response = client.post(reverse("admin:releases_source_change", args=[source.pk]), {
        "name": "NATO", "slug": "nato", "website": "", "description": "", "social_handles": "",
        "logo-TOTAL_FORMS": "1", "logo-INITIAL_FORMS": "0", "logo-MIN_NUM_FORMS": "0", "logo-MAX_NUM_FORMS": "1",
        "logo-0-image": upload("nato.png", image_bytes("PNG", size=(400, 400))), "logo-0-alt_text": "NATO logo",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    logo = Picture.objects.get(source=source)
    client.logout()
    page = client.get(source.get_absolute_url()).content.decode()
    assert logo.srcset_webp in page and 'alt="NATO logo"' in page
    assert client.get(logo.smallest_url).status_code == 200


# --- query counts ---------------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_pages_keep_a_constant_number_of_queries_with_pictures(client, writer, reviewer):
    source = make_source("NATO", slug="nato")

    def add_items(count):
        for n in range(count):
            item = (make_release if n % 2 else make_advisory)(source=source, author=writer)
            make_picture(item, is_lead=True, credit="© NATO", content=image_bytes(size=(400, 300)))
            make_picture(item, alt_text="Second picture", content=image_bytes(size=(400, 300)))
            publish(item, reviewer)

    urls = [reverse("releases:home"), source.get_absolute_url(), reverse("releases:feed-rss")]
    add_items(2)
    few = [count_queries(client, url) for url in urls]
    add_items(6)
    many = [count_queries(client, url) for url in urls]
    assert many == few
    assert client.get(reverse("releases:home")).content.decode().count('class="entry-thumb"') == 8
