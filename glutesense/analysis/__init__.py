"""Analysis: the pipeline (a Recording and a protocol in, an AnalysisResult out) and its metrics."""

from glutesense.analysis.pipeline import AnalysisResult, AnalysisSettings, analyze

__all__ = ["AnalysisResult", "AnalysisSettings", "analyze"]
