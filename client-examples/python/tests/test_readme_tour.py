"""Runs the README's pyarrow tour exactly as written, against HANGAR_URL."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[3] / "README.md"


def tour_code():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- tour -->\s*```python\n(.*?)```", text, re.S)
    assert blocks, "README.md has no ```python block marked <!-- tour -->"
    return "\n".join(blocks)


def test_readme_tour_runs_as_written(capsys):
    exec(compile(tour_code(), str(README), "exec"), {"__name__": "tour"})
    out = capsys.readouterr().out
    assert "cache/tenant1/sales" in out
    assert "deleted" in out
