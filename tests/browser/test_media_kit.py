"""The media kit on a public page: the documents listed, visible, and "Download all" giving the ZIP."""
import io
import zipfile

import pytest
from playwright.sync_api import expect

from releases.models import Release

from .conftest import with_media_kit

pytestmark = pytest.mark.browser


def test_a_reader_sees_the_documents_and_downloads_the_kit(visitor, demo_week):
    release = Release.objects.get(slug="nato-encourages-scientific-cooperation-with-moldova-at-nato-day-in-chisinau")
    with_media_kit(release)
    visitor.goto(release.get_absolute_url())
    kit = visitor.get_by_role("region", name="Media kit")
    document = kit.get_by_role("link", name="Fact sheet: NATO Day in Chișinău")
    document.scroll_into_view_if_needed()
    expect(document).to_be_in_viewport()
    box = document.bounding_box()
    assert box["width"] > 0 and box["height"] > 0
    expect(kit).to_contain_text("(Text, 22\xa0bytes, French)")

    with visitor.expect_download() as download:
        kit.get_by_role("link", name="Download all").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    assert "documents/Fact sheet – Chișinău.pdf" in archive.namelist()
    assert download.value.suggested_filename == f"{release.slug}-media-kit.zip"
