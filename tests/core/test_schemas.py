"""Input schemas read numbers and dates through server.core.fields only: marshmallow's own
Integer cuts 1.5 to 1, Float and Integer take True and other scripts' digits, Date and
DateTime take any year."""

from __future__ import annotations

from marshmallow import class_registry, fields

from server.core.fields import Coordinate, LocalDateTime, Whole, _AsciiDate

LOOSE = (fields.Integer, fields.Float, fields.Decimal, fields.Date, fields.DateTime,
         fields.Time, fields.TimeDelta, fields.Number)
OURS = (Whole, Coordinate, _AsciiDate, LocalDateTime)


def _input_schemas(app):
    seen = set()
    for name, classes in class_registry._registry.items():
        for cls in classes:
            if cls in seen or not cls.__module__.startswith("server.") or "." in name:
                continue
            seen.add(cls)
            if not cls.__name__.endswith("Out") and cls.__name__ != "ErrorSchema":
                yield cls


def test_no_input_schema_uses_a_loose_number_or_date_field(app):
    offenders, checked = [], 0
    for cls in _input_schemas(app):
        checked += 1
        for name, field in cls().load_fields.items():
            for f in (field, getattr(field, "inner", None)):
                if isinstance(f, LOOSE) and not isinstance(f, OURS):
                    offenders.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert checked > 30
    assert offenders == []


def test_marshmallow_speaks_chinese(app):
    from marshmallow import Schema
    from marshmallow import validate as v

    class Probe(Schema):
        name = fields.String(required=True, validate=v.Length(max=2))
        count = Whole(validate=v.Range(1, 10))

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        found = Probe().validate({"count": 11, "extra": 1})
        texts = {k: [str(m) for m in v] for k, v in found.items()}
    assert texts == {"name": ["此项必填。"], "count": ["请输入 1 到 10 之间的值。"],
                     "extra": ["此处不需要这个字段，请去掉。"]}
