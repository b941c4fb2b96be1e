"""Archived vehicle-month safety histories (``hazrisk history import``)."""

from hazrisk.history.archive import (
    COLUMNS,
    HistoryFileReport,
    differences,
    find_history_files,
    import_history_file,
)

__all__ = ["COLUMNS", "HistoryFileReport", "differences", "find_history_files",
           "import_history_file"]
