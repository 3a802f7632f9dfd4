"""What content tells the other packages. Sent inside the transaction that makes the change; receivers flush,
never commit, and queue any job with `core.transaction.after_commit`."""
from core.signals import OrderedSignal

post_published = OrderedSignal("post-published")
"""Sender: the post that just became public (a request, the scheduled job or the sweep; exactly once per
publication, by `content.lifecycle.mark_published`). Zalo mirrors a post marked `zalo_publish` as an article of
its unit's Official Account."""

post_hidden = OrderedSignal("post-hidden")
"""Sender: the post just hidden (`content.lifecycle.hide`). Zalo removes its article, if it has one."""
