"""The one exception type cxkit raises for problems a person can fix."""

from __future__ import annotations

__all__ = ["CxkitError", "ConfigError", "SourceError", "BlockedError"]


class CxkitError(Exception):
    """Root of every cxkit error. Its message is written for the person who must fix it:
    it names the file, column or parameter, what was found, what was expected and the fix."""

    #: the command's exit code: 2, the inputs cannot be read or the configuration is invalid
    exit_code = 2


class ConfigError(CxkitError):
    """The engagement configuration is invalid; ``problems`` lists every problem at once."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s) in the engagement configuration:\n{lines}")


class SourceError(CxkitError):
    """A source file or table cannot be read or mapped."""


class BlockedError(CxkitError):
    """The data cannot support the report (a blocking readiness check failed): exit code 1, the
    same verdict ``cxkit validate`` gives, so a pipeline acts on it the same way."""

    exit_code = 1
