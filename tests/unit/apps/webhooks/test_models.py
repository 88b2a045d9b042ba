from apps.webhooks.models import Endpoint


def test_an_endpoint_reads_as_its_url_without_the_query_where_receivers_put_tokens():
    assert str(Endpoint(url="https://erp.example.com/hooks?token=abc")) == "https://erp.example.com/hooks"
    assert str(Endpoint(url="https://erp.example.com/hooks")) == "https://erp.example.com/hooks"
