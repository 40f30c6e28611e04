"""Statistics: registered technology contracts as one fact table (registered on the site or imported from the
old registration system) and the versioned targets they are measured against.

Money here is integer fen (BigInteger), not Numeric: the statistics sum hundreds of thousands of amounts in
SQL, and SQLite keeps NUMERIC as a binary float, so only integer sums are exact to the fen on both databases.
The `amount`, `tech_amount` and `received` properties give Decimal yuan."""

from decimal import Decimal

from ..core.models import TimestampMixin
from ..extensions import db

KINDS = ["技术开发", "技术转让", "技术许可", "技术咨询", "技术服务"]
SELLER_TYPES = ["高校", "科研院所", "企业", "其他"]
# 技术领域 of the national registration statistics (国家技术合同登记统计).
FIELDS = [
    "电子信息",
    "先进制造",
    "新材料及其应用",
    "新能源与高效节能",
    "环境保护与资源综合利用",
    "生物、医药和医疗器械",
    "现代交通",
    "城市建设与社会发展",
    "农业",
    "航空航天",
    "核应用",
    "其他",
]
SOURCES = {"site": "本站登记", "historical": "历史登记数据"}
INDICATOR = "技术合同成交额"
# Count targets (their value is a number of items, not yuan), measured from the site's data: contracts signed
# that came of roadshows and matchmaking events (000: 路演、展览展示、产融对接… 签约超260项; 001: 促成成果落地转化30项).
EVENT_CONTRACTS = "活动促成签约项数"
COUNT_INDICATORS = {EVENT_CONTRACTS: "项"}
PROVINCE = "province"
FEN = 100


def to_yuan(fen) -> Decimal:
    return (Decimal(int(fen or 0)) / FEN).quantize(Decimal("0.01"))


class ContractFact(db.Model):
    """One registered technology contract (技术合同登记), counted in the year of its registration date.

    `city` is the Jiangxi city where it is registered, i.e. its seller's city (NULL when the seller is outside
    Jiangxi: such a row is a purchase by a Jiangxi buyer, counted only in the 吸纳 view). `buyer_region` is a
    Jiangxi city (南昌 …) or another province (广东 …)."""

    __tablename__ = "contract_facts"
    id = db.Column(db.Integer, primary_key=True)
    registration_no = db.Column(db.String(40), nullable=False, unique=True)
    title = db.Column(db.String(200), nullable=False)
    kind = db.Column(db.String(8), nullable=False)
    seller = db.Column(db.String(120), nullable=False)
    seller_type = db.Column(db.String(8), nullable=False)
    seller_region = db.Column(db.String(16), nullable=False)
    seller_org_id = db.Column(db.Integer, db.ForeignKey("organisations.id"))
    buyer = db.Column(db.String(120), nullable=False)
    buyer_region = db.Column(db.String(16), nullable=False)
    buyer_scale = db.Column(db.String(8))  # 大型/中型/小型/微型 (vocab.COMPANY_SCALES); NULL: not known
    city = db.Column(db.String(16))
    amount_fen = db.Column(db.BigInteger, nullable=False)
    tech_amount_fen = db.Column(db.BigInteger, nullable=False)
    received_fen = db.Column(db.BigInteger, nullable=False, default=0)
    signed_on = db.Column(db.Date, nullable=False)
    registered_on = db.Column(db.Date, nullable=False)
    year = db.Column(db.SmallInteger, nullable=False)  # of registered_on: grouping needs no date functions
    month = db.Column(db.SmallInteger, nullable=False)
    field = db.Column(db.String(32), nullable=False)
    industry = db.Column(db.String(32), nullable=False)
    source = db.Column(db.String(12), nullable=False)  # SOURCES
    contract_id = db.Column(db.Integer, db.ForeignKey("contracts.id", ondelete="SET NULL"), unique=True)
    batch = db.Column(db.String(64))  # the import that wrote a historical row last
    __table_args__ = (
        # Every statistic reads one year's slice of these columns only: a covering index, so neither database
        # touches the wide rows (titles, names) to aggregate.
        db.Index(
            "ix_contract_facts_cover",
            "year",
            "city",
            "kind",
            "month",
            "industry",
            "field",
            "seller_type",
            "buyer_region",
            "amount_fen",
            "tech_amount_fen",
            "received_fen",
        ),
        db.Index(
            "ix_contract_facts_buyer",
            "year",
            "buyer_region",
            "city",
            "amount_fen",
            "tech_amount_fen",
            "received_fen",
        ),
        db.Index(
            "ix_contract_facts_seller_org",
            "seller_org_id",
            "year",
            "city",
            "kind",
            "month",
            "industry",
            "field",
            "seller_type",
            "buyer_region",
            "amount_fen",
            "tech_amount_fen",
            "received_fen",
        ),
    )

    @property
    def amount(self) -> Decimal:
        return to_yuan(self.amount_fen)

    @property
    def tech_amount(self) -> Decimal:
        return to_yuan(self.tech_amount_fen)

    @property
    def received(self) -> Decimal:
        return to_yuan(self.received_fen)


