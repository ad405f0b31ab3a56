from tests.helpers import login


def test_login_and_home(client, factory):
    user = factory.user("idva")
    login(client, user)
    resp = client.get("/")
    assert resp.status_code == 200
    assert "My work" in resp.text
