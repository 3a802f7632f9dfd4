"""What `flask doctor` checks, each check a function returning `Finding`s in plain words.

A finding is "ok", "warn" (works, but look at it) or "fail" (something an operator must fix): settings and keys,
the database (reachable, schema at the newest revision, the role the app connects as), Redis, a worker's and the
cron scheduler's heartbeats, free space in the file stores, ffmpeg."""
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import text

from config import DEV_IDENTITY_KEY, DEV_SECRET_KEY
from core.extensions import db
from core.jobs import QUEUES

HEARTBEAT_LIMIT = timedelta(minutes=2)  # rq beats every few seconds (workers) to a minute (cron)


@dataclass
class Finding:
    level: str  # ok | warn | fail
    topic: str
    message: str


def ok(topic, message):
    return Finding("ok", topic, message)


def warn(topic, message):
    return Finding("warn", topic, message)


def fail(topic, message):
    return Finding("fail", topic, message)


def _production():
    return current_app.config["APP_ENV"] == "production"


def check_settings():
    config = current_app.config
    found = []
    bad = fail if _production() else warn
    if config["APP_ENV"] != "production":
        found.append(warn("settings", f"APP_ENV là '{config['APP_ENV']}', không phải 'production'"))
    if config["SECRET_KEY"] == DEV_SECRET_KEY or len(config["SECRET_KEY"]) < 32:
        found.append(bad("settings", "SECRET_KEY đang là khóa phát triển hoặc quá ngắn (cần ≥ 32 ký tự ngẫu nhiên)"))
    if DEV_IDENTITY_KEY in config["IDENTITY_KEYS"]:
        found.append(bad("settings", "IDENTITY_KEY đang là khóa phát triển công khai: danh tính người báo tin "
                                     "không được bảo vệ"))
    if config["PUBLIC_BASE_URL"].startswith("http://127.0.0.1"):
        found.append(bad("settings", "PUBLIC_BASE_URL chưa đặt (địa chỉ công khai của trang)"))
    if not config.get("METRICS_TOKEN"):
        found.append(warn("settings", "METRICS_TOKEN chưa đặt: /metrics tắt, không giám sát được"))
    if not found:
        found.append(ok("settings", "các thiết lập và khóa đã đặt"))
    return found


def check_database():
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            found = [ok("database", f"kết nối được ({db.engine.url.render_as_string(hide_password=True)})")]
            found += _schema_revision(connection)
            if connection.dialect.name == "postgresql":
                found += _role(connection)
    except Exception as error:  # any driver error means the same thing to an operator
        return [fail("database", f"không kết nối được cơ sở dữ liệu: {type(error).__name__}: "
                                 f"{str(error).splitlines()[0][:200]}")]
    return found


def _schema_revision(connection):
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory(current_app.extensions["migrate"].directory).get_heads())
    try:
        current = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:
        connection.rollback()
        return [fail("database", "chưa có lược đồ: chạy `flask --app wsgi db upgrade`")]
    if current != heads:
        return [fail("database", f"lược đồ ở phiên bản {', '.join(sorted(current)) or '(trống)'}, mã nguồn cần "
                                 f"{', '.join(sorted(heads))}: chạy `flask --app wsgi db upgrade`")]
    return [ok("database", f"lược đồ ở phiên bản mới nhất ({', '.join(sorted(heads))})")]


