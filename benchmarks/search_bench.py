"""Search benchmark: Whoosh backend, synthetic corpus of realistic length, fixed query list.

    .venv/bin/python benchmarks/search_bench.py [--docs 100000] [--keep DIR]

Builds N achievements of about 300 Chinese characters from a Zipf-distributed vocabulary (jieba's
dictionary words, most frequent first, plus our domain dictionary), indexes them with the production
code path (WhooshBackend.rebuild: segmentation in 2 worker processes), then starts a fresh process — a
web worker's view — that opens the index and runs 60+ queries (2–4 character terms, multi-word queries,
queries with filters; facet counts always on) twice: the first pass warms the caches, the second is
measured. Prints indexing rate, index size, p50/p95/max latency and the peak RSS of both processes.
"""
import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INDUSTRIES = ["有色金属", "电子信息", "装备制造", "新能源", "新材料", "生物医药", "中医药", "现代农业", "航空", "食品"]
MATURITIES = ["实验室", "小试", "中试", "工业化"]
MODES = ["转让", "许可", "作价入股", "合作开发"]
IPS = ["发明专利", "实用新型", "软件著作权"]
INSTITUTIONS = ["南昌大学", "江西理工大学", "华东交通大学", "江西师范大学", "江西农业大学", "东华理工大学", "南昌航空大学"]
CITIES = ["南昌", "九江", "赣州", "宜春", "鹰潭", "上饶", "吉安"]
PUNCT = "，。；、"


def vocabulary(size: int = 30000) -> list[str]:
    """Chinese words of 2–4 characters by descending jieba frequency, domain terms mixed in near the top."""
    import jieba
    dict_path = Path(jieba.__file__).parent / "dict.txt"
    words = []
    for line in dict_path.open(encoding="utf-8"):
        w, freq, *_ = line.split()
        if 2 <= len(w) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in w):
            words.append((int(freq), w))
    words.sort(reverse=True)
    vocab = [w for _, w in words[:size]]
    domain = [line.split()[0] for line in (ROOT / "search/data/userdict.txt").open(encoding="utf-8")
              if line.strip() and "\u4e00" <= line[0] <= "\u9fff"]
    for i, w in enumerate(domain):
        vocab.insert(200 + i * 37, w)
    return vocab


class Zipf:
    def __init__(self, vocab, s=1.07, seed=7):
        import numpy as np
        self.vocab = vocab
        weights = 1.0 / np.arange(1, len(vocab) + 1) ** s
        self.cdf = np.cumsum(weights / weights.sum())
        self.rng = np.random.default_rng(seed)

    def words(self, n):
        import numpy as np
        idx = np.searchsorted(self.cdf, self.rng.random(n))
        return [self.vocab[i] for i in idx]


def corpus(n: int, vocab: list[str]):
    z = Zipf(vocab)
    rnd = random.Random(11)
    for i in range(n):
        body, length = [], 0
        words = z.words(160)
        j = 0
        while length < 300:
            w = words[j % len(words)]
            j += 1
            body.append(w)
            length += len(w)
            if rnd.random() < 0.12:
                body.append(rnd.choice(PUNCT))
                length += 1
        title_words = z.words(6)
        price = None if rnd.random() < 0.3 else float(rnd.choice([5, 20, 35, 80, 120, 300, 800])) * 10000
        yield {"id": f"achievement:{i}", "type": "achievement", "title": "".join(title_words[:5]) + "技术",
               "keywords": " ".join(z.words(4)), "body": "".join(body),
               "status": "published" if rnd.random() < 0.97 else "draft", "owner_org": rnd.randint(1, 400),
               "published_at": 1_600_000_000 + i * 60, "price": price, "industry": rnd.choice(INDUSTRIES),
               "city": rnd.choice(CITIES), "institution": rnd.choice(INSTITUTIONS),
               "maturity": rnd.choice(MATURITIES), "funding_source": rnd.choice(["财政资金", "非财政资金"]),
               "transfer_modes": rnd.sample(MODES, rnd.randint(1, 2)), "ip_types": [rnd.choice(IPS)],
               "digest": str(i)}


