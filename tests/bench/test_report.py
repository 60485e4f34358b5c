"""Tables print as aligned Markdown: first column left, numbers right."""
from bench.report import table


def test_table_aligns_columns_as_markdown():
    text = table(["c", "req/s"], [[1, "9,000"], [64, "12"]])
    assert text.splitlines() == [
        "| c  | req/s |",
        "|:---|------:|",
        "| 1  | 9,000 |",
        "| 64 |    12 |",
    ]
