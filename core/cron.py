"""The rq cron configuration: `rq cron core.cron` (with REDIS_URL) runs every periodic job on time."""
from rq import cron

from core import create_app
from core.jobs import PERIODIC

create_app()  # imports every feature package, which registers its periodic jobs
for _func, _seconds in PERIODIC:
    cron.register(_func, "default", interval=_seconds)