def _role(connection):
    """Row-level security does not apply to a superuser or a BYPASSRLS role: the app should not connect as one."""
    name, superuser, bypass = connection.execute(text(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    if superuser or bypass:
        level = fail if _production() else warn
        return [level("database", f"ứng dụng kết nối bằng vai trò '{name}' là superuser/BYPASSRLS: hàng rào "
                                  "row-level security không áp dụng; hãy dùng một vai trò thường")]
    return [ok("database", f"vai trò '{name}' không phải superuser")]


def check_redis():
    if current_app.config["REDIS_URL"] is None:
        level = fail if _production() else warn
        return [level("redis", "REDIS_URL chưa đặt: công việc chạy ngay trong tiến trình web (chỉ dùng khi phát "
                               "triển)")]
    try:
        current_app.extensions["ketnoi_redis"].ping()
    except Exception as error:
        return [fail("redis", f"không kết nối được Redis: {type(error).__name__}")]
    return [ok("redis", "kết nối được")]


def _age(beat):
    if beat is None:
        return None
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=UTC)
    return datetime.now(UTC) - beat


def check_heartbeats():
    """rq records both heartbeats in Redis: every worker's (`Worker.all`) and every cron scheduler's."""
    if current_app.config["REDIS_URL"] is None:
        return [warn("worker", "không có Redis: các đợt quét định kỳ chạy bằng `flask jobs tick`")]
    from rq import Worker
    from rq.cron import CronScheduler

    connection = current_app.extensions["ketnoi_redis"]
    try:
        workers = Worker.all(connection=connection)
        schedulers = CronScheduler.all(connection)
    except Exception as error:
        return [fail("worker", f"không đọc được nhịp tim từ Redis: {type(error).__name__}")]
    found = []
    alive = [w for w in workers if (age := _age(w.last_heartbeat)) is not None and age < HEARTBEAT_LIMIT]
    if not alive:
        found.append(fail("worker", "không có worker nào đang chạy (không có nhịp tim trong 2 phút): công việc "
                                    "nền (hạn xử lý, Zalo, xuất báo cáo) không được thực hiện"))
    else:
        served = {name for w in alive for name in w.queue_names()}
        missing = [name for name in QUEUES if name not in served]
        if missing:
            found.append(fail("worker", f"không worker nào nhận hàng đợi: {', '.join(missing)}"))
        else:
            found.append(ok("worker", f"{len(alive)} worker đang chạy"))
    beating = [s for s in schedulers if (age := _age(s.last_heartbeat)) is not None and age < HEARTBEAT_LIMIT]
    if not beating:
        found.append(fail("cron", "bộ lập lịch định kỳ (`rq cron core.cron`) không chạy: tin quá hạn không được "
                                  "chuyển cấp, bài hẹn giờ không được đăng"))
    elif len(beating) > 1:
        found.append(warn("cron", f"{len(beating)} bộ lập lịch định kỳ đang chạy: chỉ cần một"))
    else:
        found.append(ok("cron", "bộ lập lịch định kỳ đang chạy"))
    return found


STORES = (("MEDIA_ROOT", "kho ảnh/video công khai"), ("PRIVATE_ROOT", "kho chứng cứ mã hóa"),
          ("AUDIT_ANCHOR_DIR", "thư mục neo nhật ký kiểm toán"))


def check_disks():
    found = []
    minimum = current_app.config["DOCTOR_MIN_FREE_MB"]
    for key, label in STORES:
        path = current_app.config[key]
        existing = path
        while not os.path.exists(existing):
            existing = os.path.dirname(existing) or "/"
        if not os.access(existing, os.W_OK):
            found.append(fail("disk", f"{label} ({key}={path}): không ghi được"))
            continue
        free_mb = shutil.disk_usage(existing).free // (1024 * 1024)
        if free_mb < minimum:
            found.append(fail("disk", f"{label} ({path}): chỉ còn {free_mb} MB trống (cần ít nhất {minimum} MB)"))
        else:
            found.append(ok("disk", f"{label} ({path}): còn {free_mb // 1024} GB trống"))
    return found


def check_ffmpeg():
    if shutil.which("ffmpeg") is None:
        # This release checks audio and video by their bytes and keeps them as they are; ffmpeg is for tools
        # an office adds (previews, transcoding), so its absence is only worth a warning.
        return [warn("ffmpeg", "không tìm thấy ffmpeg (bản này không bắt buộc; cần nếu muốn chuyển mã "
                               "âm thanh/video)")]
    return [ok("ffmpeg", "có ffmpeg")]


CHECKS = (check_settings, check_database, check_redis, check_heartbeats, check_disks, check_ffmpeg)


def run_checks():
    return [finding for check in CHECKS for finding in check()]
