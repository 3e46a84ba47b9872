"""
Django's template engine against Jinja2 on the same list entry: ``releases/includes/entry.html``
(with its picture, event and teaser includes) and a Jinja2 translation of it, each rendered N
times for one release with a lead picture and one advisory, in one process, in turns. Decides
whether the public templates would gain from Jinja2 (docs/scale.md, "Rendering once per edition").

    pip install jinja2          # not a dependency of the project: only this measurement needs it
    DJANGO_SETTINGS_MODULE=newsroom.settings.production DATABASE_URL=postgres://… SECRET_KEY=… \\
        .venv/bin/python -m bench.engines --repeat 1000

The archive is bench.generate's; the release's lead picture is a row made here, in memory only.
"""
import argparse
import re
import time

from bench.generate import setup_django

#: entry.html and the includes it uses, in Jinja2's syntax; the same markup, the same calls.
ENTRY = """<article class="entry entry--{{ entry.kind }}"{% if entry.language and entry.language != "en" %} lang="{{ entry.language }}"{% endif %}>
  {% set picture = entry.lead_picture %}{% if picture %}<div class="entry-thumb"><picture>
    <source type="image/webp" srcset="{{ picture.srcset_webp }}" sizes="8rem">
    <img src="{{ picture.smallest_url }}" srcset="{{ picture.srcset_jpeg }}" sizes="8rem" width="{{ picture.largest.width }}" height="{{ picture.largest.height }}" alt="{{ picture.alt_text }}" loading="lazy" decoding="async">
  </picture></div>{% endif %}
  <p class="entry-meta">
    <span class="badge badge--{{ entry.kind }}">{{ entry.kind_label }}</span>
    <a href="{{ entry.source.get_absolute_url() }}">{{ entry.source.name }}</a>
    · <time datetime="{{ entry.published_at|date('c') }}">{{ entry.published_at|date('j F Y') }}</time>
  </p>
  <h3 class="entry-title"><a href="{{ entry.get_absolute_url() }}">{% if entry.title_html %}{{ entry.title_html }}{% else %}{{ entry.title }}{% endif %}</a></h3>
  {% if entry.kind == "advisory" %}
    <p class="entry-event">{{ event_status(entry) }} <time datetime="{{ event_datetime(entry) }}">{{ entry.event_date|date('l j F Y') }}{% if entry.time_known %}, {{ event_time(entry) }}{% endif %}</time>{% if not entry.time_known %} <span class="muted">({% if entry.is_past %}time not stated{% else %}time to be confirmed{% endif %})</span>{% endif %}{% if entry.location %} · {{ entry.location }}{% endif %}</p>
  {% endif %}
  {% if entry.snippet_html %}<p class="entry-summary entry-snippet">{{ entry.snippet_html }}</p>{% elif entry.summary %}<p class="entry-summary">{{ entry.summary }}</p>{% endif %}
  {% if entry.is_teaser and entry.original_url %}
<p class="teaser teaser--entry"><span class="badge badge--teaser">Teaser</span> <a href="{{ entry.original_url }}" rel="noopener">Read the full text on {{ entry.source.name }}’s website</a></p>
{% endif %}
</article>"""


def jinja_template():
    from django.template.defaultfilters import date
    from jinja2 import Environment

    from releases.templatetags import newsroom

    environment = Environment(autoescape=True)
    environment.filters["date"] = date
    environment.globals.update(
        event_status=newsroom.event_status, event_datetime=newsroom.event_datetime, event_time=newsroom.event_time,
    )
    return environment.from_string(ENTRY)


def entries():
    from releases.models import Advisory, Picture, Release

    release = Release.objects.published().select_related("source").prefetch_related("pictures").first()
    renditions = [{"name": f"r/{w}.{f}", "format": f, "width": w, "height": w * 2 // 3}
                  for f in ("webp", "jpg") for w in (320, 640, 1280)]
    picture = Picture(pk=1, key="k" * 32, image="p/original.jpg", width=1600, height=1000, renditions=renditions,
                      alt_text="Ministers in Chișinău, “Novák” <left>", is_lead=True)
    release._prefetched_objects_cache = {"pictures": [picture]}
    advisory = Advisory.objects.published().select_related("source").prefetch_related("pictures").first()
    return [release, advisory]


def squeeze(html):
    return re.sub(r"\s+", " ", str(html)).replace("> <", "><").strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.template.loader import get_template

    django_template, jinja = get_template("releases/includes/entry.html"), jinja_template()
    engines = {"django": lambda entry: django_template.render({"entry": entry}),
               "jinja2": lambda entry: jinja.render(entry=entry)}
    items = entries()
    for entry in items:  # the same HTML from both, whitespace aside
        assert squeeze(engines["django"](entry)) == squeeze(engines["jinja2"](entry)), entry.kind
    best = {name: float("inf") for name in engines}
    for _ in range(args.rounds):
        for name, render in engines.items():
            start = time.process_time()
            for _ in range(args.repeat):
                for entry in items:
                    render(entry)
            best[name] = min(best[name], (time.process_time() - start) / (args.repeat * len(items)))
    for name, seconds in best.items():
        print(f"{name:<8} {seconds * 1e6:8.1f} µs CPU per entry (best of {args.rounds} rounds of {args.repeat} × 2)")
    print(f"Django / Jinja2: {best['django'] / best['jinja2']:.1f}×")


if __name__ == "__main__":
    main()
