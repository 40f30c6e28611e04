"""Controlled vocabularies shared by forms, the API, imports and (later) search facets."""
import re

CITIES = ["南昌", "九江", "景德镇", "萍乡", "新余", "鹰潭", "赣州", "宜春", "上饶", "吉安", "抚州"]

INDUSTRIES = [
    "有色金属", "电子信息", "装备制造", "石化化工", "钢铁", "建材", "纺织服装", "食品", "现代家具",
    "航空", "汽车", "新能源", "新材料", "生物医药", "中医药", "虚拟现实", "数字经济", "节能环保",
    "现代农业", "陶瓷", "其他",
]

CATEGORIES = ["应用技术", "基础研究", "软科学"]
FUNDING_SOURCES = ["财政资金", "非财政资金"]
MATURITIES = ["实验室", "小试", "中试", "工业化"]
TRANSFER_MODES = ["转让", "许可", "作价入股", "合作开发"]
IP_TYPES = ["发明专利", "实用新型", "外观设计", "软件著作权", "植物新品种", "集成电路布图设计", "技术秘密"]
COOPERATION_MODES = ["技术转让", "技术许可", "合作开发", "委托开发", "技术咨询", "技术服务", "其他"]
SERVICE_KINDS = ["技术转移机构", "中试平台", "概念验证中心", "共享仪器", "检验检测", "知识产权服务", "科技金融"]

ORG_KINDS = {
    "institution": "高校院所",
    "company": "企业",
    "agency": "服务机构",
    "admin_centre": "管理中心",
}
INSTITUTION_SUBTYPES = ["高校", "科研院所"]
# 企业规模 (划型标准, 工信部联企业〔2011〕300号): 中小企业 = 中型 + 小型 + 微型.
COMPANY_SCALES = ["大型", "中型", "小型", "微型"]
SME_SCALES = frozenset({"中型", "小型", "微型"})
ADMIN_LEVELS = {"province": "省级中心", "city": "设区市中心", "institution": "高校院所中心"}
ROLES = {
    "institution": "高校院所工作人员",
    "company": "企业用户",
    "broker": "技术经纪人",
    "admin": "管理员",
}
# Which organisation kind a role belongs to.
ROLE_ORG_KIND = {"institution": "institution", "company": "company", "broker": "agency", "admin": "admin_centre"}

STATUS_LABELS = {
    "draft": "草稿",
    "submitted": "待审核",
    "published": "已发布",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
    "expired": "已过期",
}