def queries(vocab: list[str]) -> list[dict]:
    rnd = random.Random(5)
    out = []
    for rank in (10, 30, 60, 100, 200, 300, 500, 800, 1200, 2000, 3000, 5000, 8000, 12000, 20000):
        out.append({"text": vocab[rank]})                                   # single terms, common → rare
    for term in ("稀土永磁", "锂电", "正极材料", "光伏", "中试", "复合材料", "传感器", "脐橙", "5G", "LED"):
        out.append({"text": term})                                          # domain terms, synonyms
    for _ in range(15):
        out.append({"text": " ".join(rnd.sample(vocab[50:3000], 2))})     # two words
    for _ in range(5):
        out.append({"text": " ".join(rnd.sample(vocab[20:1500], 3))})     # three words
    for i in range(12):                                                     # with filters
        out.append({"text": vocab[40 + i * 97], "filters": {"industry": INDUSTRIES[i % len(INDUSTRIES)]}})
    for i in range(5):
        out.append({"text": vocab[70 + i * 53], "filters": {"maturity": "中试", "transfer_modes": "许可"},
                    "price_min": 100000, "price_max": 2000000})
    out.append({"text": "", "filters": {"industry": "新能源"}})               # browse with facets only
    out.append({"text": "", "sort": "newest"})
    out.append({"text": vocab[150], "sort": "price_asc"})
    return out


WORKER = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
from search.whoosh_backend import WhooshBackend
from search.base import SearchQuery
be = WhooshBackend(sys.argv[1])
qs = json.load(open(sys.argv[2]))
t0 = time.perf_counter(); be.search(SearchQuery(text="", per_page=1)); open_s = time.perf_counter() - t0
timings, totals = [], []
for rnd in range(2):
    for q in qs:
        query = SearchQuery(text=q.get("text", ""), filters=q.get("filters", {}), sort=q.get("sort", "relevance"),
                            price_min=q.get("price_min"), price_max=q.get("price_max"), per_page=20)
        t = time.perf_counter(); r = be.search(query); dt = time.perf_counter() - t
        if rnd == 1:
            timings.append(dt * 1000); totals.append(r.total)
rss_before_write = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
# One write, as a web request makes: the next search re-reads only the new segment.
be.index([{"id": "achievement:new", "type": "achievement", "title": "新写入的成果", "body": "写入后第一次查询",
           "status": "published", "owner_org": 1}])
t = time.perf_counter(); be.search(SearchQuery(text="稀土", per_page=20)); after_write = time.perf_counter() - t
print(json.dumps({"open_s": open_s, "after_write_s": after_write, "timings": timings, "totals": totals,
                  "rss_before_write_mib": rss_before_write,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--keep", help="build the index in this folder and keep it")
    args = parser.parse_args()
    from search.whoosh_backend import WhooshBackend

    vocab = vocabulary()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="search-bench-"))
    if base.exists():
        shutil.rmtree(base)
    be = WhooshBackend(str(base))
    sample = list(corpus(200, vocab))
    avg_chars = sum(len(d["body"]) for d in sample) / len(sample)
    t0 = time.perf_counter()
    count = be.rebuild(corpus(args.docs, vocab), workers=2)
    build_s = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in base.rglob("*") if p.is_file())
    build_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    qfile = base / "queries.json"
    qs = queries(vocab)
    qfile.write_text(json.dumps(qs, ensure_ascii=False))
    out = subprocess.run([sys.executable, "-c", WORKER, str(base), str(qfile), str(ROOT)], capture_output=True,
                         text=True, check=True)
    res = json.loads(out.stdout)
    t = sorted(res["timings"])

    def pct(p):
        return t[min(len(t) - 1, int(round(p / 100 * (len(t) - 1))))]

    print(f"documents               {count} (body ≈ {avg_chars:.0f} characters)")
    print(f"bulk indexing           {build_s:.1f} s = {count / build_s:.0f} documents/s (2 segmentation workers)")
    print(f"index size              {size / 1024 / 1024:.0f} MiB")
    print(f"peak RSS, indexer       {build_rss:.0f} MiB (workers {child_rss:.0f} MiB each at most)")
    print(f"queries                 {len(qs)} distinct, measured on the second (warm) pass; facets on")
    print(f"open + first query      {res['open_s'] * 1000:.0f} ms (snapshot of columns, once per index generation)")
    print(f"latency p50 / p95 / max {pct(50):.1f} / {pct(95):.1f} / {t[-1]:.1f} ms")
    print(f"first query after a write {res['after_write_s'] * 1000:.0f} ms (one small new segment to read)")
    print(f"hits per query          median {sorted(res['totals'])[len(res['totals']) // 2]}, max {max(res['totals'])}")
    print(f"peak RSS, query worker  {res['rss_before_write_mib']:.0f} MiB after the queries, "
          f"{res['rss_mib']:.0f} MiB after the write and the next query")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
