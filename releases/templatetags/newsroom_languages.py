"""
The public side per language (docs/translations.md, "Addresses"): the page's language, the language
switch and the ``hreflang`` alternates. In a one-language newsroom none of it shows.
"""
from django import template

from .. import languages, translations

register = template.Library()

#: The item pages: their switch leads to the item's published translation, else that language's home.
ITEM_PAGES = {"release-detail", "advisory-detail"}
#: Query parameters that page through one language's list; the other language's list starts at its top.
PAGING = ("page", "before", "after", "upcoming")


@register.simple_tag
def page_language():
    """The page's language code, for ``<html lang>``: decided by its address."""
    return languages.active()


@register.filter
def foreign_language(code):
    """``code`` when it is not the page's language (for a ``lang`` attribute on an item), else ""."""
    return code if code and languages.public(code) != languages.active() else ""


class PageLanguages:
    """The switch's links (one per language) and the ``hreflang`` alternates of one page."""

    def __init__(self, switch, alternates):
        self.switch = switch
        self.alternates = alternates


def same_page_in(request, context):
    """{language: path of this page in it}: the item's published translations, or a list in every language."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.namespace != "releases":
        return {}
    item = context.get("item")
    if match.url_name in ITEM_PAGES and item is not None:
        found = translations.published_translations([item]).get(item.document, {})
        pages = {code: edition.get_absolute_url() for code, edition in found.items()}
        if item.is_public:
            pages[languages.public(item.language)] = item.get_absolute_url()
        return pages
    from ..urls import per_language

    if match.url_name in {pattern.name for pattern in per_language}:
        rest = languages.strip_prefix(request.path_info)
        return {code: languages.prefix(code) + rest for code in languages.codes()}
    return {}


@register.simple_tag(takes_context=True)
def page_languages(context):
    """
    The page's ``PageLanguages``, worked out once per request (the head and the switch both read it);
    None in a one-language newsroom. An item page costs two queries (``published_translations``),
    a list none.
    """
    request = context.get("request")
    if request is None or not languages.multilingual() or context.get("preview"):
        return None  # a staff preview (in the change form's frame) is no page of the public site
    known = getattr(request, "_newsroom_page_languages", None)
    if known is not None:
        return known
    current = languages.active()
    # A page not found is the same page in no language: every link of its switch leads home.
    pages = {} if context.get("not_found") else same_page_in(request, context)
    query = request.GET.copy()
    for key in PAGING:
        query.pop(key, None)
    query = f"?{query.urlencode()}" if query and request.resolver_match.url_name not in ITEM_PAGES else ""
    switch = []
    for code, name in languages.languages():
        if code == current and not context.get("not_found"):
            switch.append({"code": code, "name": name, "url": request.get_full_path(), "current": True, "same_page": True})
        elif code in pages:
            switch.append({"code": code, "name": name, "url": pages[code] + query, "current": False, "same_page": True})
        else:
            home = languages.reverse_in(code, "releases:home")
            switch.append({"code": code, "name": name, "url": home, "current": code == current, "same_page": False})
    alternates = []
    if len(pages) > 1 and current in pages and not context.get("noindex"):
        build = request.build_absolute_uri
        alternates = [{"hreflang": code, "url": build(pages[code])} for code in languages.codes() if code in pages]
        default = languages.default_language()
        if default in pages:
            alternates.append({"hreflang": "x-default", "url": build(pages[default])})
    request._newsroom_page_languages = known = PageLanguages(switch, alternates)
    return known
