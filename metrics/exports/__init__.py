"""File writers for exports, independent of the Flask app and the database.

``write_csv`` and ``write_xlsx`` stream rows; the A4 PDF summary lives in
``metrics.exports.pdf``, imported on its own because WeasyPrint loads Pango on import.
"""
from metrics.exports.writers import COLUMN_TYPES, Column, write_csv, write_xlsx

__all__ = ["COLUMN_TYPES", "Column", "write_csv", "write_xlsx"]
