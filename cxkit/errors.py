"""The one exception type cxkit raises for problems a person can fix."""

from __future__ import annotations

__all__ = ["CxkitError", "ConfigError", "SourceError"]


class CxkitError(Exception):
    """Root of every cxkit error. Its message is written for the person who must fix it:
    it names the file, column or parameter, what was found, what was expected and the fix."""


class ConfigError(CxkitError):
    """The engagement configuration is invalid; ``problems`` lists every problem at once."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s) in the engagement configuration:\n{lines}")


class SourceError(CxkitError):
    """A source file or table cannot be read or mapped."""