# Common aliases met in spreadsheets, mapped onto the vocabulary above.
ALIASES = {
    "maturity": {"实验室阶段": "实验室", "小试阶段": "小试", "中试阶段": "中试", "产业化": "工业化",
                 "工业化生产": "工业化", "批量生产": "工业化", "lab": "实验室", "pilot": "中试",
                 "工业化应用": "工业化", "产业化应用": "工业化", "规模化生产": "工业化", "实验室研究": "实验室",
                 "研发阶段": "实验室", "小试完成": "小试", "中试完成": "中试",
                 # as offices word the stage: a test passed, pilot production, in use (已应用: 已 is taken away)
                 "小试成功": "小试", "中试成功": "中试", "中试验证": "中试", "试生产": "中试", "小批量生产": "中试",
                 "小批量试产": "中试", "工程化": "中试", "工程化阶段": "中试", "成熟": "工业化", "应用": "工业化",
                 "推广应用": "工业化", "量产": "工业化", "大批量生产": "工业化", "规模化应用": "工业化",
                 "概念验证": "实验室", "原理样机": "实验室", "实验室样品": "实验室"},
    # The 21 industries: names of the national classification and common spellings in institutions' lists.
    "industry": {"有色": "有色金属", "有色金属冶炼": "有色金属", "铜": "有色金属", "稀土": "有色金属",
                 "新一代信息技术": "电子信息", "电子": "电子信息", "信息技术": "电子信息", "电子信息技术": "电子信息",
                 "集成电路": "电子信息", "半导体": "电子信息", "通信": "电子信息",
                 "高端装备": "装备制造", "高端装备制造": "装备制造", "智能制造": "装备制造", "机械": "装备制造",
                 "机械制造": "装备制造", "石化": "石化化工", "化工": "石化化工", "石油化工": "石化化工",
                 "化学工业": "石化化工", "冶金": "钢铁", "钢铁冶金": "钢铁", "建筑材料": "建材",
                 "纺织": "纺织服装", "服装": "纺织服装", "纺织业": "纺织服装", "食品加工": "食品", "绿色食品": "食品",
                 "食品工业": "食品", "农产品加工": "食品", "家具": "现代家具", "家居": "现代家具",
                 "航空航天": "航空", "航空制造": "航空", "汽车及零部件": "汽车", "新能源汽车": "汽车",
                 "汽车制造": "汽车", "光伏": "新能源", "锂电": "新能源", "锂电池": "新能源", "新能源产业": "新能源",
                 "先进材料": "新材料", "新型材料": "新材料", "材料": "新材料", "医药": "生物医药",
                 "生物技术": "生物医药", "生物医药产业": "生物医药", "医疗器械": "生物医药", "中药": "中医药",
                 "中药材": "中医药", "VR": "虚拟现实", "虚拟现实(VR)": "虚拟现实", "数字": "数字经济",
                 "软件": "数字经济", "软件和信息服务": "数字经济", "人工智能": "数字经济", "大数据": "数字经济",
                 "环保": "节能环保", "节能": "节能环保", "环境保护": "节能环保", "农业": "现代农业",
                 "农林牧渔": "现代农业", "种植业": "现代农业", "陶瓷产业": "陶瓷", "陶瓷材料": "陶瓷",
                 "其它": "其他",
                 # Jiangxi's named chains and the strategic emerging industries' names, as sheets write them
                 "钨": "有色金属", "钨业": "有色金属", "铜业": "有色金属", "稀土永磁": "有色金属", "锂": "新能源",
                 "锂电新能源": "新能源", "锂电池新能源": "新能源", "储能": "新能源", "LED": "电子信息",
                 "LED照明": "电子信息", "光电": "电子信息", "光电信息": "电子信息", "半导体照明": "电子信息",
                 "物联网": "电子信息", "移动物联网": "电子信息", "电子元器件": "电子信息", "装备": "装备制造",
                 "先进装备制造": "装备制造", "汽车零部件": "汽车", "生物产业": "生物医药", "生物": "生物医药",
                 "数字创意": "数字经济", "数字经济产业": "数字经济", "元宇宙": "虚拟现实", "现代农业产业": "现代农业",
                 "林业": "现代农业", "畜牧业": "现代农业", "渔业": "现代农业", "畜牧": "现代农业", "水产": "现代农业",
                 "水产养殖": "现代农业", "先进制造": "装备制造", "先进制造业": "装备制造", "制造业": "装备制造"},
    "funding_source": {"财政": "财政资金", "财政性资金": "财政资金", "非财政": "非财政资金", "自筹": "非财政资金",
                       "企业资金": "非财政资金", "fiscal": "财政资金", "non-fiscal": "非财政资金"},
    "ip_type": {"发明": "发明专利", "实用新型专利": "实用新型", "外观设计专利": "外观设计", "软著": "软件著作权",
                "计算机软件著作权": "软件著作权", "专有技术": "技术秘密",
                # an application is of its kind (the record's IP is the invention, pending); PCT: an invention's
                "发明专利申请": "发明专利", "发明申请": "发明专利", "PCT": "发明专利", "PCT专利": "发明专利",
                "PCT国际专利": "发明专利", "实用新型申请": "实用新型", "技术诀窍": "技术秘密", "软件著作": "软件著作权"},
    "category": {"应用": "应用技术", "应用研究": "应用技术", "基础": "基础研究", "软科学研究": "软科学"},
    "transfer_modes": {"技术转让": "转让", "许可使用": "许可", "技术许可": "许可", "入股": "作价入股",
                       "作价投资": "作价入股", "合作": "合作开发", "普通许可": "许可", "独占许可": "许可",
                       "排他许可": "许可", "独家许可": "许可", "技术入股": "作价入股", "作价出资": "作价入股",
                       "委托开发": "合作开发", "联合开发": "合作开发", "合作研发": "合作开发", "产学研合作": "合作开发"},
    "cooperation": {"转让": "技术转让", "许可": "技术许可", "委托": "委托开发", "咨询": "技术咨询", "服务": "技术服务",
                    "联合开发": "合作开发", "合作": "合作开发", "不限": "其他", "均可": "其他", "面议": "其他",
                    "其它": "其他", "委托研发": "委托开发", "合作研发": "合作开发", "联合研发": "合作开发",
                    "产学研合作": "合作开发",
                    # as companies word what they want (one mode; two, as 技术转让或许可, stay a question to ask)
                    "技术攻关": "合作开发", "联合攻关": "合作开发", "产学研": "合作开发", "技术合作": "合作开发",
                    "共建研发平台": "合作开发", "购买技术": "技术转让", "技术引进": "技术转让", "技术购买": "技术转让",
                    "专利转让": "技术转让", "专利许可": "技术许可", "技术指导": "技术服务", "技术培训": "技术服务"},
    # a service resource's kind as platforms and offices list them
    "service_kind": {"大型仪器共享": "共享仪器", "仪器设备共享": "共享仪器", "大型科学仪器": "共享仪器", "大型科研仪器": "共享仪器",
                     "仪器共享": "共享仪器", "科学仪器共享": "共享仪器", "大型仪器": "共享仪器", "大型仪器设备": "共享仪器",
                     "检测认证": "检验检测", "第三方检测": "检验检测", "检验检测机构": "检验检测", "检测": "检验检测",
                     "检测服务": "检验检测", "分析测试": "检验检测", "检验检测认证": "检验检测", "检测机构": "检验检测",
                     "专利代理": "知识产权服务", "知识产权代理": "知识产权服务", "知识产权": "知识产权服务",
                     "专利服务": "知识产权服务", "商标代理": "知识产权服务", "知识产权运营": "知识产权服务",
                     "投融资": "科技金融", "科技担保": "科技金融", "科技金融服务": "科技金融", "风险投资": "科技金融",
                     "创业投资": "科技金融", "科技保险": "科技金融", "知识产权质押融资": "科技金融", "金融服务": "科技金融",
                     "中试基地": "中试平台", "中试熟化": "中试平台", "中试熟化平台": "中试平台", "中试": "中试平台",
                     "中试服务": "中试平台", "中试熟化基地": "中试平台", "概念验证": "概念验证中心",
                     "概念验证平台": "概念验证中心", "技术经纪": "技术转移机构", "技术转移中心": "技术转移机构",
                     "技术转移": "技术转移机构", "技术交易": "技术转移机构", "技术交易机构": "技术转移机构",
                     "技术转移服务": "技术转移机构", "技术转移服务机构": "技术转移机构"},
    "city": {c + "市": c for c in CITIES},
    "scale": {**{s + "企业": s for s in COMPANY_SCALES}, "大": "大型", "中": "中型", "小": "小型", "微": "微型",
              "large": "大型", "medium": "中型", "small": "小型", "micro": "微型"},
}


