"""The structure the README's Layout states: no module of ours is over 600 lines unless
the Layout says why, and every module the Layout names by path exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "dealers", "leads", "territories")
LIMIT = 600


def layout() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## Layout", 1)[1].split("\n## ", 1)[0]


def our_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_is_over_600_lines_unless_the_layout_says_why():
    said = layout()
    over = {
        str(path.relative_to(ROOT)): lines
        for path in our_modules()
        if (lines := len(path.read_text().splitlines())) > LIMIT
    }
    unexplained = {
        name: lines
        for name, lines in over.items()
        if not re.search(rf"{re.escape(Path(name).name)} is\s+over {LIMIT} lines because", said)
    }
    assert unexplained == {}, "split these, or say in the README's Layout why they are long"


def test_the_files_the_layout_names_exist():
    said = layout()
    named = set(re.findall(r"`((?:portal|dealers|leads|territories)/[\w/]+\.py)`", said))
    assert named, "the Layout names files by path"
    assert sorted(n for n in named if not (ROOT / n).exists()) == []
