"""Runs the README's pyarrow tour exactly as written, against HANGAR_URL."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[3] / "README.md"


def tour_code(marker="tour"):
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- " + marker + r" -->\s*```python\n(.*?)```", text, re.S)
    assert blocks, f"README.md has no ```python block marked <!-- {marker} -->"
    return "\n".join(blocks)


def test_readme_tour_runs_as_written(capsys):
    exec(compile(tour_code(), str(README), "exec"), {"__name__": "tour"})
    out = capsys.readouterr().out
    assert "cache/tenant1/sales" in out
    assert "deleted" in out


def test_readme_sql_tour_runs_as_written(capsys):
    exec(compile(tour_code("sql-tour"), str(README), "exec"), {"__name__": "sql_tour"})
    out = capsys.readouterr().out
    assert "region: string" in out and "total: double" in out
    assert 'region: [["apac","eu","us"]]' in out  # 42.25 is filtered out by the parameter
    assert "total: [[99.9,120.5,80]]" in out
