"""Paging: the one JSON envelope of every list (`items, total, page, per_page, pages`), the request's
page arguments, and a page of results that did not come from a SELECT (search hits) with the attributes
of Flask-SQLAlchemy's Pagination that the templates use."""
import math

MAX_PAGE = 100_000
MAX_PER_PAGE = 100


def page_args(args, default_per_page: int = 20) -> tuple[int, int]:
    """`page` and `per_page` from a request's arguments, or a 400 (core.errors.BadRequest) saying what is wrong."""
    from .errors import BadRequest
    out = []
    for name, label, default, hi in (("page", "页码", 1, MAX_PAGE),
                                     ("per_page", "每页条数", default_per_page, MAX_PER_PAGE)):
        raw = str(args.get(name) or "").strip()
        if not raw:
            out.append(default)
            continue
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not 1 <= int(raw) <= hi:
            raise BadRequest(f"{label}应为 1 到 {hi} 之间的整数", {name: f"应为 1 到 {hi} 之间的整数"})
        out.append(int(raw))
    return out[0], out[1]


def envelope(page, items: list) -> dict:
    """The JSON answer of a list: the serialised `items` of a Pagination/ResultPage and its counts."""
    pages = page.pages if page.total else 0
    return {"items": items, "total": page.total, "page": page.page, "per_page": page.per_page, "pages": pages}


class ResultPage:
    def __init__(self, items: list, total: int, page: int, per_page: int, **extra):
        self.items, self.total, self.page, self.per_page = items, total, page, per_page
        self.__dict__.update(extra)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self):
        return self.page + 1 if self.has_next else None

    def iter_pages(self, left_edge=2, left_current=2, right_current=4, right_edge=2):
        last = 0
        for num in range(1, self.pages + 1):
            if (num <= left_edge or self.page - left_current <= num <= self.page + right_current
                    or num > self.pages - right_edge):
                if last + 1 != num:
                    yield None
                yield num
                last = num

    def __iter__(self):
        return iter(self.items)
