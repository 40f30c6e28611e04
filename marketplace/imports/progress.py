"""A progress line for the terminal: done/total, rate and time left, redrawn at most twice a second (stderr)."""
import sys
import time


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}秒"
    if seconds < 3600:
        return f"{seconds // 60}分{seconds % 60:02d}秒"
    return f"{seconds // 3600}小时{seconds % 3600 // 60:02d}分"


class Progress:
    def __init__(self, label: str, total: int | None = None, stream=None, every: float = 0.5):
        self.label, self.total = label, total or 0
        self.stream = stream or sys.stderr
        self.every = every
        self.started = time.monotonic()
        self.done = 0
        self._drawn = 0.0

    def __enter__(self):
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.draw(final=True)

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total:
            self.total = max(total, done)
        now = time.monotonic()
        if now - self._drawn >= self.every:
            self._drawn = now
            self.draw()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        total = max(self.total, self.done)
        out = f"{self.label}: {self.done}/{total or '?'}"
        if total:
            out += f" ({self.done * 100 // total}%)"
        out += f"，每秒 {rate:.0f} 行，已用 {duration(elapsed)}"
        if rate > 0 and total > self.done:
            out += f"，约剩 {duration((total - self.done) / rate)}"
        return out

    def draw(self, final: bool = False) -> None:
        try:
            self.stream.write("\r" + self.line() + ("\n" if final else ""))
            self.stream.flush()
        except (OSError, ValueError):  # a closed terminal must not stop an import
            pass
