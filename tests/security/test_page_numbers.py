"""Finding 11 of the hostile review: `page=-1`, `page=0` and a page number beyond any integer gave staff pages
a server error (and SQL in the log). Every page clamps the number as the API does."""
import pytest

PAGES = ["/app/posts", "/app/inbox", "/app/audit", "/app/users", "/p/tra-vinh/tim-kiem?q=a", "/p/tra-vinh"]
NUMBERS = ["-1", "0", "99999999999999999999", "1e3", "abc", ""]


@pytest.mark.parametrize("number", NUMBERS)
def test_any_page_number_answers_a_page(client, login_as, number):
    login_as("director")
    for path in PAGES:
        separator = "&" if "?" in path else "?"
        response = client.get(f"{path}{separator}page={number}")
        assert response.status_code == 200, (path, number, response.status_code)


def test_the_helper_clamps_to_the_first_and_the_last_possible_page():
    from core.api import MAX_PAGE
    from core.pagination import clamp_page

    assert [clamp_page(value) for value in ("-1", "0", "2", "99999999999999999999", None, "x")] == [
        1, 1, 2, MAX_PAGE, 1, 1]
