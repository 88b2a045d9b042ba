"""The pure parts of ``make bench-http``: wrk's output, the ratios, the rotation, CPU busy, the docs fragment."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.bench_http import load, machine, report, writes
from scripts.bench_http.endpoints import ratios, rotated

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8791/api/v2/orders/4b6c
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    36.41ms    9.10ms 150.52ms   90.01%
    Req/Sec   219.61     20.55   260.00     71.00%
  2196 requests in 10.01s, 2.55MB read
Requests/sec:    219.40
Transfer/sec:    260.81KB
BENCH_RESULT {"requests":2196,"duration_us":10009000,"bytes":2673000,"connect_errors":0,"read_errors":1,\
"write_errors":0,"status_errors":2,"timeouts":0,"p50_us":34120,"p90_us":41002,"p99_us":97530,"max_us":150520,\
"mean_us":36410.2}
"""


def test_wrk_output_is_read_from_the_done_hook_line() -> None:
    result = load.parse_wrk(WRK_OUTPUT)

    assert result.requests == 2196
    assert result.seconds == pytest.approx(10.009)
    assert result.rate == pytest.approx(219.40, abs=0.01)
    assert (result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms) == (34.12, 41.002, 97.53, 150.52)
    assert result.errors == 3  # one read error and two responses of status 400 or above


def test_wrk_output_without_the_done_hook_line_is_refused() -> None:
    with pytest.raises(ValueError, match="BENCH_RESULT"):
        load.parse_wrk(WRK_OUTPUT.split("BENCH_RESULT")[0])


def test_the_lua_hook_prints_the_line_the_parser_reads() -> None:
    assert "'%s{" in load.LUA_SCRIPT
    assert f'"{load.MARKER}"' in load.LUA_SCRIPT
    for key in ("requests", "duration_us", "status_errors", "p50_us", "p99_us", "max_us"):
        assert f'"{key}":' in load.LUA_SCRIPT


def test_wrk_is_pinned_to_core_1_with_the_callers_headers() -> None:
    command = load.wrk_command(
        "http://127.0.0.1:1/x", {"Authorization": "Bearer t"}, seconds=9.6, connections=8, script=Path("b.lua")
    )

    assert command[:4] == ["taskset", "-c", "1", "wrk"]
    assert command[command.index("--duration") + 1] == "10s"
    assert command[command.index("--connections") + 1] == "8"
    assert command[-3:-1] == ["--header", "Authorization: Bearer t"]
    assert command[-1] == "http://127.0.0.1:1/x"


def test_ratios_divide_req_per_second_and_skip_what_was_not_measured() -> None:
    rates = {"a": 300.0, "b": 1200.0, "c": 0.0}
    pairs = [("a/b", "a", "b"), ("b/a", "b", "a"), ("a/missing", "a", "z"), ("a/c", "a", "c")]

    assert ratios(rates, pairs) == [("a/b", 0.25), ("b/a", 4.0), ("a/missing", None), ("a/c", None)]


def test_each_round_starts_one_endpoint_further() -> None:
    assert rotated([1, 2, 3], 0) == [1, 2, 3]
    assert rotated([1, 2, 3], 1) == [2, 3, 1]
    assert rotated([1, 2, 3], 4) == [2, 3, 1]
    assert rotated([], 2) == []


def test_percentiles_are_nearest_rank() -> None:
    ordered = [float(n) for n in range(1, 101)]

    assert load.percentile(ordered, 0.50) == 50.0
    assert load.percentile(ordered, 0.99) == 99.0
    assert load.percentile([7.0], 0.99) == 7.0


def test_cpu_busy_per_core_from_two_samples_of_proc_stat() -> None:
    before = machine.cpu_times("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0\n")
    after = machine.cpu_times("cpu  250 0 150 900 0 0 0 0 0 0\ncpu0 180 0 60 410 0 0 0 0\ncpu1 70 0 90 490 0 0 0 0\n")

    busy = machine.busy(before, after)

    assert busy["cpu0"] == pytest.approx(140 / 150)
    assert busy["cpu1"] == pytest.approx(60 / 150)
    assert busy["cpu"] == pytest.approx(200 / 300)


