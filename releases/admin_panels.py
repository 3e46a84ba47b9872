"""
Panels other apps add to a release's or advisory's change form (the distribution
of an item, for one), without ``releases`` importing them: an app registers a
callable in its ``AppConfig.ready()``; the change form shows what each returns.

A panel is ``panel(request, edition) -> str | None``: safe HTML (render a template
with ``render_to_string``), or None to show nothing. It must check the user's
permissions itself.
"""
_panels = []


def register(panel):
    """Add a panel (usable as a decorator). Registering the same callable twice adds it once."""
    if panel not in _panels:
        _panels.append(panel)
    return panel


def render(request, edition):
    return [html for html in (panel(request, edition) for panel in _panels) if html]
