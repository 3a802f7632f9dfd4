"""`init_exports(app)`: the exports page, API, navigation entry, URL id and the jobs' registration."""


def init_exports(app):
    from core.extensions import api
    from core.jobs import register_periodic
    from core.tenancy import register_path_model
    from metrics.exports import api as exports_api
    from metrics.exports import jobs, views
    from metrics.exports.models import Export

    app.register_blueprint(views.bp)
    api.register_blueprint(exports_api.blp)
    register_path_model(app, "export_id", Export)
    views.init_nav(app)
    register_periodic(app, jobs.sweep_exports, 60)