class StatTarget(TimestampMixin, db.Model):
    """A target (e.g. 技术合同成交额 ≥ 1,000亿元 in 2025) as a document states it. Documents disagree, so
    several targets for one year, scope and indicator may coexist; the one marked current is measured against.

    scope: "province", a city ("鹰潭"), or a county-level city under its city ("赣州/瑞金"; administered by the
    city's centre; contracts carry no county, so county targets are shown but have no completion figure)."""

    __tablename__ = "stat_targets"
    id = db.Column(db.Integer, primary_key=True)
    year = db.Column(db.SmallInteger, nullable=False)
    scope = db.Column(db.String(32), nullable=False)
    indicator = db.Column(db.String(32), nullable=False, default=INDICATOR)
    value = db.Column(db.Numeric(14, 2), nullable=False)  # yuan
    source = db.Column(db.String(300), nullable=False)
    is_current = db.Column(db.Boolean, nullable=False, default=True)
    note = db.Column(db.Text)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    __table_args__ = (db.Index("ix_stat_targets_year_scope", "year", "scope", "indicator"),)


class StatsVersion(db.Model):
    """One row: a counter bumped in the same transaction as any write to contract_facts (see cache.py), so
    computed figures can be reused until the facts change."""

    __tablename__ = "stats_versions"
    id = db.Column(db.Integer, primary_key=True)
    version = db.Column(db.BigInteger, nullable=False, default=0)


class ContractCell(db.Model):
    """contract_facts pre-aggregated at month × seller's city × kind × industry × field × seller type (about
    24,000 cells for a year of 160,000 contracts), kept current in the transaction of every write to the facts
    (cells.py), so the simple breakdowns read cells instead of facts. `city` is '' where the fact's is NULL
    (a seller outside Jiangxi): a NULL could not take part in the primary key's uniqueness."""

    __tablename__ = "contract_cells"
    year = db.Column(db.SmallInteger, primary_key=True)
    city = db.Column(db.String(16), primary_key=True)
    month = db.Column(db.SmallInteger, primary_key=True)
    kind = db.Column(db.String(8), primary_key=True)
    industry = db.Column(db.String(32), primary_key=True)
    field = db.Column(db.String(32), primary_key=True)
    seller_type = db.Column(db.String(8), primary_key=True)
    count = db.Column(db.BigInteger, nullable=False, default=0)
    amount_fen = db.Column(db.BigInteger, nullable=False, default=0)
    tech_amount_fen = db.Column(db.BigInteger, nullable=False, default=0)
    received_fen = db.Column(db.BigInteger, nullable=False, default=0)
    # SQLite: clustered on the key, so a year's cells are one range of the table.
    __table_args__ = ({"sqlite_with_rowid": False},)
