"""Operating the platform: `flask doctor`, `flask backup create|restore`, the Prometheus `/metrics` endpoint.

Nothing here is a feature citizens or staff see: it is what an IT office needs to run, back up and watch a
deployment (README, "Operating")."""


def init_app(app):
    from ops import cli
    from ops.metrics import init_metrics

    app.cli.add_command(cli.doctor)
    app.cli.add_command(cli.backup_cli)
    init_metrics(app)
