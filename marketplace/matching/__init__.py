"""Matching demands ↔ achievements (精准匹配): candidates from the search engine, re-ranked on structured fields,
explained in plain Chinese, with abstention when nothing fits."""
