"""`GET /metrics`: hidden without METRICS_TOKEN, 401 without the right token, Prometheus text with it."""
from core import create_app
from tests.conftest import make_config


def test_metrics_needs_its_token_and_shows_latency_and_queues(app, tmp_root, database_uri):
    hidden = create_app(make_config(tmp_root, database_uri, REDIS_URL=None))
    assert hidden.test_client().get("/metrics").status_code == 404

    watched = create_app(make_config(tmp_root, database_uri, REDIS_URL=None, METRICS_TOKEN="secret-scrape-token"))
    client = watched.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.get("/api/v1/me")
    response = client.get("/metrics", headers={"Authorization": "Bearer secret-scrape-token"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'flask_http_request_duration_seconds_bucket{' in text and 'url_rule="/api/v1/me"' in text
    assert 'ketnoi_rq_queue_depth{queue="exports"} 0.0' in text
    assert "ketnoi_rq_oldest_job_age_seconds" in text
