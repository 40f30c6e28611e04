"""Schema parts shared by the three libraries: contact fields, ref, price resolution, common output."""
from marshmallow import Schema, fields, validate

from . import money, vocab
from .dates import UtcDateTime
from .schema import Text

CONTACT_LABELS = {"contact_name": "联系人", "contact_phone": "联系电话", "contact_email": "联系邮箱", "ref": "编号"}


class ContactFields:
    contact_name = Text(50, allow_none=True)
    contact_phone = Text(30, allow_none=True, validate=validate.Regexp(
        r"^[0-9+\-() 转/]{5,30}$", error="电话号码只能包含数字、+、-、/（分隔两个号码）、括号和空格"))
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=120, error="不能超过120个字"))
    ref = Text(64, allow_none=True)


def resolve_price(data: dict, field: str, wan_field: str, flag: str) -> dict:
    """Fold the yuan / 万元 / 面议 inputs into (amount, negotiable) model attributes, in place.

    Only touches the attributes when one of the inputs is present (so PATCH keeps the old price).
    """
    present = [k for k in (field, wan_field, flag) if k in data]
    if not present:
        return data
    amount = data.pop(field, None)
    wan = data.pop(wan_field, None)
    data.pop(flag, None)  # a price given wins; no price means 面议
    if amount is None:
        amount = wan
    if amount == "negotiable" or amount is None:
        data[field], data[flag] = None, True
    else:
        data[field], data[flag] = amount, False
    return data


class ListingOut(Schema):
    """Output of a library record. `allow_none` marks what the API may answer as null (the document's
    `nullable`); Function fields carry their OpenAPI type in `metadata`."""
    id = fields.Int()
    ref = fields.Str(allow_none=True)
    source = fields.Str()
    title = fields.Str()
    status = fields.Str()
    status_label = fields.Function(lambda o: vocab.STATUS_LABELS.get(o.status, o.status), metadata={"type": "string"})
    reject_reason = fields.Str(allow_none=True)
    owner_org = fields.Function(lambda o: {"id": o.owner_org.id, "name": o.owner_org.name}, metadata={
        "type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}})
    contact_name = fields.Str(allow_none=True)
    contact_phone = fields.Str(allow_none=True)
    contact_email = fields.Str(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    submitted_at = UtcDateTime(allow_none=True)
    published_at = UtcDateTime(allow_none=True)


STRING = {"type": "string"}
STRINGS = {"type": "array", "items": {"type": "string"}}


def money_out(attr: str, flag: str):
    """Output of an exact amount: a string of yuan with two places (never a float), or None when 面议."""
    return fields.Function(lambda o: None if getattr(o, flag) or getattr(o, attr) is None
                           else f"{getattr(o, attr):.2f}", metadata={"type": "string", "nullable": True,
                                                                      "pattern": r"^-?\d+\.\d{2}$"})


def money_display(attr: str, flag: str):
    return fields.Function(lambda o: money.format_yuan(getattr(o, attr), getattr(o, flag)), metadata=STRING)
