"""The staff navigation: each package registers its pages; the base template shows those the user may open."""
NAV = []  # (order, endpoint, label, action)


def register(endpoint, label, action=None, order=50):
    NAV.append((order, endpoint, label, action))
    NAV.sort(key=lambda item: item[0])


def nav_items():
    return [(endpoint, label, action) for _order, endpoint, label, action in NAV]


HEADER_WIDGETS = []  # templates shown in every staff page's header (e.g. the inbox's notification bell)


def register_header_widget(template):
    if template not in HEADER_WIDGETS:
        HEADER_WIDGETS.append(template)


def header_widgets():
    return list(HEADER_WIDGETS)
