"""The Zalo OA channel: the signed webhook into the inbox, replies and articles out, settings and OAuth."""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from core.jobs import register_periodic
    from core.nav import register
    from core.signals import demo_seed
    from inbox.signals import staff_reply_added
    from zalo import articles, cli, demo, jobs, models, outbox, receivers, views, webhook  # noqa: F401

    app.register_blueprint(webhook.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.assets)
    app.cli.add_command(cli.zalo_cli)
    register(app, "zalo.settings", _l("Zalo OA"), "zalo.connect", order=60)
    register_periodic(app, jobs.sweep_zalo, 60)
    staff_reply_added.connect(outbox.on_staff_reply)
    demo_seed.connect(demo.seed, weak=False)
    # What inbox and content pages show of the channel, without importing it (`... is defined` in templates).
    app.context_processor(lambda: {"zalo_delivery_note": outbox.delivery_note,
                                   "zalo_article_status": articles.article_status,
                                   "zalo_status_label": articles.status_label})