def test_the_results_section_of_the_page_is_replaced_and_the_prose_kept(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text(f"# Title\n\nProse.\n\n{report.BEGIN}\nold figures\n{report.END}\n\n## After\n")

    report.write_fragment(page, f"{report.BEGIN}\nnew figures\n{report.END}")

    assert page.read_text() == f"# Title\n\nProse.\n\n{report.BEGIN}\nnew figures\n{report.END}\n\n## After\n"


def test_a_page_without_a_results_section_gets_one_appended(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text("# Title\n")

    report.write_fragment(page, f"{report.BEGIN}\nfigures\n{report.END}")

    assert page.read_text() == f"# Title\n\n{report.BEGIN}\nfigures\n{report.END}\n"


def test_markdown_tables_right_align_every_column_but_the_first() -> None:
    table = report.markdown_table([["endpoint", "req/s"], ["bare", "1,900"]])

    assert table == "| endpoint | req/s |\n|---|---:|\n| bare | 1,900 |"


def test_ratios_are_also_taken_within_each_round() -> None:
    from scripts.bench_http.endpoints import BY_KEY
    from scripts.bench_http.phases import Measured

    def measured(key: str, *rates: float, p99: float = 1.0) -> Measured:
        runs = [load.LoadResult(int(rate * 10), 10.0, 1.0, 1.0, p99, 1.0, 0) for rate in rates]
        return Measured(BY_KEY[key], runs=runs)

    found = {
        "detail_hit": measured("detail_hit", 100, 60, 90, p99=6.0),
        "drf_empty": measured("drf_empty", 400, 200, 300, p99=4.0),
    }

    rows = report.ratio_rows(found)

    assert rows[0][-1] == "p99 over p99"
    assert rows[1] == ["order detail (cache hit) / DRF + simplejwt empty view", "0.30x", "0.25 / 0.30 / 0.30", "1.50x"]
    assert rows[2][1:] == ["-", "- / - / -", "-"]  # the bare view was not measured


# The writes: each request new, the webhook's signed as the provider signs it.


def make_targets(made: list[int]) -> writes.Targets:
    def make(customer_id: str, email: str, count: int) -> list[tuple[str, str, int, str]]:
        start = sum(made)
        made.append(count)
        return [(f"order-{n}", f"invoice-{n}", 1000 + n, "EUR") for n in range(start, start + count)]

    return writes.Targets("customer", "c@example.com", make=make, batch=3)


def test_targets_are_handed_out_once_and_made_when_they_run_low() -> None:
    made: list[int] = []
    targets = make_targets(made)

    first = targets.take(2)
    second = targets.take(2)  # one left of the first three: three more are made

    assert [t.order_id for t in first + second] == ["order-0", "order-1", "order-2", "order-3"]
    assert made == [3, 3]
    assert targets.made == 6


def test_targets_a_load_did_not_send_are_taken_first_by_the_next() -> None:
    targets = make_targets([])
    given = targets.take(3)

    targets.give_back(given[1:])

    assert [t.order_id for t in targets.take(2)] == ["order-1", "order-2"]


def test_a_cancel_batch_spends_one_order_per_request_and_a_place_batch_none() -> None:
    targets = make_targets([])

    cancels = writes.batch("cancel", 3, targets, "whsec_x")
    places = writes.batch("place_key", 3, targets, "whsec_x")

    assert [r.path for r in cancels.requests] == [f"/api/v2/orders/order-{n}/cancel" for n in range(3)]
    assert places.targets == []
    assert len({r.headers["Idempotency-Key"] for r in places.requests}) == 3  # a key of its own each
    assert targets.take(1)[0].order_id == "order-3"


def test_a_webhook_request_carries_a_signature_the_provider_library_accepts() -> None:
    import json

    import stripe

    target = writes.Target("order-1", "0b7c2f5e-3c1d-4f7a-9a55-0c6a2f1d9e10", 4250, "EUR")
    request = writes.request_for("webhook", target, "whsec_bench")

    stripe.WebhookSignature.verify_header(
        request.body.encode(), request.headers["Stripe-Signature"], "whsec_bench", tolerance=300
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(
            request.body.encode(), request.headers["Stripe-Signature"], "whsec_other", tolerance=300
        )
    event = json.loads(request.body)
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["amount_received"] == 4250
    assert event["data"]["object"]["currency"] == "eur"
    assert event["data"]["object"]["metadata"]["invoice_id"] == target.invoice_id


def test_a_request_is_one_tab_separated_line_with_its_header_count() -> None:
    request = writes.Request("POST", "/x", {"A": "1", "B": "two words"}, '{"k":"v"}')

    assert request.line() == 'POST\t/x\t2\tA: 1\tB: two words\t{"k":"v"}'
    with pytest.raises(ValueError, match="tab or a newline"):
        writes.Request("POST", "/x", {}, "a\tb").line()


def test_the_writes_lua_script_reads_the_requests_file_and_ends_with_the_done_hook(tmp_path: Path) -> None:
    script = writes.lua_script(tmp_path / "w.lua", tmp_path / "requests.tsv").read_text()

    assert f'io.open("{tmp_path / "requests.tsv"}"' in script
    assert "request = function()" in script
    assert script.endswith(load.LUA_DONE)
