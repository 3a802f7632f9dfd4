"""Registries on the app: what the packages register while `create_app` builds it, each app its own.

The factory makes them empty before anything registers, then fills them in its fixed order: core's own entries
first, then each package of `FEATURES` in turn (a second app neither grows nor shares the first's). Read them
with `registry(name)` (the current app's) or `registry(name, app)`:

- "nav": [(order, endpoint, label, action)], sorted by order: the staff navigation (`core.nav`);
- "header_widgets": [template]: included in every staff page's header (`core.nav`);
- "path_models": {URL parameter: model}: ids loaded in the tenant's scope before any view (`core.tenancy`);
- "periodic": [(job, seconds)]: the sweeps run by rq cron or `flask jobs tick` (`core.jobs`);
- "reports": {key: ReportType}: the reports an export can hold, each built by the package that owns its
  data (`core.reports`).
"""
from flask import current_app

KEY = "ketnoi_registries"
NAMES = {"nav": list, "header_widgets": list, "path_models": dict, "periodic": list, "reports": dict}


def init_app(app):
    app.extensions[KEY] = {name: make() for name, make in NAMES.items()}


def registry(name, app=None):
    return (app or current_app).extensions[KEY][name]
