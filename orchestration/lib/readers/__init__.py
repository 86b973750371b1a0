"""Readers for the practice's report files: sniffing, grids, headers and value parsers."""

from orchestration.lib.readers.columnar import NotPlainTable, TableSink
from orchestration.lib.readers.contract import KindSpec, kind_specs
from orchestration.lib.readers.report import (
    Identity,
    ParsedReport,
    Rejection,
    RowSink,
    identify,
    read_report,
)
from orchestration.lib.readers.sources import UnreadableFile

__all__ = [
    "Identity",
    "KindSpec",
    "NotPlainTable",
    "ParsedReport",
    "Rejection",
    "RowSink",
    "TableSink",
    "UnreadableFile",
    "identify",
    "kind_specs",
    "read_report",
]
