from decimal import Decimal

from analytics import charts


def test_axis_top_is_four_round_steps():
    assert charts.axis_top(0.37) == 0.4
    assert charts.axis_top(9) == 10
    assert charts.axis_top(1234) == 2000
    assert charts.axis_top(0) == 4


def test_stacked_bars_draw_one_rect_per_non_zero_value():
    svg = charts.stacked_bars(["2026-01-01", "2026-01-02"], {"openai": [Decimal("1.5"), 0], "google": [1, 2]},
                              fmt=str, label="Cost")
    assert svg.count('<rect class="bar"') == 3
    assert "2026-01-02 · google: 2.0" in svg and 'aria-label="Cost"' in svg


def test_empty_data_draws_a_message_not_an_empty_axis():
    assert "No requests in this period" in charts.stacked_bars(["2026-01-01"], {}, fmt=str, label="Cost")
    assert "No requests" in charts.lines(["2026-01-01"], {"p95": [None]}, fmt=str, label="Latency")
    assert "No requests" in charts.donut([], label="Mix")


def test_lines_break_where_a_day_has_no_value():
    svg = charts.lines(["d1", "d2", "d3"], {"p95": [100, None, 300]}, fmt=str, label="Latency")
    path = svg.split('d="')[1].split('"')[0]
    assert path.count("M") == 2 and "L" not in path


def test_labels_are_escaped():
    svg = charts.horizontal_bars([("<script>alert(1)</script>", 3)], fmt=str, label="Models")
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_donut_shares():
    svg = charts.donut([("simple", 3), ("expert", 1)], label="Mix")
    assert "75.0% · 3" in svg and "25.0% · 1" in svg


def test_money_and_number_formats():
    from analytics.templatetags.analytics_format import compact, ms, pct, usd

    assert [usd(v) for v in (None, Decimal(0), Decimal("1234.567"), Decimal("0.508278"), Decimal("0.00000123"))] == [
        "—", "$0.00", "$1,234.57", "$0.5083", "$0.00000123"]
    assert [compact(v) for v in (999, 1_500, 356_900, 2_000_000)] == ["999", "1.5k", "357k", "2.0M"]
    assert ms(850) == "850 ms" and ms(2500) == "2.50 s" and pct(0.1234) == "12.3%"
