"""Open311 GeoReport v2: third-party apps (a city's reporting app, a newsroom's tip line) send tips in the
civic-reporting standard and follow their status. `jurisdiction_id` is the tenant's slug."""


def init_app(app):
    from open311 import api, cli, models  # noqa: F401

    app.register_blueprint(api.bp)
    app.cli.add_command(cli.open311_cli)
