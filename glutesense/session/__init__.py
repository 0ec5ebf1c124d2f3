"""Native session files: append-only raw packets, metadata and events."""

from glutesense.session.reader import SessionData, SessionError, is_session_file, read_session
from glutesense.session.writer import SessionWriter

__all__ = ["SessionData", "SessionError", "SessionWriter", "is_session_file", "read_session"]
