import argparse
from datetime import date

import pytest

from orchestration.cli import build_parser, parse_month


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
