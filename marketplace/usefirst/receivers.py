"""How 先用后转 reacts to other domains' signals (imported by create_app, which connects them)."""
from ..contracts.output import linked_field
from ..core.signals import contract_registered
from .models import UseFirstItem


@contract_registered.connect
def close_item_on_licence(contract, **_):
    """A registered licence or assignment (技术转让) puts the achievement to use: it leaves the 先用后转 list."""
    if contract.kind != "技术转让" or contract.achievement_id is None:
        return
    item = UseFirstItem.query.filter_by(achievement_id=contract.achievement_id).first()
    if item is not None and item.status in ("candidate", "listed"):
        from .services import ITEM_FLOW
        ITEM_FLOW.fire(None, item, "close", f"合同{contract.registration_no}已登记", system=True)


def _trial_of(contract):
    """The trial a contract converted: shown on the contract's answer as `trial_id`."""
    from sqlalchemy import select

    from ..extensions import db
    from .models import Trial
    return db.session.scalar(select(Trial.id).where(Trial.contract_id == contract.id))


linked_field("trial_id", _trial_of)
