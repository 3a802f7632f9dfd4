"""The staff navigation: each package registers its pages; the base template shows those the user may open."""
from core.registry import registry


def register(app, endpoint, label, action=None, order=50):
    entries = registry("nav", app)
    entries.append((order, endpoint, label, action))
    entries.sort(key=lambda item: item[0])


def nav_items():
    return [(endpoint, label, action) for _order, endpoint, label, action in registry("nav")]


def register_header_widget(app, template):
    """A template shown in every staff page's header (e.g. the inbox's notification bell)."""
    widgets = registry("header_widgets", app)
    if template not in widgets:
        widgets.append(template)


def header_widgets():
    return list(registry("header_widgets"))
