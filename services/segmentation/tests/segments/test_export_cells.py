"""CSV export cells that a spreadsheet would run as formulas are made inert."""

import csv
import io

import pytest

from segmentation.segments import export


@pytest.mark.parametrize(
    "cell", ["=HYPERLINK(1)", "+1+1", "-2+3", "@SUM(A1)", "\t=cmd()", "\r=cmd()", "\tplain"]
)
def test_cells_starting_like_a_formula_are_quoted(cell):
    (row,) = csv.reader(io.StringIO(export._line((cell, "active"))))
    assert row == ["'" + cell, "active"]


@pytest.mark.parametrize("cell", ["u-1", "用户", "a=b", " =x", ""])
def test_other_cells_are_kept_as_they_are(cell):
    (row,) = csv.reader(io.StringIO(export._line((cell,))))
    assert row == [cell]
