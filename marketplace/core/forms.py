"""Form field descriptions for the generic create/edit page; validation stays in the input schemas."""
from dataclasses import dataclass


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text | textarea | select | checkboxes | date | email
    choices: tuple = ()
    required: bool = False
    help: str = ""
    placeholder: str = ""


def form_to_dict(form, fields: list[FormField]) -> dict:
    """request.form → the dict an input schema loads (checkbox groups become lists)."""
    data = {}
    for f in fields:
        if f.kind == "checkboxes":
            data[f.name] = form.getlist(f.name)
        elif f.name in form:
            data[f.name] = form.get(f.name)
    return data
