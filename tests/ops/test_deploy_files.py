"""The deployment files run the Procfile's commands (the Procfile is what test_procfile starts), so the systemd
units and the container files cannot drift into running something the tests never ran."""
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from tests.ops.conftest import ROOT


def procfile():
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, command = line.partition(":")
            commands[name.strip()] = shlex.split(command.strip().replace('"$REDIS_URL"', "REDIS"))
    return commands


def _exec_start(unit):
    line = re.search(r"^ExecStart=(.+)$", (ROOT / "deploy/systemd" / unit).read_text(), re.M).group(1)
    if line.startswith("/bin/sh -c "):
        line = shlex.split(line)[2].removeprefix("exec ")
    words = shlex.split(line.replace('"$REDIS_URL"', "REDIS"))
    return [words[0].rsplit("/", 1)[-1], *words[1:]]


def test_procfile_has_the_three_processes():
    assert set(procfile()) == {"web", "worker", "cron"}
    assert procfile()["web"][:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]


@pytest.mark.parametrize(("unit", "process"), [("ketnoi-web.service", "web"), ("ketnoi-worker@.service", "worker"),
                                               ("ketnoi-cron.service", "cron")])
def test_systemd_units_run_the_procfile_commands_with_the_environment_file(unit, process):
    assert _exec_start(unit) == procfile()[process]
    text = (ROOT / "deploy/systemd" / unit).read_text()
    assert "EnvironmentFile=/etc/ketnoi/ketnoi.env" in text
    assert re.search(r"^Restart=(always|on-failure)$", text, re.M)
    assert "KillSignal=SIGTERM" in text


def test_compose_runs_the_procfile_commands():
    services = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())["services"]
    for process, command in procfile().items():
        given = services[process]["command"]
        if given[:2] == ["sh", "-c"]:
            given = shlex.split(given[2].removeprefix("exec ").replace('"$$REDIS_URL"', "REDIS"))
        assert given == command, process
    cmd = re.search(r"^CMD (.+)$", (ROOT / "deploy/Containerfile").read_text(), re.M).group(1)
    assert yaml.safe_load(cmd) == procfile()["web"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_parse(tmp_path):
    for unit in (ROOT / "deploy/systemd").glob("ketnoi-*"):
        text = unit.read_text().replace("/opt/ketnoi/.venv/bin/", "/bin/").replace("/etc/ketnoi/", str(tmp_path) + "/")
        (tmp_path / unit.name).write_text(text)
    (tmp_path / "ketnoi.env").write_text("")
    units = sorted(str(path) for path in tmp_path.glob("ketnoi-*") if not path.name.endswith("@.service"))
    units.append(str(tmp_path / "ketnoi-worker@1.service"))
    (tmp_path / "ketnoi-worker@1.service").write_text((tmp_path / "ketnoi-worker@.service").read_text())
    result = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    problems = [line for line in result.stderr.splitlines()
                if "ketnoi" in line and "Command /bin/" not in line and "not executable" not in line]
    assert not problems, result.stderr
