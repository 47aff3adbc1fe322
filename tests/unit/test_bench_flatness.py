"""The random-shape benchmark compares a shape's cost across data sizes only where the shape
does the same work besides finding its rows: it records the table rows each answer shows."""
from bench.shapes import flatness, table_rows


def test_table_rows_counts_rows_of_any_kind_and_nothing_else():
    page = ('<table><thead><tr><th>a</th></tr></thead><tbody><tr id="x"><td>1</td></tr>'
            '<tr\nclass="y"><td>2</td></tr></tbody></table><track src="t"><trace>')
    assert table_rows(page) == 3
    assert table_rows("<p>No dossier matches these criteria.</p>") == 0


def _run(size, shapes):
    return {"database": "sqlite", "dossiers": size,
            "shapes": [{"name": name, "p50_ms": p50, "rows": rows}
                       for name, p50, rows in shapes]}


def test_flatness_tells_the_shapes_that_showed_the_same_rows():
    small = _run(10_000, [("search state", 4.0, 4), ("search page=300", 5.0, 26),
                          ("users", 8.0, None)])
    big = _run(1_000_000, [("search state", 8.0, 26), ("search page=300", 6.0, 26),
                           ("users", 8.0, None), ("only big", 1.0, 1)])
    rows = {row["name"]: row for row in flatness([big, small])}
    assert set(rows) == {"search state", "search page=300", "users"}
    assert rows["search state"]["ratio"] == 2.0 and not rows["search state"]["same_rows"]
    assert rows["search state"]["rows"] == (4, 26)
    assert rows["search page=300"]["ratio"] == 1.2 and rows["search page=300"]["same_rows"]
    assert not rows["users"]["same_rows"]  # not recorded: not claimed to be the same
    assert [row["name"] for row in flatness([small, big])][0] == "search state"
