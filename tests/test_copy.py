"""Chinese copy rules, for the catalogue and for the Chinese written outside it (templates,
JS, Python): full-width punctuation in Chinese text, 您 (never 你), one name per thing."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "server" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"

HAN = r"[\u3400-\u4dbf\u4e00-\u9fff]"
# a half-width : , ; ? ! ( ) next to a Chinese character (spaces between count as next to).
# Times (10:30), placeholders (%(name)s: its "(" follows "%", its ")" comes before "s"),
# ranges like 1-2 and URLs never touch a Chinese character, so they pass.
HALF_WIDTH = re.compile(rf"{HAN}[ \t]*[:,;?!()]|[:,;?!(][ \t]*{HAN}|\)[ \t]*{HAN}")
# retired word -> the one name the catalogue uses
RETIRED = {
    "你": "您",
    "捐赠意向": "认捐",
    "参考码": "认捐编号",
    "组织方": "组织者 (a person) or 组织单位 (the organising body)",
    "义工": "志愿者",
    "工时": "时长",
    "证书": "证明",
}


def problems(text: str) -> list[str]:
    found = [f"half-width {m.group(0)!r}" for m in HALF_WIDTH.finditer(text)]
    found += [f"{word} (say {instead})" for word, instead in RETIRED.items() if word in text]
    return found


def test_the_rules_catch_what_they_should():
    assert problems("技能: 助老") and problems("报名(3人)") and problems("确定吗?")
    assert problems("你的时长") and problems("请出示参考码")
    assert not problems("技能：助老，时间 10:30–11:30，%(name)s：%(count)s 人（已满）")
    assert not problems("我9:00就到了，见 https://example.org/a?b=1，共 %(n)s 项")


def catalogue():
    with PO.open("rb") as f:
        return read_po(f)


def test_catalogue_copy():
    bad = []
    for message in catalogue():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            for problem in problems(text or ""):
                bad.append(f"{message.id!r}: {problem} in {text!r}")
    assert not bad, "Chinese copy:\n" + "\n".join(bad)


# --- Chinese written outside the catalogue ----------------------------------------------
GETTEXT_ARG = re.compile(
    r"""\b(?:_|_l|gettext|ngettext|lazy_gettext)\(\s*(['"])(?:\\.|(?!\1).)*\1""", re.S)


def template_text(source: str) -> str:
    """A template without its comments and its msgids (English, with Chinese glosses)."""
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    return GETTEXT_ARG.sub("", source)


def js_text(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r"(^|\s)//[^\n]*", r"\1", source)


def python_strings(source: str) -> list[str]:
    """The string literals of a module that are not docstrings or msgids."""
    out, previous = [], []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            before = previous[-2:]
            is_msgid = any(t.string in ("_", "_l", "gettext", "ngettext", "lazy_gettext")
                           for t in before)
            is_doc = not before or before[-1].type in (tokenize.INDENT, tokenize.NEWLINE,
                                                       tokenize.DEDENT, tokenize.NL)
            if not is_msgid and not is_doc:
                out.append(token.string)
        if token.type not in (tokenize.COMMENT, tokenize.NL):
            previous.append(token)
    return out


ENGLISH = re.compile(r"[A-Za-z]{3,}")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}|\$\{[^}]*\}")


def chinese_problems(text: str) -> list[str]:
    """The problems of each line that is Chinese text: English with a Chinese gloss, such
    as "Certificates (志愿服务记录证明)", keeps its English punctuation."""
    out = []
    for line in text.splitlines():
        if re.search(HAN, line) and not ENGLISH.search(PLACEHOLDER.sub("", line)):
            out += problems(line)
    return out


def test_chinese_lines_are_told_from_glossed_english():
    assert chinese_problems("时长(分钟)") and chinese_problems("技能: %(skills)s")
    assert not chinese_problems("Certificates (志愿服务记录证明): request, issue, verify.")
    assert template_text("{# 技能: 助老 #}{{ _('File (补录)') }}") == "{{ ) }}"


def test_chinese_outside_the_catalogue():
    bad = []
    for path in sorted((ROOT / "web" / "templates").rglob("*.html")):
        text = template_text(path.read_text(encoding="utf-8"))
        text = re.sub(r"<[^>]*>|\{\{.*?\}\}|\{%.*?%\}", "\n", text, flags=re.S)
        for problem in chinese_problems(text):
            bad.append(f"{path.relative_to(ROOT)}: {problem}")
    for path in sorted((ROOT / "web" / "src").glob("*.js")):
        for literal in re.findall(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'",
                                  js_text(path.read_text(encoding="utf-8"))):
            for problem in chinese_problems(literal):
                bad.append(f"{path.relative_to(ROOT)}: {problem}")
    for path in sorted((ROOT / "server").rglob("*.py")):
        for literal in python_strings(path.read_text(encoding="utf-8")):
            for problem in chinese_problems(literal):
                bad.append(f"{path.relative_to(ROOT)}: {problem} in {literal[:60]}")
    assert not bad, "Chinese copy outside the catalogue:\n" + "\n".join(bad)


# "{{ _('Skills') }}: {{ ... }}" renders 技能: 助老: the punctuation belongs inside the msgid
# ("Skills: %(skills)s" -> "技能：%(skills)s"), where the translation can make it full-width
GLUED = re.compile(r"""_\((['"])[^'"]*\1\)\s*\}\}\s*[:;?!,]|\}\}\s*\(\{\{""")


def test_templates_keep_punctuation_inside_the_msgid():
    assert GLUED.search("{{ _('Skills') }}: {{ x }}") and GLUED.search("{{ a }} ({{ b }})")
    bad = [f"{path.relative_to(ROOT)}: {m.group(0)}"
           for path in sorted((ROOT / "web" / "templates").rglob("*.html"))
           for m in GLUED.finditer(path.read_text(encoding="utf-8"))]
    assert not bad, "punctuation glued to a translation outside it:\n" + "\n".join(bad)
