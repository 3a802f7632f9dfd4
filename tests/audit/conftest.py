from tests.exports.conftest import make_tip  # noqa: F401
