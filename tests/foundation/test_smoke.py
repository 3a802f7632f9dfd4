def test_login_and_tree(client, login_as, world):
    login_as("director")
    page = client.get("/app/tree")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Công an tỉnh Trà Vinh" in html
    assert 'data-total>124<' in html
