"""CSV import (a report by line, nothing written until confirmed, all or nothing) and export (round trip, no formulas)."""
import codecs
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journalists.models import Journalist, MediaList
from tests.factories import make_source

from .factories import make_journalist, make_list

HEADER = "name,outlet,email,languages,sources,kinds,basis,basis_date,notes\n"
IMPORT_URL = reverse("admin:journalists_journalist_import")
CONFIRM_URL = reverse("admin:journalists_journalist_import_confirm")


@pytest.fixture
def sources():
    return make_source("NATO"), make_source("Europol")


def upload(client, content, media_list=None, name="journalists.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    post = {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    if media_list is not None:
        post["media_list"] = media_list.pk
    return client.post(IMPORT_URL, post)


def confirm(client):
    digest = client.session["journalists_import"]["digest"]
    return client.post(CONFIRM_URL, {"digest": digest})


def report(response):
    """The report's problems as (line, message) pairs, as the page shows them."""
    return [(problem.line, problem.message) for problem in response.context["preview"].problems]


def test_a_clean_file_is_previewed_then_written_on_confirm(client, press_officer, sources):
    """The preview writes nothing and offers Confirm; Confirm writes every row with its beat and languages."""
    client.force_login(press_officer)
    response = upload(client, HEADER + (
        "Ana Novák,Deník N,Ana.Novak@denikn.cz,en;cs,NATO,releases,consent,2023-03-01,Met at the summit\n"
        'Ion Popescu,"Radio Chișinău, news",ion@radiochisinau.md,ro; en,NATO;Europol,,professional,2022-11-08,\n'
    ))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Confirm import" in page and "adds 2 journalists" in page
    assert Journalist.objects.count() == 0
    assert confirm(client).status_code == 302
    ana = Journalist.objects.get(email="ana.novak@denikn.cz")
    assert ana.name == "Ana Novák" and ana.kinds == "releases" and ana.notes == "Met at the summit"
    assert sorted(ana.languages.values_list("code", flat=True)) == ["cs", "en"]
    ion = Journalist.objects.get(email="ion@radiochisinau.md")
    assert ion.outlet == "Radio Chișinău, news" and ion.kinds == "both"
    assert sorted(ion.sources.values_list("name", flat=True)) == ["Europol", "NATO"]
    assert "journalists_import" not in client.session


def test_confirming_twice_writes_once(client, press_officer, sources):
    """The preview is used up by its confirmation; a second Confirm writes nothing more."""
    client.force_login(press_officer)
    upload(client, HEADER + "Ana,,ana@example.org,,,,consent,2023-03-01,\n")
    digest = client.session["journalists_import"]["digest"]
    client.post(CONFIRM_URL, {"digest": digest})
    response = client.post(CONFIRM_URL, {"digest": digest}, follow=True)
    assert "no longer waiting" in response.content.decode()
    assert Journalist.objects.count() == 1


@pytest.mark.parametrize("content, line, message", [
    (HEADER + "Ana,,not-an-address,,,,consent,2023-03-01,\n", 2, "is not a valid e-mail address"),
    (HEADER + "Ana,,ana@example.org,,,,consent,2023-03-01,\nAna B,,ANA@example.org,,,,consent,2023-03-01,\n",
     3, "ana@example.org is already on line 2"),
    ("name,email,phone,basis,basis_date\nAna,ana@example.org,123,consent,2023-03-01\n", 1, "unknown column “phone”"),
    ("name,email,language,basis,basis_date\nAna,ana@example.org,en,consent,2023-03-01\n", 1, "did you mean “languages”?"),
    ("name,email,basis\nAna,ana@example.org,consent\n", 1, "the required column “basis_date” is missing"),
    (HEADER + "Ana,,ana@example.org,,,,consent,2023-03-01\n", 2, "has 8 fields where the header names 9"),
    (HEADER + "Ana,,ana@example.org,,,,consent,2023-03-01,,extra\n", 2, "has 10 fields where the header names 9"),
    (HEADER + "Ana,,ana@example.org,xx,,,consent,2023-03-01,\n", 2, "unknown language “xx”"),
    (HEADER + "Ana,,ana@example.org,,Interpol,,consent,2023-03-01,\n", 2, "unknown source “Interpol”"),
    (HEADER + "Ana,,ana@example.org,,,,maybe,2023-03-01,\n", 2, "basis “maybe” is not one of"),
    (HEADER + "Ana,,ana@example.org,,,,consent,01/03/2023,\n", 2, "is not a date written like 2023-11-08"),
    (HEADER + ",,ana@example.org,,,,consent,2023-03-01,\n", 2, "the name is empty"),
    (HEADER + 'Ana,,ana@example.org,,,,consent,2023-03-01,"unclosed\n', 2, "the CSV is malformed"),
])
def test_each_problem_is_reported_by_line_and_nothing_is_written(client, press_officer, sources, content, line, message):
    """Invalid address, duplicate, unknown or missing column, wrong field count, bad values: the line, no Confirm."""
    client.force_login(press_officer)
    good_row = "Good Row,,good@example.org,,,,consent,2023-03-01,\n" if content.startswith(HEADER) else ""
    response = upload(client, content + good_row)
    problems = report(response)
    assert any(number == line and message in text for number, text in problems), problems
    page = response.content.decode()
    assert "nothing has been written" in page and "Confirm import" not in page
    assert message.split("“")[0] in page
    assert "journalists_import" not in client.session
    assert Journalist.objects.count() == 0


def test_latin_1_bytes_are_reported_on_their_line(client, press_officer):
    """A file saved as Windows-1252 is refused with the line and how it reads, and nothing is written."""
    client.force_login(press_officer)
    content = (HEADER + "Ana,,ana@example.org,,,,consent,2023-03-01,\n"
               "Jan Dvořák,,jan@example.org,,,,consent,2023-03-01,\n"
               "Zoë Müller,,zoe@example.org,,,,consent,2023-03-01,\n")
    data = content.encode("utf-8").replace("Zoë Müller".encode("utf-8"), "Zoë Müller".encode("cp1252"))
    problems = report(upload(client, data))
    assert len(problems) == 1
    assert problems[0][0] == 4
    assert "not UTF-8 (byte 0xeb at position 3)" in problems[0][1] and "Zoë Müller" in problems[0][1]
    assert Journalist.objects.count() == 0


def test_a_utf_16_file_is_refused(client, press_officer):
    """Excel's "Unicode text" is named for what it is."""
    client.force_login(press_officer)
    data = codecs.BOM_UTF16_LE + (HEADER + "Ana,,ana@example.org,,,,consent,2023-03-01,\n").encode("utf-16-le")
    assert "UTF-16" in report(upload(client, data))[0][1]


def test_a_bom_and_semicolons_are_read(client, press_officer, sources):
    """A UTF-8 BOM is fine, and a header without commas means semicolon-separated values."""
    client.force_login(press_officer)
    data = codecs.BOM_UTF8 + "name;email;basis;basis_date;sources\nAna;ana@example.org;consent;2023-03-01;NATO\n".encode()
    upload(client, data)
    confirm(client)
    assert Journalist.objects.get().sources.get().name == "NATO"


def test_too_many_rows_are_refused(client, press_officer, settings):
    """Above the cap the file is refused whole, saying the cap."""
    from journalists import csv_io

    client.force_login(press_officer)
    rows = "".join(f"J{n},,j{n}@example.org,,,,consent,2023-03-01,\n" for n in range(csv_io.MAX_ROWS + 1))
    problems = report(upload(client, HEADER + rows))
    assert problems == [(None, f"the file has more than {csv_io.MAX_ROWS:,} journalists; split it and import the parts one by one")]
    assert Journalist.objects.count() == 0


def test_an_address_already_in_the_directory_is_updated(client, press_officer, sources):
    """The preview says "update" and which columns; Confirm replaces those, and keeps the columns the file lacks."""
    nato, europol = sources
    ana = make_journalist(name="Ana", email="ana@example.org", outlet="Deník N", notes="Prefers calls", sources=[europol])
    client.force_login(press_officer)
    response = upload(client, "name,email,sources,basis,basis_date\nAna Novák,ANA@example.org,NATO,consent,2023-03-01\n")
    page = response.content.decode()
    assert "update: name, basis, basis_date, sources" in page
    confirm(client)
    ana.refresh_from_db()
    assert (ana.name, ana.outlet, ana.notes, ana.basis) == ("Ana Novák", "Deník N", "Prefers calls", "consent")
    assert list(ana.sources.all()) == [nato]
    assert Journalist.objects.count() == 1


def test_an_import_can_fill_a_static_list(client, press_officer, sources):
    """Everyone in the file, new or known, ends up on the chosen list: a list built from a CSV."""
    known = make_journalist(email="known@example.org")
    media_list = make_list(name="Summit press")
    client.force_login(press_officer)
    upload(client, HEADER + "Known,,known@example.org,,,,consent,2023-03-01,\nNew,,new@example.org,,,,consent,2023-03-01,\n",
           media_list=media_list)
    response = confirm(client)
    assert response.status_code == 302
    assert set(media_list.members().values_list("email", flat=True)) == {"known@example.org", "new@example.org"}
    assert known in media_list.members()


def test_an_address_added_between_preview_and_confirm_writes_nothing(client, press_officer, sources):
    """The file is checked again at Confirm: a row that became a conflict stops the whole import."""
    client.force_login(press_officer)
    upload(client, HEADER + "Ana,,ana@example.org,,,,consent,2023-03-01,\nBo,,bo@example.org,,Europol,,consent,2023-03-01,\n")
    sources[1].delete()
    response = confirm(client)
    assert response.status_code == 200
    assert "nothing was written" in response.content.decode()
    assert (3, "unknown source “Europol” (add it in the admin first, or check its spelling)") in report(response)
    assert Journalist.objects.count() == 0


def test_confirm_without_the_previewed_file_writes_nothing(client, press_officer):
    """A forged or stale confirmation (no preview, or another file's) is refused."""
    client.force_login(press_officer)
    upload(client, HEADER + "Ana,,ana@example.org,,,,consent,2023-03-01,\n")
    response = client.post(CONFIRM_URL, {"digest": "0" * 64}, follow=True)
    assert "no longer waiting" in response.content.decode()
    assert Journalist.objects.count() == 0


def test_export_then_import_round_trips(client, press_officer, sources):
    """Export the directory, erase it, import the file: every journalist comes back the same, accents and all."""
    nato, europol = sources
    make_journalist(name="Ana Novák", outlet="=HYPERLINK(\"http://x\")", email="ana@example.org",
                    languages=["cs", "en"], sources=[nato, europol], kinds="advisories",
                    notes="- call first\n@ the desk", basis="consent")
    make_journalist(name="Ion Popescu", outlet="Radio Chișinău", email="ion@example.md", languages=["ro"])

    def snapshot():
        return [
            (j.name, j.outlet, j.email, sorted(j.languages.values_list("code", flat=True)),
             sorted(j.sources.values_list("name", flat=True)), j.kinds, j.basis, j.basis_date, j.notes)
            for j in Journalist.objects.order_by("email")
        ]

    before = snapshot()
    client.force_login(press_officer)
    exported = b"".join(client.get(reverse("admin:journalists_journalist_export")).streaming_content)
    Journalist.objects.all().delete()
    upload(client, exported)
    confirm(client)
    assert snapshot() == before


def test_export_is_excel_ready_and_formula_safe(client, press_officer):
    """UTF-8 with a BOM; a value starting with = + - @ is prefixed with a quote so a spreadsheet shows it as text."""
    make_journalist(name="=1+2", outlet="+cmd|' /C calc'!A0", email="a@example.org", notes="@SUM(A1)")
    make_journalist(name="-2", outlet="Chișinău Daily", email="b@example.org")
    client.force_login(press_officer)
    response = client.get(reverse("admin:journalists_journalist_export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="journalists.csv"' == response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert (rows[0]["name"], rows[0]["outlet"], rows[0]["notes"]) == ("'-2", "Chișinău Daily", "")
    assert (rows[1]["name"], rows[1]["outlet"], rows[1]["notes"]) == ("'=1+2", "'+cmd|' /C calc'!A0", "'@SUM(A1)")


def test_a_lists_members_are_exported(client, press_officer):
    """Export with ?list= gives that list's members only; the selection action exports the chosen rows."""
    ana, bo = make_journalist(email="ana@example.org"), make_journalist(email="bo@example.org")
    media_list = make_list(journalists=[ana])
    client.force_login(press_officer)
    data = b"".join(client.get(reverse("admin:journalists_journalist_export"), {"list": media_list.pk}).streaming_content)
    assert b"ana@example.org" in data and b"bo@example.org" not in data
    action = client.post(reverse("admin:journalists_journalist_changelist"), {
        "action": "export_csv", "_selected_action": [bo.pk],
    })
    data = b"".join(action.streaming_content)
    assert b"bo@example.org" in data and b"ana@example.org" not in data


def test_import_page_shows_the_columns(client, press_officer):
    """The upload page says which columns the file needs."""
    client.force_login(press_officer)
    page = client.get(IMPORT_URL).content.decode()
    assert "required: name, email, basis, basis_date" in page


def test_a_static_list_is_the_only_kind_an_import_fills(client, press_officer):
    """The import's list choice offers static lists only."""
    make_list(name="Chosen"), make_list(name="By criteria", languages=["en"])
    client.force_login(press_officer)
    page = client.get(IMPORT_URL).content.decode()
    assert "Chosen" in page and "By criteria" not in page
    assert MediaList.objects.count() == 2
