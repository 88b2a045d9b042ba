import pytest

from apps.webhooks.checks import check_webhooks_configuration


@pytest.mark.parametrize(
    ("debug", "allow_http", "ids"),
    [(False, True, ["webhooks.W001"]), (False, False, []), (True, True, [])],
)
def test_the_deploy_check_warns_about_plain_http_endpoints_outside_development(settings, debug, allow_http, ids):
    settings.DEBUG = debug
    settings.WEBHOOKS_ALLOW_HTTP = allow_http

    assert [message.id for message in check_webhooks_configuration()] == ids
