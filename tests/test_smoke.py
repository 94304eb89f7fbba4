def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.data == b"ok\n"


def test_events_list_anonymous(client):
    assert client.get("/events/").status_code == 200
