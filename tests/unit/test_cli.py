import argparse
from datetime import date

import pytest

from orchestration import cli
from orchestration.cli import build_parser, output_folder_problem, parse_month


def test_month_argument_is_the_first_of_the_month():
    assert parse_month("2025-03") == date(2025, 3, 1)
    assert parse_month(" 2020-12 ") == date(2020, 12, 1)


@pytest.mark.parametrize("text", ["2025-13", "2025-3", "March 2025", "2025-03-01", ""])
def test_month_argument_rejects_anything_but_yyyy_mm(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_month(text)


def test_run_defaults_to_the_bundled_sample_drop_and_out_folder():
    args = build_parser().parse_args(["run"])
    assert args.drop.endswith("data/sample/drop")
    assert args.out.endswith("out")
    assert args.month is None


def test_every_command_explains_itself(capsys):
    for command in (["--help"], ["run", "--help"], ["ui", "--help"], ["db", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args(command)
        assert exit_info.value.code == 0
    assert "--month" in capsys.readouterr().out


def test_an_out_folder_is_created_and_checked_before_any_work(tmp_path):
    fresh = tmp_path / "billing" / "2025"
    assert output_folder_problem(fresh) is None
    assert fresh.is_dir()
    blocker = tmp_path / "billing.csv"
    blocker.write_text("a file, not a folder")
    assert output_folder_problem(blocker) == "it is a file, not a folder"
    assert output_folder_problem(blocker / "out") == "Not a directory"


def test_ctrl_c_prints_one_line_and_exits_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "command_run", interrupted)

    assert cli.main(["run"]) == 130
    captured = capsys.readouterr()
    assert captured.err == (
        "interrupted; marts are swapped in one transaction, so none is half-published, but a "
        "month published just before the stop may lack fresh billing files: re-run it\n"
    )
    assert captured.out == ""


def test_run_help_names_the_new_checks(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "the drop must hold a report for it" in text
    assert "checked writable before any work" in text
    assert "Ctrl-C stops the run (exit 130)" in text


def test_watch_on_a_missing_drop_folder_fails_instead_of_idling(tmp_path, capsys):
    missing = tmp_path / "no-such-drop"
    code = cli.main(["watch", "--drop", str(missing), "--once", "--out", str(tmp_path / "out")])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"ccm watch: drop folder not found: {missing}"
