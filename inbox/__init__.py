"""Inbox: citizens' tips, their follow-up by code, triage, SLA deadlines and escalation, the identity vault."""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from core.extensions import api
    from core.jobs import register_periodic
    from core.nav import register
    from core.reports import register_report
    from core.signals import demo_seed
    from inbox import api as staff_api
    from inbox import api_public, cli, demo, jobs, receivers, reports, settings_views, views, views_public  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(views_public.bp)
    app.register_blueprint(settings_views.bp)
    api.register_blueprint(staff_api.blp)
    api.register_blueprint(api_public.blp)
    app.cli.add_command(cli.inbox_cli)
    app.cli.add_command(cli.vault_cli)
    register(app, "inbox.index", _l("Hộp thư"), "tip.view", order=20)
    register(app, "inbox_settings.page", _l("Cài đặt hộp thư"), settings_views.ACTION, order=65)
    register_periodic(app, jobs.sweep_deadlines, 60)
    register_periodic(app, jobs.sweep_playback, 300)
    register_report(app, "tips", _l("Sổ theo dõi tin báo"), "tip.view", reports.tips_report, order=10)
    register_report(app, "sla", _l("Tỷ lệ giải quyết đúng hạn"), "tip.view", reports.sla_report, order=20)
    demo_seed.connect(demo.seed, weak=False)
    app.context_processor(_template_helpers)
    from core.nav import register_header_widget
    from core.tenancy import register_path_model
    from inbox.models import Tip, TipAttachment
    from inbox.policy import CannedReply, RoutingRule

    register_header_widget(app, "inbox/_bell.html")
    register_path_model(app, "tip_id", Tip)
    register_path_model(app, "attachment_id", TipAttachment)
    register_path_model(app, "rule_id", RoutingRule)
    register_path_model(app, "reply_id", CannedReply)


def _template_helpers():
    from flask_login import current_user

    from inbox.constants import CATEGORIES, SEVERITIES
    from inbox.notify import unread_count
    from inbox.views_public import tip_form_action

    def inbox_unread():
        if not getattr(current_user, "is_authenticated", False) or not current_user.tenant_id:
            return 0
        return unread_count(current_user)

    return {"inbox_tip_form_action": tip_form_action, "inbox_unread": inbox_unread,
            "inbox_categories": CATEGORIES, "inbox_severities": SEVERITIES}
