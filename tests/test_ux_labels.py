"""One label table (core.labels): every history table of the demo reads in Chinese, with people's names.

The page check itself (`test_every_history_table_of_the_demo_reads_in_chinese`) runs in tests/test_demo.py, on
the demo loaded once for that module: a sample of the records that have an audit trail gets its detail page
rendered for the demo users (the province administrator first, then the members of the parties), and the
visible text of the page must contain no ASCII code word (create, submit, registered, candidate …) and no login
name. This module holds the table's own checks and the helpers."""
import re

import pytest

from marketplace.core import labels

# entity type of the audit log → the detail page that shows its history table
PAGES = {
    "achievement": "/achievements/{}", "demand": "/demands/{}", "service": "/services/{}",
    "contract": "/contracts/{}", "introduction": "/brokers/introductions/{}", "usefirst": "/usefirst/{}",
    "usefirst-trial": "/usefirst/trials/{}", "commission-agreement": "/commissions/agreements/{}",
    "broker-profile": "/brokers/{}", "stats-target": "/stats/targets/{}", "reward-list": "/rewards/lists/{}",
    # the audit log's own spelling of these kinds (the two above never matched it)
    "broker_profile": "/brokers/{}", "commission_agreement": "/commissions/agreements/{}",
    "reward_list": "/rewards/lists/{}", "challenge": "/challenges/{}",
    "challenge-application": "/challenges/applications/{}", "event": "/events/{}", "booking": "/bookings/{}",
}
LIBRARY_KINDS = {"achievement", "demand", "service"}
CODE_WORDS = sorted({c for c in list(labels.ACTIONS) + list(labels.STATES) if re.fullmatch(r"[a-z][a-z_-]+", c)},
                    key=len, reverse=True)
CODE_RE = re.compile(r"(?<![A-Za-z0-9@._/-])(" + "|".join(map(re.escape, CODE_WORDS)) + r")(?![A-Za-z0-9@_/-])")
USERS = ["admin@demo.jx", "ncu@demo.jx", "jxust@demo.jx", "company@demo.jx", "broker@demo.jx",
         "yingtan-admin@demo.jx", "jxust-admin@demo.jx", "expert@demo.jx",
         "instrument@demo.jx"]


def visible_text(html: str) -> str:
    main = re.search(r"<main\b.*?</main>", html, re.S).group(0)
    main = re.sub(r"<(script|style|template)\b.*?</\1>", " ", main, flags=re.S)
    main = re.sub(r"<!--.*?-->", " ", main, flags=re.S)
    main = re.sub(r"<[^>]+>", " ", main)
    return re.sub(r"\s+", " ", main)


def history_text(html: str) -> str:
    """The history tables' part of a page: every table whose header has 操作 (the trail tables)."""
    parts = re.findall(r"<table\b.*?</table>", html, re.S)
    return " ".join(visible_text(f"<main>{t}</main>") for t in parts if "操作" in t)


def test_label_table_answers_chinese_for_every_code():
    for code in CODE_WORDS:
        assert not labels.label(code).isascii(), code
    assert labels.action("next-step:report") == "选择下一步"
    assert labels.state("no-such-state") == "—" and labels.kind("no-such-kind") == "其他"
    assert labels.field("page") == "页码" and labels.field("zzz") is None and labels.field("理由") == "理由"


@pytest.mark.parametrize("word", ["create", "submit", "register", "payment", "claim", "introduced",
                                  "registered", "candidate", "claimed", "active"])
def test_code_words_of_the_issue_are_checked(word):
    assert CODE_RE.search(f"操作 {word} 状态") and not CODE_RE.search(f"{word}x")
