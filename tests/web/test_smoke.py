from tests.conftest import login


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="username"' in response.data


def test_demo_login_lands_home(client):
    login(client, "stts2.alpha")
    response = client.get("/home")
    assert response.status_code == 200
    assert "Telco Alpha" in response.get_data(as_text=True)
