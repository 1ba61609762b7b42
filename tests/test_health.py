async def test_health_reports_database_up(client):
    resp = await client.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "database": "up", "worker": "off"}


async def test_unknown_route_is_json_404(client):
    resp = await client.get("/nope")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_uvicorn_access_log_masks_phone_numbers_in_query_strings():
    import logging

    from api.observability import redact_server_logs

    redact_server_logs()
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/1.1" %d',
                               ("127.0.0.1:5000", "GET", "/users?search=%2B34612345678", 200), None)
    for f in logging.getLogger("uvicorn.access").filters:
        f.filter(record)
    assert "612345678" not in record.getMessage()


def test_redaction_keeps_ips_dates_and_argument_shape():
    import logging

    from api.observability import RedactPhoneNumbers

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/1.1" %d',
                               ("127.0.0.1:5000", "GET", "/x?d=2026-11-25&p=+34 612 34 56 78", 200),
                               None)
    RedactPhoneNumbers().filter(record)
    assert isinstance(record.args, tuple) and len(record.args) == 4
    message = record.getMessage()
    assert "127.0.0.1:5000" in message and "2026-11-25" in message
    assert "612 34 56 78" not in message
