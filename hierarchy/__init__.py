"""The unit tree: kinds, parent/child, subtree queries, import of real administrative units, re-organisation."""


def init_app(app):
    from core.extensions import api
    from hierarchy import api as hierarchy_api
    from hierarchy import cli, reorg_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(reorg_views.bp)
    api.register_blueprint(hierarchy_api.blp)
    app.cli.add_command(cli.hierarchy_cli)
    from core.tenancy import register_path_model
    from hierarchy.models import Unit

    register_path_model(app, "unit_id", Unit)
    from flask_babel import lazy_gettext as _l

    from core.nav import register

    register(app, "hierarchy.tree", _l("Đơn vị"), "unit.view", order=10)
