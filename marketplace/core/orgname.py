"""An organisation's name as it is kept and compared. People write one unit's name several ways — brackets typed in
either width (江西铜业股份有限公司(贵溪冶炼厂) / （贵溪冶炼厂）), a space where a line was wrapped or out of habit
(江西铜业 股份有限公司), letters and digits typed in full-width mode — and each spelling made an organisation of its own
on import, and let a self-registration pass the "already registered" check. The written form kept: a Chinese name's
brackets full-width (as names are registered in China), letters and digits half-width, no space beside a Chinese
character, other spaces single. A name without any Chinese character (ABC (China) Co., Ltd.) keeps its brackets."""
import re

from .halfwidth import half_width

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACE_BY_WIDE = re.compile(r"\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+")


def canonical(name: str) -> str:
    text = half_width(str(name).strip(), keep="（）")
    if _HAN.search(text):
        text = text.replace("(", "（").replace(")", "）")
    text = _SPACE_BY_WIDE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()
