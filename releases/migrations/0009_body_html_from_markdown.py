"""
Bodies become the rich-text editor's HTML. Every Markdown body (releases and
advisories, every edition, and advisory templates) is converted with the
renderer the public pages used until now, so what readers see doesn't change:
``body`` and ``body_html`` both hold that HTML afterwards.

The conversion goes through ``releases.text.markdown_to_html``, which stays in
the code base for the digest importer. That function must keep its output for
this migration's sake (a database migrated later must get the same HTML):
``tests/test_rich_text.py::test_the_data_migration_renders_the_seed_exactly_as_before``
fails if it changes what the seed's bodies become. Reversing keeps the HTML (a body can't be
turned back into the Markdown it came from): it is a no-op.
"""
from django.db import migrations, models

from releases.text import markdown_to_html

BODY_HELP = (
    "The text of the page. Paste it from Word or Google Docs, or type it; the toolbar sets headings, "
    "bold, italic, lists, quotations and links. Colours, fonts and pictures are left out: add pictures below."
)


def bodies_to_html(apps, schema_editor):
    for name, has_html in (("Release", True), ("Advisory", True), ("AdvisoryTemplate", False)):
        model = apps.get_model("releases", name)
        for pk, body in model.objects.exclude(body="").values_list("pk", "body").iterator():
            converted = markdown_to_html(body)
            fields = {"body": converted, "body_html": converted} if has_html else {"body": converted}
            # update(), not save(): no edition's revision, editor or timestamps move for a format change.
            model.objects.filter(pk=pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0008_writing_frictions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="advisory",
            name="body",
            field=models.TextField(blank=True, help_text=BODY_HELP),
        ),
        migrations.AlterField(
            model_name="release",
            name="body",
            field=models.TextField(blank=True, help_text=BODY_HELP),
        ),
        migrations.RunPython(bodies_to_html, migrations.RunPython.noop),
    ]