# Jiangxi's county-level divisions (区、县、县级市; 2021) → their 设区市: a sheet writes 南康区 or 共青城市 where the
# column asks for the city.
COUNTIES = {county: city for city, names in {
    "南昌": "东湖区 西湖区 青云谱区 青山湖区 新建区 红谷滩区 南昌县 安义县 进贤县",
    "九江": "濂溪区 浔阳区 柴桑区 武宁县 修水县 永修县 德安县 都昌县 湖口县 彭泽县 瑞昌市 共青城市 庐山市",
    "景德镇": "昌江区 珠山区 浮梁县 乐平市",
    "萍乡": "安源区 湘东区 莲花县 上栗县 芦溪县",
    "新余": "渝水区 分宜县",
    "鹰潭": "月湖区 余江区 贵溪市",
    "赣州": "章贡区 南康区 赣县区 信丰县 大余县 上犹县 崇义县 安远县 定南县 全南县 宁都县 于都县 兴国县 会昌县 寻乌县 "
            "石城县 瑞金市 龙南市",
    "宜春": "袁州区 奉新县 万载县 上高县 宜丰县 靖安县 铜鼓县 丰城市 樟树市 高安市",
    "上饶": "信州区 广丰区 广信区 玉山县 铅山县 横峰县 弋阳县 余干县 鄱阳县 万年县 婺源县 德兴市",
    "吉安": "吉州区 青原区 吉安县 吉水县 峡江县 新干县 永丰县 泰和县 遂川县 万安县 安福县 永新县 井冈山市",
    "抚州": "临川区 东乡区 南城县 黎川县 南丰县 崇仁县 乐安县 宜黄县 金溪县 资溪县 广昌县",
}.items() for county in names.split()}
_COUNTY_NAMES = {name[:-1] if len(name) > 2 else name: city for name, city in COUNTIES.items()}  # 南康, 共青城


