"""Languages and translation groups (docs/translations.md). Every existing item is in English."""

import django.db.models.deletion
import releases.languages
from django.db import migrations, models

from releases import search


def create_french_search(apps, schema_editor):
    # French stemming with accents folded, for French items (releases/search.py); PostgreSQL only:
    # SQLite's FTS5 tables stem every language with its English Porter stemmer (docs/translations.md).
    if schema_editor.connection.vendor == "postgresql":
        search.create_postgres_config(schema_editor, search.POSTGRES_CONFIGS["fr"], "french")


def drop_french_search(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {schema_editor.quote_name(search.POSTGRES_CONFIGS['fr'])}")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('releases', '0012_topics'),
    ]

    operations = [
        migrations.AddField(
            model_name='advisory',
            name='language',
            field=models.CharField(default='en', max_length=10, verbose_name='language'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='release',
            name='language',
            field=models.CharField(default='en', max_length=10, verbose_name='language'),
            preserve_default=False,
        ),
        # Existing rows get English whatever the site's default is now; then the field takes its real default.
        migrations.AlterField(
            model_name='advisory',
            name='language',
            field=models.CharField(choices=releases.languages.language_choices, default=releases.languages.default_language, help_text='The language this item is written in. Fixed once it has another version or a translation.', max_length=10, verbose_name='language'),
        ),
        migrations.AlterField(
            model_name='release',
            name='language',
            field=models.CharField(choices=releases.languages.language_choices, default=releases.languages.default_language, help_text='The language this item is written in. Fixed once it has another version or a translation.', max_length=10, verbose_name='language'),
        ),
        migrations.CreateModel(
            name='Translation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('document', models.UUIDField(unique=True)),
                ('group', models.UUIDField(db_index=True)),
                ('language', models.CharField(max_length=10)),
                ('original', models.UUIDField(blank=True, db_index=True, null=True)),
                ('original_version', models.PositiveIntegerField(blank=True, null=True)),
                ('original_changed', models.BooleanField(db_index=True, default=False)),
                ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('content_type', 'group', 'language'), name='releases_translation_one_per_language')],
            },
        ),
        migrations.RunPython(create_french_search, drop_french_search),
    ]
