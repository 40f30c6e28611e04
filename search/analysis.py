"""Chinese (and code-like English) text analysis shared by both backends.

Text is segmented here, in Python, once: jieba (with our domain dictionary, HMM off so that a query and a
document containing the same characters are cut the same way) for Chinese runs, and a regular expression for
Latin letters and digits, which keeps codes such as "5G", "LED" or "Cu-Cr-Zr" whole and never stems them.

A segmented text is a string of position groups separated by spaces; a group is the token at that position
followed by its sub-words, joined by "|":  "钕铁硼 稀土永磁|稀土|永磁 材料".  The sub-words (the 2- to 4-character
dictionary words inside a longer word, as jieba's search mode finds them) sit at the same position as their
word, so "永磁" finds "稀土永磁" and a phrase such as "正极材料" still needs its tokens to be adjacent.
Whoosh reads this format with PresegmentedAnalyzer below; Elasticsearch with a whitespace tokenizer and a
pattern_capture filter, which also emits the captured sub-words at the same position.
"""
import hashlib
import os
import re
import threading
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

CODE_RE = re.compile(r"[A-Za-z0-9]+(?:[-.+/][A-Za-z0-9]+)*")
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
SPLIT_RE = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+(?:[-.+/][A-Za-z0-9]+)*)")
QUOTE_RE = re.compile(r'"([^"]+)"|“([^”]+)”')

# Full-width letters and digits as a Chinese input method types them (ＬＥＤ, ３Ｄ打印, ＰＬＣ, ＳＯ２, ５Ｇ), and the marks
# that join a code (＋ － ． ／: ＧＢ／Ｔ, Ｔｉ－６Ａｌ－４Ｖ), are read as their ASCII selves: the regular expressions above and
# jieba know only ASCII, so "ＬＥＤ路灯" was cut to 路灯 alone and never met "LED". Traditional characters are read as
# simplified ones (data/t2s.txt, OpenCC's character table: a Taiwanese- or Hong Kong-invested firm writes 鋰電池正極材料,
# which jieba cut as 鋰 / 電池 / 正極 / 材料 and the matcher found in no simplified record). One character for one, so
# offsets in a folded text are offsets in the text as written (spans, highlights). Chinese punctuation (，：（）) is kept.
_FOLD = {cp: cp - 0xFEE0 for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B),
                                     0xFF0B, 0xFF0D, 0xFF0E, 0xFF0F)}


def _simplified_table(path: Path) -> dict[int, int]:
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            trad, simp = line.split("\t")
            table[ord(trad)] = ord(simp)
    return table


_FOLD.update(_simplified_table(DATA / "t2s.txt"))


def _char_class(codepoints) -> str:
    """A regular expression's class of these characters, as ranges of consecutive ones; the few outside the Basic
    Multilingual Plane as the one range of the supplementary ideographic planes (a long list of them there makes
    every search 50 times slower)."""
    cps = sorted(cp for cp in codepoints if cp <= 0xFFFF)
    runs: list = []
    for cp in cps:
        if runs and cp == runs[-1][1] + 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    body = "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in runs)
    if any(cp > 0xFFFF for cp in codepoints):
        body += "\U00020000-\U0003ffff"
    return f"[{body}]"


# the characters _FOLD maps, searched for first (in C: most texts hold none, and translate is a loop per character)
_WIDE = re.compile(_char_class(_FOLD))


def fold(text: str) -> str:
    """`text` with full-width letters, digits and code marks read as ASCII and traditional characters as simplified
    (same length)."""
    return text.translate(_FOLD) if _WIDE.search(text) else text


# A line break next to a Chinese character or punctuation mark is a hard wrap — text copied out of a PDF (a patent's
# abstract, a report) breaks its lines every few dozen characters, inside words (正极材\n料), between a word and a
# code (采用\nLiFePO4: Chinese puts no space there) or after a comma — not a boundary: the text is read without it (a
# punctuation mark still separates what it separates). A blank line, and a break between two Latin words or numbers
# (a space in English), stay.
# Chinese characters and punctuation (、。「」 ，：（） ‘’“” …)
_CHINESE = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3001-\u303f\uff01-\uff0f\uff1a-\uff20\u2018-\u201d\u2026"
_WRAP = re.compile(rf"(?:(?<=[{_CHINESE}])[ \t\u3000]*\r?\n[ \t\u3000]*(?=[{_CHINESE}A-Za-z0-9])"
                   rf"|(?<=[A-Za-z0-9])[ \t\u3000]*\r?\n[ \t\u3000]*(?=[{_CHINESE}]))")


def unwrap(text: str) -> str:
    """`text` without the hard wraps inside its Chinese runs (shorter: offsets are those of the result)."""
    return _WRAP.sub("", text) if "\n" in text else text


# Invisible characters that text copied from web pages carries inside words (WeChat articles' zero-width spaces, a
# byte-order mark, soft hyphens): 锂\u200b电池 was cut as 锂 / 电池.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def read(text: str) -> str:
    """A text as the analysis reads it: folded, unwrapped, without invisible characters (token_groups' spans are
    offsets in this)."""
    return unwrap(_INVISIBLE.sub("", fold(text)))


