"""Set up the django-helpdesk peer: its own virtualenv (bench/peers/.venv, pinned by requirements.txt), its
own database on the benchmark's PostgreSQL server, migrations, and one queue open to public submission.

`python -m bench.peers.setup` (idempotent; the virtualenv is reused when its pins are already installed).
"""
import os
import subprocess
import sys
import venv
from pathlib import Path

from bench.common import PEER_DATABASE as DATABASE
from bench.common import database_url, log, recreate_database

PEERS = Path(__file__).resolve().parent
VENV = PEERS / ".venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = PEERS / "requirements.txt"
QUEUE_SLUG = "tips"


class PeerUnavailable(RuntimeError):
    """The peer could not be installed or set up here; the message says why."""


def ensure_venv():
    marker = VENV / ".installed"
    if marker.exists() and marker.read_text() == REQUIREMENTS.read_text():
        return
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    log("peer: installing django-helpdesk and its pinned dependencies into bench/peers/.venv")
    result = subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                             "-r", str(REQUIREMENTS)], capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise PeerUnavailable(f"pip install of django-helpdesk failed:\n{result.stderr[-2000:]}")
    marker.write_text(REQUIREMENTS.read_text())


def django_env():
    from sqlalchemy.engine import make_url

    url = make_url(database_url(DATABASE))
    return {"DJANGO_SETTINGS_MODULE": "helpdesk_site.settings", "HELPDESK_DB_NAME": DATABASE,
            "HELPDESK_DB_USER": url.username or "postgres", "HELPDESK_DB_PASSWORD": url.password or "",
            "HELPDESK_DB_HOST": url.host or "localhost", "HELPDESK_DB_PORT": str(url.port or 5432),
            "PYTHONPATH": str(PEERS)}


def manage(*args, script=None):
    env = dict(os.environ)
    env.update(django_env())
    command = [str(PYTHON), "-m", "django", *args] if script is None else [str(PYTHON), "-c", script]
    result = subprocess.run(command, env=env, cwd=PEERS, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise PeerUnavailable(f"django-helpdesk {' '.join(args) or 'setup'} failed:\n{result.stderr[-2000:]}")
    return result.stdout


CREATE_QUEUE = f"""
import django
django.setup()
from helpdesk.models import Queue
Queue.objects.get_or_create(slug={QUEUE_SLUG!r}, defaults=dict(title="Tin báo của người dân",
                            allow_public_submission=True, email_address="tips@localhost"))
print(Queue.objects.get(slug={QUEUE_SLUG!r}).id)
"""


def setup():
    """Returns (python of the venv, environment for gunicorn, public queue id)."""
    ensure_venv()
    recreate_database(DATABASE)
    manage("migrate", "--verbosity", "0")
    queue_id = int(manage(script=CREATE_QUEUE).strip().splitlines()[-1])
    return PYTHON, django_env(), queue_id


if __name__ == "__main__":
    try:
        print(setup())
    except PeerUnavailable as error:
        print(error, file=sys.stderr)
        sys.exit(1)
