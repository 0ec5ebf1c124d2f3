"""Reporting: tables (pandas), figures (matplotlib, Agg), summary JSON and a self-contained HTML report.

The only place in glutesense that writes analysis files, imports pandas or imports matplotlib.
"""

from glutesense.report.write import write_outputs

__all__ = ["write_outputs"]
