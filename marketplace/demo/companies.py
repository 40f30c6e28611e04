"""Company scales (企业规模) of the demo's companies, which the demand import creates: plausible sizes for
their trade and place (a copper smelter or a cold-rolling mill is large, a county food or tea business small or
micro), so the conversion index's 中小企业占比 has something to measure. 南昌市数联智造科技有限公司 is left without
one, as a company that did not state it."""

from sqlalchemy import select

from ..accounts.models import Organisation
from ..extensions import db

SCALES = {
    "大型": [
        "德兴市鑫铜矿冶有限公司", "新余市恒泰冷轧板有限公司", "瑞昌市江宏水泥有限公司", "贵溪市恒达铜材有限公司",
        "赣州恒钨硬质合金有限公司", "景德镇华翔航空零部件制造有限公司",
    ],
    "中型": [
        "鹰潭市华鑫铜业有限公司", "鹰潭市江南铜箔科技有限公司", "龙南市南岭稀土分离有限公司", "赣州瑞晶稀土新材料有限公司",
        "宜春市锂辰新能源材料有限公司", "新余市循环锂业科技有限公司", "宜丰县锂源矿业有限公司", "永修县硅源有机硅材料有限公司",
        "新余市晶辉光伏材料有限公司", "上饶市光耀新能源科技有限公司", "上饶市驰远汽车零部件有限公司",
        "南昌市航宇精密制造有限公司", "吉安市华晟电路科技有限公司", "抚州市东乡区康诺生物制药有限公司",
        "九江市湖口瑞邦化工有限公司", "彭泽县新港化工有限公司", "大余县钨源矿业有限公司", "宜春市华钽新材料有限公司",
        "南昌市昌北汽车内饰件有限公司", "新余市仙女湖精密钢管有限公司",
    ],
    "小型": [
        "鹰潭市信江物联传感科技有限公司", "萍乡市湘东区恒远化工填料有限公司", "赣州市南康区鑫宏板材有限公司",
        "宜春市宜锂环保建材有限公司", "樟树市庆仁堂中药饮片有限公司", "南昌红谷滩幻境虚拟现实科技有限公司",
        "九江市浔阳船舶配件有限公司", "赣州市南康区木匠坊实木家居有限公司", "永丰县恒力泵业有限公司",
        "樟树市百草源药业有限公司", "上饶市明镜光学元件有限公司", "吉安市鑫辰智能终端有限公司", "萍乡市绿源环保科技有限公司",
        "南昌市晶芯光电科技有限公司", "共青城市雪绒羽绒制品有限公司", "抚州市临川区阳光电力工程有限公司",
        "奉新县锦程纺织有限公司", "南昌市瑞康生物医药有限公司", "于都县锦绣服饰有限公司", "赣州市南康区森雅家具有限公司",
        "上栗县金鹏烟花制造有限公司", "景德镇市瓷源日用陶瓷有限公司", "赣州市南康区优品沙发制造有限公司",
        "赣州磁驱电机科技有限公司", "南昌市赣味米粉食品有限公司", "南昌市青云谱机床附件有限公司",
    ],
    "微型": [
        "崇仁县仙山麻鸡食品有限公司", "铜鼓县九岭黄精开发有限公司", "广昌县莲乡食品有限公司", "寻乌县绿橙果业有限公司",
        "南丰县桔都果业开发有限公司", "吉安市井冈蜜柚种植有限公司", "宜春市袁州区富硒农业开发有限公司",
        "景德镇雅窑陶瓷文化有限公司", "婺源县茗香茶业有限公司", "泰和县武山乌鸡开发有限公司",
    ],
}


def load_company_scales() -> int:
    """Set the scale of each listed demo company that exists (flush, no commit)."""
    by_name = {name: scale for scale, names in SCALES.items() for name in names}
    n = 0
    for org in db.session.scalars(select(Organisation).where(Organisation.kind == "company",
                                                             Organisation.name.in_(list(by_name)))):
        org.scale = by_name[org.name]
        n += 1
    db.session.flush()
    return n
