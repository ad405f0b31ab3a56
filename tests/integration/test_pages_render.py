"""Every page a role can reach renders without error."""

import pytest

from tests.helpers import login

PAGES = {
    "admin": ["/", "/admin/agencies", "/admin/agencies/new", "/admin/users", "/admin/users/new", "/admin/keys"],
    "dpo": ["/", "/governance/audit", "/governance/sharing", "/governance/people/1/access"],
    "idva": ["/", "/people/", "/people/new", "/account/password"],
}


@pytest.mark.parametrize("role", sorted(PAGES))
def test_pages_render(client, factory, role):
    user = factory.user(role)
    login(client, user)
    for url in PAGES[role]:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        assert "<h1>" in resp.text
