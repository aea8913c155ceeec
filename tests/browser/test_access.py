"""What a role may not open, the browser does not show it, and the server refuses it."""

from django.utils import translation
from django.utils.translation import gettext

from tests.browser.conftest import login


def test_monitoring_officer_sees_no_people_link_and_gets_the_403_page(page, monitoring):
    login(page, "monitoring")
    assert page.locator("a[href^='/persone/']").count() == 0
    response = page.goto("/persone/")
    assert response.status == 403
    with translation.override("it"):
        assert page.locator("h1").inner_text() == gettext("Not allowed")
