"""Metrics: events counted once per unit, daily and monthly counters, roll-ups, the director's dashboard."""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from core.extensions import api as rest_api
    from core.nav import register
    from core.reports import register_report
    from core.signals import demo_seed
    from metrics import api, cli, demo, receivers, reports, views  # noqa: F401  (receivers)
    from metrics.exports.setup import init_exports

    app.register_blueprint(views.bp)
    app.register_blueprint(views.assets)
    rest_api.register_blueprint(api.blp)
    app.cli.add_command(cli.metrics_cli)
    register(app, "metrics.dashboard", _l("Tổng quan"), "metrics.view", order=5)
    register_report(app, "metrics", _l("Tổng hợp số liệu theo đơn vị"), "metrics.view", reports.metrics_report,
                    order=30)
    demo_seed.connect(demo.seed_demo)
    init_exports(app)  # the exports sub-package (its own developer's): page, API, jobs
