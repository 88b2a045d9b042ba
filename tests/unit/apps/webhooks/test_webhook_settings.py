"""The outbound webhook variables of config.environment.load: the allow-list, timeouts and size limits."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.webhooks.destinations import AllowList
from config.environment import load
from tests.support.environments import PRODUCTION


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    return tmp_path


def test_by_default_nothing_is_allowed_3_and_10_second_timeouts_256_kib_payloads_2_kib_kept(base_dir):
    env = load(PRODUCTION, base_dir=base_dir)

    assert env.webhooks_allowed_networks == []
    assert (env.webhooks_connect_timeout_seconds, env.webhooks_read_timeout_seconds) == (3, 10)
    assert (env.webhooks_max_payload_bytes, env.webhooks_response_body_bytes) == (262_144, 2048)


def test_the_allow_list_takes_networks_addresses_and_host_names_normalised(base_dir):
    env = load(
        {**PRODUCTION, "WEBHOOKS_ALLOWED_NETWORKS": "10.20.0.0/16, 127.0.0.1,fd00::/8 ,Hooks.Example.,,erp_01.lan"},
        base_dir=base_dir,
    )

    # The networks in the order given, then the host names sorted.
    assert env.webhooks_allowed_networks == ["10.20.0.0/16", "127.0.0.1/32", "fd00::/8", "erp_01.lan", "hooks.example"]


def test_the_allow_list_setting_reads_as_an_allow_list(base_dir):
    env = load({**PRODUCTION, "WEBHOOKS_ALLOWED_NETWORKS": "10.20.0.0/16,hooks.example"}, base_dir=base_dir)

    allowed = AllowList.parse(env.webhooks_allowed_networks)

    assert allowed.hosts == {"hooks.example"}
    assert [str(network) for network in allowed.networks] == ["10.20.0.0/16"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("10.0.0.1/8", r"'10.0.0.1/8' is not a network \(10.0.0.1/8 has host bits set\)"),
        ("10.0.0.300", "'10.0.0.300' is not a network"),
        ("fd00::/200", "'fd00::/200' is not a network"),
        ("hooks example", "'hooks example' is neither a network"),
        ("http://hooks.example", "'http://hooks.example' is not a network"),
    ],
)
def test_an_allow_list_entry_that_is_neither_network_nor_host_stops_the_start(base_dir, entry, message):
    with pytest.raises(ImproperlyConfigured, match=f"^WEBHOOKS_ALLOWED_NETWORKS: {message}"):
        load({**PRODUCTION, "WEBHOOKS_ALLOWED_NETWORKS": entry}, base_dir=base_dir)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WEBHOOKS_CONNECT_TIMEOUT_SECONDS", "0", "at least 1"),
        ("WEBHOOKS_CONNECT_TIMEOUT_SECONDS", "31", "at most 30"),
        ("WEBHOOKS_READ_TIMEOUT_SECONDS", "2.5", "a whole number"),
        ("WEBHOOKS_READ_TIMEOUT_SECONDS", "61", "at most 60"),
        ("WEBHOOKS_MAX_PAYLOAD_BYTES", "1023", "at least 1024"),
        ("WEBHOOKS_MAX_PAYLOAD_BYTES", "256k", "a whole number"),
        ("WEBHOOKS_RESPONSE_BODY_BYTES", "-1", "at least 0"),
        ("WEBHOOKS_RESPONSE_BODY_BYTES", "65537", "at most 65536"),
    ],
)
def test_a_timeout_or_size_out_of_bounds_stops_the_start_with_one_line(base_dir, name, value, message):
    with pytest.raises(ImproperlyConfigured, match=f"^{name} must be {message}.$"):
        load({**PRODUCTION, name: value}, base_dir=base_dir)


def test_no_response_body_at_all_may_be_kept(base_dir):
    assert (
        load({**PRODUCTION, "WEBHOOKS_RESPONSE_BODY_BYTES": "0"}, base_dir=base_dir).webhooks_response_body_bytes == 0
    )
