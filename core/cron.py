"""The rq cron configuration: `rq cron core.cron` (with REDIS_URL) runs every periodic job on time."""
from rq import cron

from core import create_app
from core.registry import registry

app = create_app()  # every feature package registers its periodic jobs on it
for _func, _seconds in registry("periodic", app):
    cron.register(_func, "default", interval=_seconds)
