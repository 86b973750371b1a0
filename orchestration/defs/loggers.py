"""A logger that shows each run's per-month progress lines on the terminal.

Assets log `progress: <month> …` as they finish each month of a run; `ccm run` and `ccm
backfill` keep Dagster's own console log quiet and show only these lines.
"""

import logging
import sys

from dagster import colored_console_logger, logger

PROGRESS_MARK = "progress: "


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if PROGRESS_MARK in message:
            # sys.__stdout__: the run's stdout may be redirected to its log file.
            stream = sys.__stdout__
            stream.write("  " + message.split(PROGRESS_MARK, 1)[1] + "\n")
            stream.flush()


@logger(description="Prints the per-month progress lines of a run on the terminal.")
def progress_logger(init_context):
    progress = logging.getLogger("ccm.progress")
    progress.setLevel(logging.INFO)
    progress.handlers = [_ProgressHandler()]
    progress.propagate = False
    return progress


LOGGERS = {"console": colored_console_logger, "ccm_progress": progress_logger}
