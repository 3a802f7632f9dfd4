"""What the inbox tells the other packages. Sent inside the transaction that makes the change; receivers flush,
never commit, and queue any job with `core.transaction.after_commit`."""
from core.signals import OrderedSignal

staff_reply_added = OrderedSignal("inbox-staff-reply-added")
"""Sender: the tip; `message`: the staff's reply to the reporter (never an internal note), just added by
`inbox.services.add_staff_message`. The Zalo channel queues the delivery of replies on Zalo tips."""