_lock = threading.Lock()
_tokenizer = None


def _data_file(env: str, name: str) -> list[Path]:
    """The shipped file, plus an administrator's own file named by the environment variable."""
    files = [DATA / name]
    extra = os.environ.get(env)
    if extra and Path(extra).is_file():
        files.append(Path(extra))
    return files


@lru_cache(maxsize=1)
def stamp() -> str:
    """What an index's words depend on: this module's rules and the dictionary and stopword files (synonyms apply
    at query time). An index built under another stamp cuts text otherwise than its queries do: it is rebuilt
    (marketplace.searching.sync.reindex_if_outdated)."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update((DATA / "t2s.txt").read_bytes())
    for env, name in (("SEARCH_DICT_FILE", "userdict.txt"), ("SEARCH_STOPWORDS_FILE", "stopwords.txt")):
        for path in _data_file(env, name):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def tokenizer():
    """A private jieba.Tokenizer loaded with the domain dictionary (once per process)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import logging

                import jieba
                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for path in _data_file("SEARCH_DICT_FILE", "userdict.txt"):
                    tok.load_userdict(str(path))
                _tokenizer = tok
    return _tokenizer


@lru_cache(maxsize=1)
def stopwords() -> frozenset:
    words = set()
    for path in _data_file("SEARCH_STOPWORDS_FILE", "stopwords.txt"):
        words.update(path.read_text(encoding="utf-8").split())
    return frozenset(words)


@lru_cache(maxsize=1)
def synonym_groups() -> dict[str, tuple[str, ...]]:
    """term → every term of its synonym group(s), itself included; all lower-case."""
    groups: dict[str, set] = {}
    for path in _data_file("SEARCH_SYNONYMS_FILE", "synonyms.txt"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0]
            terms = [t.strip().lower() for t in re.split(r"[\s,，、]+", line) if t.strip()]
            if len(terms) < 2:
                continue
            merged = set(terms)
            for t in terms:
                merged |= groups.get(t, set())
            for t in merged:
                groups[t] = merged
    return {t: tuple(sorted(g, key=lambda x: (x != t, x))) for t, g in groups.items()}


def _cjk_groups(run: str) -> list[list[str]]:
    tok = tokenizer()
    freq = tok.FREQ
    out = []
    for word in tok.cut(run, HMM=False):
        subs = []
        n = len(word)
        if n > 2:
            for size in (2, 3, 4):
                if size >= n:
                    continue
                for i in range(n - size + 1):
                    gram = word[i:i + size]
                    if freq.get(gram) and gram not in subs:
                        subs.append(gram)
        out.append([word] + subs)
    return out


def token_groups(text: str, spans: list | None = None) -> list[list[str]]:
    """[[token, sub-word, ...], ...] in text order, stopwords and punctuation dropped. `spans`, when given,
    receives the (start, end) offsets in `read(text)` (`text` itself when it holds no hard wrap) of every token
    cut, stopwords included, and of each token's sub-words (where words begin and end)."""
    if not text:
        return []
    text = read(text)
    stop = stopwords()
    groups = []
    for m in SPLIT_RE.finditer(text):
        piece = m.group(0)
        if CJK_RE.fullmatch(piece):
            at = m.start()
            for group in _cjk_groups(piece):
                if spans is not None:
                    word = group[0]
                    spans.append((at, at + len(word)))
                    for sub in group[1:]:
                        k = at + word.find(sub)
                        spans.append((k, k + len(sub)))
                    at += len(word)
                if group[0] in stop and len(group) == 1:
                    continue
                groups.append(group)
        else:
            if spans is not None:
                spans.append(m.span())
            term = piece.lower()
            if term not in stop:
                groups.append([term])
    return groups


def segment(text: str) -> str:
    """The pre-segmented form both backends index (see the module docstring)."""
    return " ".join("|".join(g) for g in token_groups(text))


def query_terms(text: str) -> list[str]:
    """The query's tokens (no sub-words: a query word must match a document token or sub-word)."""
    return [g[0] for g in token_groups(text)]


def expand(term: str) -> list[list[str]]:
    """Alternatives for one query token: itself, and each synonym as its own token sequence."""
    alts = [[term]]
    for syn in synonym_groups().get(term, ()):
        if syn != term:
            tokens = query_terms(syn)
            if tokens and tokens not in alts:
                alts.append(tokens)
    return alts


def parse_query(text: str) -> tuple[list[str], list[list[str]]]:
    """(loose terms, phrases): text in "quotes" must appear as a phrase."""
    phrases = []
    for a, b in QUOTE_RE.findall(text or ""):
        tokens = query_terms(a or b)
        if tokens:
            phrases.append(tokens)
    loose = QUOTE_RE.sub(" ", text or "")
    return query_terms(loose), phrases


def highlight_terms(text: str) -> list[str]:
    """Every surface form a result snippet should mark for this query (terms and synonyms)."""
    terms, phrases = parse_query(text)
    out = []
    for term in terms + [t for p in phrases for t in p]:
        for alt in expand(term):
            form = "".join(alt) if all(CJK_RE.fullmatch(t) for t in alt) else " ".join(alt)
            if form not in out:
                out.append(form)
    return sorted(out, key=len, reverse=True)
