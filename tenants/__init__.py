"""Tenants, staff accounts, sign-in, API tokens and tenant onboarding."""


def init_app(app):
    from tenants import api, auth, cli, receivers, services, users_views, views  # noqa: F401  (receivers)

    auth.init_auth(app)
    services.dummy_password_hash()
    from tenants.addresses import redirect_carried
    from tenants.reform_cli import reform_cli

    app.after_request(redirect_carried)
    app.cli.add_command(reform_cli)
    app.register_blueprint(views.bp)
    app.register_blueprint(users_views.bp)
    app.register_blueprint(users_views.platform_bp)
    from tenants import reform_views

    app.register_blueprint(reform_views.bp)
    from core.extensions import api as rest_api

    rest_api.register_blueprint(api.blp)
    cli.init_cli(app)
    from core.tenancy import register_path_model
    from tenants.models import ApiToken, User

    register_path_model(app, "user_id", User)
    register_path_model(app, "token_id", ApiToken)
    from flask_babel import lazy_gettext as _l

    from core.nav import register

    register(app, "users.index", _l("Người dùng"), "user.manage", order=80)
