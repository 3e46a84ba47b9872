"""The languages a journalist may write in: the EU's official ones and those of the neighbourhood press offices write to."""
from django.db import migrations

LANGUAGES = [
    ("ar", "Arabic"), ("bg", "Bulgarian"), ("ca", "Catalan"), ("cs", "Czech"), ("da", "Danish"),
    ("de", "German"), ("el", "Greek"), ("en", "English"), ("es", "Spanish"), ("et", "Estonian"),
    ("fi", "Finnish"), ("fr", "French"), ("ga", "Irish"), ("hr", "Croatian"), ("hu", "Hungarian"),
    ("is", "Icelandic"), ("it", "Italian"), ("ja", "Japanese"), ("ka", "Georgian"), ("lb", "Luxembourgish"),
    ("lt", "Lithuanian"), ("lv", "Latvian"), ("mk", "Macedonian"), ("mt", "Maltese"), ("nl", "Dutch"),
    ("no", "Norwegian"), ("pl", "Polish"), ("pt", "Portuguese"), ("ro", "Romanian"), ("ru", "Russian"),
    ("sk", "Slovak"), ("sl", "Slovenian"), ("sq", "Albanian"), ("sr", "Serbian"), ("sv", "Swedish"),
    ("tr", "Turkish"), ("uk", "Ukrainian"), ("zh", "Chinese"),
]


def add_languages(apps, schema_editor):
    Language = apps.get_model("journalists", "Language")
    for code, name in LANGUAGES:
        Language.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("journalists", "0001_initial")]
    operations = [migrations.RunPython(add_languages, migrations.RunPython.noop)]
