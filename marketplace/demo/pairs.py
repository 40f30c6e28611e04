"""Which demand meets which achievement in the demo's brokered deals: pairs a broker would make.

Each pair was graded 2–3 ("would introduce") by the helpers who judged the demo's demands against its
achievements without seeing the engine (benchmarks/matching_demo/*/qrels.jsonl). Until 2026-12-01 the deals
took the first free demand and the first achievement by id, so the demo registered contracts between a
copper-rod mill's wire breaks and a TOPCon solar cell, or a pharmaceutical crystal form and a tungsten
separation study: the contracts read as nonsense, and the matcher learnt from them (learning.py) that 原料药
goes with 分离, showing "与已签约的类似需求相符" on unrelated records of every such demand.
"""
from ..achievements.models import Achievement
from ..brokers.models import Introduction
from ..demands.models import Demand
from ..extensions import db

# deal → (demand ref, achievement ref), the grade the judges gave in brackets
PAIRS = {
    "brokered": ("JX-DEM-0066", "JX-ACH-0175"),  # 低氧铜杆含氧量波动 ↔ 连铸连轧低氧光亮铜杆 (2), 江西理工 → 华鑫铜业
    "received": ("JX-DEM-0076", "JX-ACH-0069"),  # 废杂铜除铅除锡 ↔ 废杂铜火法精炼制低氧铜杆 (3), 南昌大学 → 华鑫铜业
    "tiered": ("JX-DEM-0017", "JX-ACH-0005"),    # 黑白钨细泥回收率 ↔ 细粒黑钨矿螯合捕收剂 (3), 江西理工
    "equity": ("JX-DEM-0075", "JX-ACH-0185"),    # 驱动电机低重稀土磁钢 ↔ 低重稀土永磁驱动电机 (3), 江西理工
}


def pair(deal: str):
    """(demand, achievement) of a deal when both are published and the demand is not yet claimed by a broker,
    else (None, None) (a demo database edited by hand): the caller then picks as before."""
    demand_ref, achievement_ref = PAIRS[deal]
    claimed = db.select(Introduction.demand_id).where(Introduction.demand_id.isnot(None))
    demand = db.session.scalars(db.select(Demand).where(
        Demand.ref == demand_ref, Demand.status == "published", Demand.id.not_in(claimed))).first()
    achievement = db.session.scalars(db.select(Achievement).where(
        Achievement.ref == achievement_ref, Achievement.status == "published")).first()
    return (demand, achievement) if demand is not None and achievement is not None else (None, None)
