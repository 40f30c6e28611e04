"""Filter links without one `url_for` per link: a facet box or a pager builds its endpoint's URL once
(`link_base`) and appends each link's query string (`query_url`). The same string `url_for` would give
(werkzeug's encoding, parameters in the mapping's order, None dropped), at a fraction of the cost: a search
page has ~94 such links."""
from urllib.parse import urlencode

from flask import current_app, url_for
from werkzeug.datastructures import iter_multi_items

_SAFE = "!$'()*,/:;?@"  # werkzeug's: https://url.spec.whatwg.org/#percent-encoded-bytes


def link_base(endpoint: str) -> str | None:
    """url_for(endpoint) when every parameter of its links is a query parameter (a rule without variables,
    no url_defaults), else None: the caller then uses url_for per link."""
    app = current_app
    if any(app.url_default_functions.values()):
        return None
    try:
        rules = list(app.url_map.iter_rules(endpoint))
    except KeyError:
        return None
    if not rules or any(r.arguments for r in rules):
        return None
    return url_for(endpoint)


def query_url(base: str, params) -> str:
    """`base` (from link_base) followed by `params` as its query string."""
    qs = urlencode([x for x in iter_multi_items(params) if x[1] is not None], safe=_SAFE)
    return f"{base}?{qs}" if qs else base


def _qs(items) -> str:
    return urlencode([x for x in items if x[1] is not None], safe=_SAFE)


def facet_hrefs(base: str, params: dict, key: str, values, active=None) -> list[str]:
    """One facet's links: for each value, `params` with `key` set to it (or, for the active value, without
    `key`), exactly as query_url(base, ...) would give (the key keeps its place among the parameters), but
    with the other parameters encoded once per facet rather than once per value."""
    items = list(iter_multi_items(params))
    at = next((i for i, (k, _) in enumerate(items) if k == key), len(items))
    head, tail = _qs(items[:at]), _qs([x for x in items[at + 1:] if x[0] != key])
    without = "&".join(x for x in (head, tail) if x)
    out = []
    for value in values:
        if active is not None and value == active:
            out.append(f"{base}?{without}" if without else base)
        else:
            qs = "&".join(x for x in (head, _qs([(key, value)]), tail) if x)
            out.append(f"{base}?{qs}" if qs else base)
    return out
