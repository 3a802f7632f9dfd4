"""The audit log, read and checked: its page and API, `flask audit verify|anchor`, the hourly anchors.

The log itself (`core.audit`: hash-chained records every package writes) is core's; this package is where
people read it and where its integrity is checked."""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from audit import anchor, cli, reports, views
    from core.extensions import api
    from core.jobs import register_periodic
    from core.nav import register
    from core.reports import register_report

    app.register_blueprint(views.bp)
    api.register_blueprint(views.blp)
    app.cli.add_command(cli.audit_cli)
    register(app, "audit.audit_page", _l("Nhật ký kiểm toán"), views.ACTION, order=75)
    register_periodic(app, anchor.anchor_audit_chains, 3600)
    # The audit log's own export: it needs the audit right on top of the export right.
    register_report(app, "audit", _l("Nhật ký kiểm toán"), views.ACTION, reports.audit_report,
                    filters=("actor", "action"), order=50)
