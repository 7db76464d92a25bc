"""The current scanner, rebuilt when the dictionaries change on disk: no restart needed."""

from pathlib import Path
from threading import Lock

from content_review.scanner.dictionaries import DEFAULT_DATA_DIR, Rule, load_data
from content_review.scanner.scanner import Scanner

_Stamp = tuple[tuple[str, int, int], ...]


class ScannerRegistry:
    """``scanner()`` checks the data files' modification times (a few ``stat`` calls) and
    rebuilds when any file changed, appeared or went away; ``reload()`` rebuilds at once. A
    rebuild that fails (a broken data file) raises and keeps serving the previous scanner."""

    def __init__(
        self, data_dir: Path = DEFAULT_DATA_DIR, *, extra_rules: tuple[Rule, ...] = ()
    ) -> None:
        self.data_dir = data_dir
        self._extra_rules = extra_rules
        self._lock = Lock()
        self._stamp: _Stamp = ()
        self._scanner: Scanner | None = None

    def _current_stamp(self) -> _Stamp:
        stamps = []
        for path in sorted(self.data_dir.glob("*.toml")):
            stat = path.stat()
            stamps.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(stamps)

    def scanner(self) -> Scanner:
        stamp = self._current_stamp()
        current = self._scanner
        if current is not None and stamp == self._stamp:
            return current
        return self._rebuild(stamp, force=False)

    def reload(self) -> Scanner:
        return self._rebuild(self._current_stamp(), force=True)

    def _rebuild(self, stamp: _Stamp, *, force: bool) -> Scanner:
        with self._lock:
            if not force and self._scanner is not None and stamp == self._stamp:
                return self._scanner  # another thread rebuilt it meanwhile
            data = load_data(self.data_dir)
            if self._extra_rules:
                data = type(data)(
                    rules=data.rules + self._extra_rules,
                    shields=data.shields,
                    contexts=data.contexts,
                    files=data.files,
                )
            scanner = Scanner(data)
            self._scanner, self._stamp = scanner, stamp
            return scanner
