"""Every service's /docs shows Swagger UI from a pinned copy it serves itself: no CDN, works offline."""
import re

import pytest

from samen030.kernel.config import REPO_ROOT, load_federation

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def _apps(databases):
    from samen030.directory.app import create_app as directory
    from samen030.gateway.app import create_app as gateway
    from samen030.helprequests.app import create_app as helprequests
    from samen030.members.app import create_app as members
    yield directory("krachtstation", databases.url("krachtstation", "directory"))
    yield helprequests("krachtstation", databases.url("krachtstation", "requests"))
    yield members("krachtstation", databases.url("krachtstation", "members"))
    yield gateway(databases.url("city", "gateway"), load_federation(REPO_ROOT / "deploy" / "federation.toml"))


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_docs_load_swagger_ui_from_the_service_itself(databases):
    for app in _apps(databases):
        databases.opened.append(app.extensions["samen030.db"])
        client = app.test_client()
        page = client.get("/docs")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert not EXTERNAL.search(html), html
        assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
        assert len(assets) == 3
        for asset in assets:
            answer = client.get(asset)
            assert answer.status_code == 200 and len(answer.data) > 1000, asset
        assert client.get("/docs/swagger-ui/../../openapi.json").status_code == 404
