from tests.exports_jobs.conftest import make_tip  # noqa: F401
