def test_login_page_renders(page, live_server):
    page.goto(f"{live_server}/login")
    assert page.get_by_role("heading", level=1).inner_text()
