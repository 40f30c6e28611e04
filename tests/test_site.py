"""通知公告 / 政策法规: administrators write, publish and withdraw (workflow + audit); the public reads published
ones at /notices and /api/v1/notices; other users and other centres may not write; the home page lists five."""
import io

from marketplace.core.models import AuditLog
from marketplace.site import services as svc
from marketplace.site.models import Notice

from .conftest import login

BODY = "第一段：为深入实施创新驱动发展战略。\n\n第二段：各设区市科技局请于5月20日前报送。"


def _new(client, **over):
    data = {"title": "关于举办2026年科技成果路演的报名通知", "category": "notice", "summary": "请于5月20日前报名",
            "body": BODY, "then": "save", **over}
    return client.post("/notices/new", data=data, content_type="multipart/form-data")


def test_admin_writes_publishes_and_withdraws(client, f):
    admin = f.user("admin")
    login(client, admin)
    resp = _new(client, files=(io.BytesIO(b"%PDF-1.4 test"), "报名表.pdf"))
    assert resp.status_code == 302
    n = Notice.query.one()
    assert n.status == "draft" and len(n.attachments) == 1 and n.attachments[0].filename == "报名表.pdf"
    assert "公告已保存为草稿" in client.get(resp.headers["Location"]).get_data(as_text=True)
    # A draft is not public.
    anon = client.application.test_client()
    assert anon.get(f"/notices/{n.id}").status_code == 404
    assert anon.get("/api/v1/notices").json["total"] == 0

    page = client.get(f"/notices/{n.id}").get_data(as_text=True)
    assert 'data-confirm="确定要发布' in page
    assert client.post(f"/notices/{n.id}/publish").status_code == 302
    assert n.status == "published" and n.publish_on is not None
    html = anon.get(f"/notices/{n.id}").get_data(as_text=True)
    assert "<p>第一段：为深入实施创新驱动发展战略。</p>" in html and "<p>第二段" in html
    file = anon.get(f"/notices/{n.id}/files/{n.attachments[0].id}")
    assert file.status_code == 200 and file.data == b"%PDF-1.4 test"
    listed = anon.get("/notices?category=notice").get_data(as_text=True)
    assert n.title in listed
    assert n.title not in anon.get("/notices?category=policy").get_data(as_text=True)
    api = anon.get("/api/v1/notices").json
    assert api["total"] == 1 and api["items"][0]["category_label"] == "通知公告"
    one = anon.get(f"/api/v1/notices/{n.id}").json
    assert one["paragraphs"][1].startswith("第二段") and one["attachments"][0]["filename"] == "报名表.pdf"
    assert n.title in anon.get("/").get_data(as_text=True)  # the home page's latest five

    assert client.post(f"/notices/{n.id}/withdraw").status_code == 302
    assert n.status == "withdrawn"
    assert anon.get(f"/notices/{n.id}").status_code == 404
    actions = [a.action for a in AuditLog.query.filter_by(entity_type="notice", entity_id=n.id).order_by(AuditLog.id)]
    assert actions == ["notice-create", "publish", "withdraw"]
    trail = client.get(f"/notices/{n.id}").get_data(as_text=True)
    assert "发布" in trail and "撤回" in trail and "publish" not in trail.split("状态变更记录")[-1]


def test_errors_are_next_to_their_fields_and_values_kept(client, f):
    login(client, f.user("admin"))
    resp = _new(client, title="好", body="", category="bogus")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    for name in ("title", "body", "category"):
        assert f'id="err-{name}"' in html
    assert 'value="好"' in html and "请于5月20日前报名" in html
    bad = _new(client, files=(io.BytesIO(b"MZ..."), "virus.exe"))
    assert bad.status_code == 422 and 'id="err-files"' in bad.get_data(as_text=True)
    assert Notice.query.count() == 0


def test_only_administrators_write_and_each_centre_its_own(client, f, app):
    from marketplace.extensions import db
    province = f.user("admin")
    city = f.user("admin", admin_level="city", city="赣州")
    other_city = f.user("admin", admin_level="city", city="九江")
    n = svc.create(city, {"title": "赣州市技术经纪人培训通知", "category": "news", "body": BODY}, publish=True)
    db.session.commit()
    for role in ("institution", "company", "broker"):
        client.post("/logout")
        login(client, f.user(role))
        assert client.get("/notices/new").status_code == 403
        assert _new(client).status_code == 403
        assert client.post(f"/notices/{n.id}/withdraw").status_code == 403
        assert client.get(f"/notices/{n.id}/edit").status_code == 403
    client.post("/logout")
    login(client, other_city)
    assert client.post(f"/notices/{n.id}/withdraw").status_code == 403
    assert client.get(f"/notices/{n.id}/edit").status_code == 403
    assert n.status == "published"
    assert n.title not in client.get("/notices/manage").get_data(as_text=True)
    client.post("/logout")
    login(client, province)
    assert n.title in client.get("/notices/manage").get_data(as_text=True)
    edit = client.post(f"/notices/{n.id}/edit", data={"title": "赣州市技术经纪人培训通知（更正）", "category": "news",
                                                   "body": BODY, "pinned": "1"})
    assert edit.status_code == 302 and n.pinned and n.title.endswith("（更正）")


def test_list_pages_pinned_first_and_bad_arguments(client, f):
    from datetime import date
    from marketplace.extensions import db
    admin = f.user("admin")
    for i in range(17):
        svc.create(admin, {"title": f"政策文件{i:02d}", "category": "policy", "body": BODY,
                           "publish_on": date(2025, 1, 1 + i)}, publish=True)
    svc.create(admin, {"title": "置顶的通知", "category": "notice", "body": BODY, "pinned": True,
                       "publish_on": date(2020, 1, 1)}, publish=True)
    db.session.commit()
    first = client.get("/api/v1/notices").json
    assert first["total"] == 18 and first["pages"] == 2 and first["items"][0]["title"] == "置顶的通知"
    assert first["items"][1]["title"] == "政策文件16"
    assert "回到第 2 页" in client.get("/notices?page=9").get_data(as_text=True)
    assert client.get("/notices?category=x").status_code == 400
    assert client.get("/api/v1/notices?page=abc").status_code == 400


def test_organisation_picker_endpoint(client, f):
    u = f.user("company")
    f.org("company", name="江西铜业集团有限公司")
    f.org("institution", name="南昌大学")
    f.org("company", name="未审核的铜业公司", approved=False)
    assert client.get("/api/v1/organisations?q=铜").status_code == 401
    login(client, u)
    names = [o["name"] for o in client.get("/api/v1/organisations?q=铜").json["items"]]
    assert names == ["江西铜业集团有限公司"]
    page = client.get("/api/v1/organisations?per_page=1&page=2").json
    assert page["per_page"] == 1 and page["total"] >= 3 and len(page["items"]) == 1
    assert client.get("/api/v1/organisations?q=%25").json["total"] == 0  # % is a character, not a wildcard
    assert client.get("/api/v1/organisations?kind=bogus").status_code == 400


def test_demo_notices_load_through_the_services(client, f):
    from marketplace.demo import site as demo
    f.user("admin", email="admin@demo.jx")
    line = demo.load()
    assert "政策法规 5 条" in line
    assert demo.load().endswith("跳过")
    titles = {n.title for n in Notice.query.filter_by(category="policy", status="published")}
    assert "江西省推进科技创新和产业创新深度融合改革实施方案（2025—2027年）" in titles
    html = client.get("/notices?category=policy").get_data(as_text=True)
    assert "赣科发〔2023〕1号" in html and "技术合同成交额达到3600亿元" in html
