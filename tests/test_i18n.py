"""Chinese first: every string the interface can show has a zh_CN translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "server" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
METHODS = [("server/**.py", "python"), ("web/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def extracted_ids() -> set[str]:
    ids = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_string_in_code_and_templates_is_translated_to_chinese():
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh)
    translated = {}
    for m in catalogue:
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        translated[key] = all(strings) and not m.fuzzy
    ids = extracted_ids()
    assert len(ids) > 200
    missing = sorted(i for i in ids if not translated.get(i))
    assert missing == []


def test_numbers_written_in_a_message_keep_their_value_in_chinese():
    """A number the English writes in digits is in its Chinese text too: "from 0 to
    100,000" was translated "1 到 100,000" (a copied line), and told people a 0 they could
    type was not allowed. Ordinals in words ("2nd floor": 二楼) are the one exception."""
    import re
    with CATALOGUE.open("rb") as fh:
        catalogue = read_po(fh)
    wrong = []
    for m in catalogue:
        if not m.id or not m.string:
            continue
        english = m.id[0] if isinstance(m.id, tuple) else m.id
        chinese = m.string[0] if isinstance(m.string, tuple) else m.string
        english = re.sub(r"\d+(?:st|nd|rd|th)\b", "", english)  # ordinals: in words
        said = [re.findall(r"\d+(?:[,.]\d+)*", text) for text in (english, chinese)]
        if any(said[1].count(n) < said[0].count(n) for n in said[0]):
            wrong.append((english, chinese))
    assert wrong == []


def test_pages_speak_chinese_by_default_and_english_on_request(client):
    zh = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "活动" in zh and 'lang="zh-CN"' in zh
    en = client.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert "Activities" in en and 'lang="en"' in en
    client.get("/lang/en")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_api_errors_are_translated(client):
    zh = client.get("/api/v1/activities/999999", headers={"Accept-Language": "zh-CN"})
    en = client.get("/api/v1/activities/999999", headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code == 404
    assert zh.get_json()["code"] == en.get_json()["code"] == "activity_not_found"
    assert zh.get_json()["message"] != en.get_json()["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.get_json()["message"])


def test_a_decision_reads_as_a_decision_and_a_total_as_a_total(app):
    """"Approved" on an hours entry is its state (已通过), not the certificate page's row
    of approved hours (已审核时长), which has its own words."""
    from flask_babel import force_locale

    from server.hours.schemas import STATUS
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        from flask_babel import gettext
        assert str(STATUS["approved"]) == "已通过"
        assert gettext("Approved hours") == "已审核时长"


def test_english_names_chinese_only_as_a_gloss():
    """The English text a person reads names the English screens: "under Me → My pledges",
    "Choose Ms or Mr", not 我的 or 先生/女士 they cannot see there. Chinese stays only as a
    gloss in brackets after the English ("retroactive hours (补录)"), as what a name looks
    like ("(e.g. 王女士)"), or as the name of a real programme given as an example."""
    import re
    cjk = re.compile(r"[\u3400-\u9fff]")
    names = ("全职妈妈成长计划",)
    leftover = []
    for english in extracted_ids():
        text = re.sub(r"%\([a-z_]+\)[sd]", "%s", english)  # placeholders hold brackets too
        # a gloss: Chinese alone in brackets, what a masked name looks like, or the
        # Chinese column names a sheet must have ("(姓名, 手机号, 社区)")
        text = re.sub(r"\((?:e\.g\. )?[\u3400-\u9fff·*]+(?:, [\u3400-\u9fff]+)*\)", "", text)
        for name in names:
            text = text.replace(name, "")
        if cjk.search(text):
            leftover.append(english)
    assert sorted(leftover) == []
