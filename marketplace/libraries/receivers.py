"""Reactions to the libraries' review workflow: the owner is told when a record is approved or rejected."""
from ..core import listings
from ..core.workflow import transitioned
from ..notifications.service import tell_orgs

TOLD = {"approve": "已审核通过并公开发布", "reject": "未通过审核"}


@transitioned.connect
def _tell_owner(entity_type, obj=None, transition=None, actor=None, previous=None, reason=None, **_):
    lib = next((lib for lib in listings.LIBRARIES.values() if lib.entity_type == entity_type), None)
    if lib is None or transition.name not in TOLD or actor is None:
        return
    body = f"您单位的{lib.label}“{obj.title}”{TOLD[transition.name]}。"
    if transition.name == "reject":
        body += f"驳回理由：{reason}。修改后可重新提交。"
    tell_orgs([obj.owner_org_id], "review", f"{lib.label}审核结果：{obj.title[:40]}", body,
              f"/{lib.key}/{obj.id}", role=None)
