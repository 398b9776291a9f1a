"""The README a newcomer reads in five minutes, and the pages of docs/ it sends them to: short lines,
links that resolve, every generated block written by exactly one notebook, and the teaching costs
computed from the committed runs."""

import re

import pytest

from neurodream import analysis, outputs, teaching

ROOT = outputs.ROOT
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHORT_PAGES = [ROOT / "README.md"] + [ROOT / "docs" / n for n in
                                      ("commands.md", "known_limits.md", "speed.md", "glossary.md",
                                       "preregistration.md", "code_map.md")]


def _prose_lines(text: str):
    fenced = False
    for number, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not line.lstrip().startswith("|"):
            yield number, line


@pytest.mark.parametrize("page", SHORT_PAGES, ids=lambda p: p.name)
def test_no_line_over_100_characters_outside_tables(page):
    long = [(n, line[:60]) for n, line in _prose_lines(page.read_text())
            if len(line) > analysis.MARKDOWN_WIDTH]
    assert not long, f"{page.name}: lines over {analysis.MARKDOWN_WIDTH} characters: {long}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_local_links_resolve(page):
    # [text](path) and ![alt](path) to files of the repository, relative to the page
    targets = re.findall(r"\]\(\s*([^)\s#]+)(?:#[^)]*)?\)", page.read_text())
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    missing = [t for t in local if not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"


def test_first_screen_says_what_was_claimed_what_was_found_and_how_to_run():
    first = "\n".join((ROOT / "README.md").read_text().split("\n")[:40])
    for needed in ("arxiv.org/abs/2405.15616", "github.com/blakeyy/neuromorphic_dreaming",
                   "**Published**", "**Emulated here**", "make figures", "make test",
                   "CITATION.cff", "LICENSE"):
        assert needed in first, needed
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "cff-version" in (ROOT / "CITATION.cff").read_text()


def test_every_generated_block_is_written_by_exactly_one_notebook():
    # a block no notebook writes stays empty (or stale) for ever; a key without markers is lost
    keys = {}
    for page in PAGES:
        for key in re.findall(r"<!-- (\w+):start -->", page.read_text()):
            keys.setdefault(key, []).append(page.name)
    assert all(len(p) == 1 for p in keys.values()), keys
    writers = {}
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        text = nb.read_text()
        for key in re.findall(r"replace_readme_block\([^,]+, \"(\w+)\"", text):
            writers.setdefault(key, []).append(nb.name)
        if "write_summary(" in text:  # analysis.write_summary writes the "summary" block
            writers.setdefault("summary", []).append(nb.name)
    assert sorted(keys) == sorted(writers), (keys, writers)
    assert all(len(w) == 1 for w in writers.values()), writers


def test_wrapping_keeps_every_word_and_every_table_row():
    md = ("A paragraph " + "with many words " * 20 + "\n\n* a list item " + "that goes on " * 12
          + "\n\n| a | table row " + "x " * 80 + "|\n```\ncode " + "y " * 80 + "\n```")
    wrapped = analysis.wrap_markdown(md, width=40)
    assert wrapped.split() == md.split()
    lines = wrapped.split("\n")
    fence = lines.index("```")
    assert all(len(line) <= 40 for line in lines[:fence] if not line.startswith("|"))
    assert any(line.startswith("| a | table row") and len(line) > 40 for line in lines)
    assert lines[fence + 1].startswith("code ") and len(lines[fence + 1]) > 40
    item = [line for line in lines if line.startswith("* a list")][0]
    assert lines[lines.index(item) + 1].startswith("  that")  # continued under its text


def test_teaching_costs_count_what_is_not_cached(tmp_path):
    # nothing cached in an empty folder: every run of a change is to be trained, and its estimated
    # time grows with the runs (the default speed where no run was measured)
    change = teaching.Change("x", "cmd", lambda: teaching.grid(conditions=["baseline"], seeds=range(3),
                                                               games=100))
    table = teaching.cost_table([change], data=tmp_path, jobs=1)
    assert table.runs_to_train.tolist() == [3]
    one = teaching.cost_table([teaching.Change("x", "cmd", lambda: teaching.grid(
        conditions=["baseline"], seeds=range(1), games=100))], data=tmp_path, jobs=1)
    assert table.minutes[0] == pytest.approx(3 * one.minutes[0])
    two_jobs = teaching.cost_table([change], data=tmp_path, jobs=2)
    assert two_jobs.minutes[0] == pytest.approx(table.minutes[0] / 2)
    md = teaching.markdown(table, jobs=1)
    assert "3 runs to train" in md and "cmd" in md


def test_the_first_teaching_change_needs_no_training_here():
    # the main comparison's seeds 0-4 are committed: showing them at 5 seeds trains nothing
    assert teaching.missing_runs(teaching.CHANGES[0]) == []
    assert len(teaching.missing_runs(teaching.CHANGES[-1])) == 1  # train never uses the cache


def test_every_teaching_command_is_accepted_as_written():
    # make figures: the notebook exists and its PARAMS pass make's own check; the CLI: its parser
    # takes the arguments (nothing is run)
    import shlex

    from neurodream.__main__ import build_parser

    for change in teaching.CHANGES:
        words = shlex.split(change.command)
        if words[:2] == ["make", "figures"]:
            settings = dict(w.split("=", 1) for w in words[2:])
            assert set(settings) <= {"NOTEBOOKS", "PARAMS", "ALLOW_TRAINING"}, settings
            notebook = ROOT / settings["NOTEBOOKS"]
            assert notebook.exists(), notebook
            argv = [str(notebook), "-p", "quick", "0", *shlex.split(settings.get("PARAMS", ""))]
            assert outputs.check_parameters_main(argv) == 0, change.command
        else:
            assert words[:3] == [".venv/bin/python", "-m", "neurodream"], change.command
            args = build_parser().parse_args(words[3:])
            assert args is not None
