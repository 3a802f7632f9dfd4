"""Content: posts of every unit's page (review, scheduling, media), the public pages and feeds."""


def init_app(app):
    from flask import Blueprint
    from flask_babel import lazy_gettext as _l

    from content import api, demo, lifecycle, public_views, receivers, reports, views  # noqa: F401  (receivers)
    from content.labels import template_labels
    from core.extensions import api as rest_api
    from core.jobs import register_periodic
    from core.nav import register
    from core.reports import register_report
    from core.signals import demo_seed

    app.register_blueprint(Blueprint("content_assets", __name__, static_folder="static",
                                     static_url_path="/static/content"))
    app.register_blueprint(public_views.bp)
    app.register_blueprint(views.bp)
    rest_api.register_blueprint(api.blp)
    app.context_processor(template_labels)
    register(app, "content.posts", _l("Bài viết"), "post.view", order=30)
    register_periodic(app, lifecycle.sweep_scheduled_posts, 60)
    register_report(app, "posts", _l("Sổ theo dõi bài viết"), "post.view", reports.posts_report, order=40)
    demo_seed.connect(demo.seed_demo)
    from content.models import Post
    from core.tenancy import register_path_model

    register_path_model(app, "post_id", Post)