def city_of(place: str) -> str | None:
    """The 设区市 a place names: 南昌, 南昌市, 江西省南昌市, 南昌市红谷滩区, 南昌高新区 (a city and what lies in it), 南康区,
    南康, 共青城市 (a county-level division's city); None otherwise."""
    text = re.sub(r"\s", "", place)
    text = text[3:] if text.startswith("江西省") else text[2:] if text.startswith("江西") else text
    for city in CITIES:
        if text.startswith(city):
            return city
    return COUNTIES.get(text) or _COUNTY_NAMES.get(text) or \
        next((c for name, c in COUNTIES.items() if text.startswith(name)), None)


# The values of each kind ALIASES maps onto.
VALUES = {"maturity": MATURITIES, "industry": INDUSTRIES, "funding_source": FUNDING_SOURCES, "ip_type": IP_TYPES,
          "category": CATEGORIES, "transfer_modes": TRANSFER_MODES, "cooperation": COOPERATION_MODES, "city": CITIES,
          "scale": COMPANY_SCALES, "service_kind": SERVICE_KINDS}
_VALUE_SETS = {kind: frozenset(values) for kind, values in VALUES.items()}
# What spreadsheets add around a value: a remark in brackets (中试阶段（已完成）, 发明专利（已授权）), a trailing
# 产业 / 行业 / 领域 (新材料产业), a leading 已 or 国家 / 中国 (已产业化, 国家发明专利).
_REMARK = re.compile(r"^(.+?)\s*[（(][^（）()]*[）)]$")
_AROUND = re.compile(r"^(?:已|国家|中国)?(.+?)(?:产业|行业|领域)?$")


def spelled(kind: str, value: str) -> str | None:
    """The vocabulary's value a spreadsheet's spelling stands for — itself, an alias, or either with a remark in
    brackets, a trailing 产业/行业/领域 or a leading 已/国家/中国 taken away — or None."""
    values, aliases = _VALUE_SETS.get(kind, frozenset()), ALIASES.get(kind, {})
    if value in values:  # (most cells: one lookup)
        return value
    if value in aliases:
        return aliases[value]
    candidates = [value]
    if m := _REMARK.match(value):
        candidates.append(m.group(1))
    candidates += [m.group(1) for c in list(candidates) if (m := _AROUND.match(c)) and m.group(1) != c]
    for c in candidates:
        if c in values:
            return c
        if c in aliases:
            return aliases[c]
    return city_of(value) if kind == "city" else None


def normalise(kind: str, value: str) -> str:
    """Map a spelling onto the vocabulary (`spelled`; unknown values pass through for validation): every input
    schema's VOCAB_FIELDS go through it, so forms, the API and imports read 中试阶段（已完成） or 南康区 alike."""
    value = value.strip()
    return spelled(kind, value) or value
