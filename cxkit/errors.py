"""The one exception type cxkit raises for problems a person can fix."""

from __future__ import annotations

import errno
import re

from cxkit.wording import plural

__all__ = ["CxkitError", "ConfigError", "SourceError", "BlockedError", "disk_full"]


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
        super().__init__(f"{path}: {plural(len(self.problems), 'problem')} in the engagement configuration:\n{lines}")


class SourceError(CxkitError):
    """A source file or table cannot be read or mapped."""


class BlockedError(CxkitError):
    """The data cannot support the report (a blocking readiness check failed): exit code 1, the
    same verdict ``cxkit validate`` gives, so a pipeline acts on it the same way."""

    exit_code = 1


_NO_SPACE = "No space left on device"


def disk_full(exc: BaseException) -> CxkitError | None:
    """A full disk met while writing, as the error a person can act on; None for any other error.

    Python reports it as an OSError (ENOSPC) naming the file; the engine (DuckDB writing a
    table or moving data out of its memory) as its own IO error whose text names the file. Left
    to the generic handlers, it read as a mapping problem ("check sources.<table>.read_options")
    or as a fault in cxkit.
    """
    if isinstance(exc, CxkitError):
        return None
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = exc.filename
    elif _NO_SPACE in str(exc):
        quoted = re.search(r'file "([^"]+)"', str(exc))
        where = quoted.group(1) if quoted else None
    else:
        return None
    what = f"{where} could not be written" if where else "a file could not be written"
    return CxkitError(
        f"the disk is full: {what} ({_NO_SPACE}). A run keeps the tables it computes once in its own "
        "folder until its results are written (about 3.5 GB at 10 million contacts), and the engine "
        "moves to that folder what does not fit in its memory. Fix: free space on that disk, or write "
        "the run to a folder on a larger one (cxkit run --reports, cxkit validate --out)."
    )
