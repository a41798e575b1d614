"""Admin and coordinator pages, as they see them."""

from __future__ import annotations

from server.accounts.models import RoleAssignment
from server.communities.models import Node, Organisation
from server.extensions import db
from tests.pages import EN, login, text


def _admin(client, make_user, make_node, grant):
    district = make_node(name="大兴区", kind="district")
    admin = make_user(name="区管理员")
    grant(admin, "admin", district)
    return admin, district, login(client, admin)


def test_admin_sees_the_tree_and_adds_a_town(client, make_user, make_node, grant):
    admin, district, token = _admin(client, make_user, make_node, grant)
    page = text(client.get("/admin/tree", headers=EN))
    assert "大兴区" in page and "Add a place" in page
    resp = client.post("/admin/nodes", data={"csrf_token": token, "parent_id": str(district.id),
                                             "kind": "town", "name": "魏善庄镇",
                                             "platform_name": "魏善庄镇社会工作服务中心",
                                             "platform_since": "2021-10"})
    assert resp.status_code == 302
    page = text(client.get("/admin/tree"))
    assert "魏善庄镇" in page and "魏善庄镇社会工作服务中心" in page
    town = db.session.query(Node).filter_by(name="魏善庄镇").one()
    assert town.parent_id == district.id


def test_tree_form_errors_are_shown(client, make_user, make_node, grant):
    admin, district, token = _admin(client, make_user, make_node, grant)
    resp = client.post("/admin/nodes", data={"csrf_token": token, "parent_id": str(district.id),
                                             "kind": "village", "name": "赵庄子村"},
                       headers=EN)
    assert resp.status_code == 422
    assert "A district sits at the top" in text(resp)


def test_residents_are_kept_out(client, make_user):
    login(client, make_user())
    for path in ("/admin/tree", "/admin/roles", "/admin/organisations", "/coordinator/people"):
        assert client.get(path).status_code == 403, path


def test_admin_adds_an_organisation(client, make_user, make_node, grant):
    admin, district, token = _admin(client, make_user, make_node, grant)
    page = text(client.get("/admin/organisations", headers=EN))
    assert "Charity or foundation" in page
    resp = client.post("/admin/organisations", data={
        "csrf_token": token, "name": "赵庄子爱心救助基金", "kind": "charity",
        "node_id": str(district.id), "description": "", "contact_phone": ""})
    assert resp.status_code == 302
    assert "赵庄子爱心救助基金" in text(client.get("/admin/organisations"))
    resp = client.post("/admin/organisations", data={
        "csrf_token": token, "name": "赵庄子爱心救助基金", "kind": "charity",
        "node_id": str(district.id)}, headers=EN)
    assert resp.status_code == 409
    assert "already has this name" in text(resp)
    assert db.session.query(Organisation).count() == 1


def test_admin_grants_and_revokes_roles(client, make_user, make_node, grant):
    admin, district, token = _admin(client, make_user, make_node, grant)
    worker = make_user(name="社工王芳", phone="13712345678")
    resp = client.post("/admin/roles", data={"csrf_token": token, "user_phone": "13700000000",
                                             "role": "coordinator",
                                             "node_id": str(district.id)}, headers=EN)
    assert resp.status_code == 404
    assert "Nobody has registered with this mobile number yet" in text(resp)
    resp = client.post("/admin/roles", data={"csrf_token": token, "user_phone": "13712345678",
                                             "role": "coordinator", "node_id": str(district.id),
                                             "organisation_id": ""})
    assert resp.status_code == 302
    page = text(client.get("/admin/roles"))
    assert "社工王芳" in page and "137****5678" in page and "13712345678" not in page
    ra = db.session.query(RoleAssignment).filter_by(user_id=worker.id).one()
    own = db.session.query(RoleAssignment).filter_by(user_id=admin.id).one()
    # the worker's role is offered back (asking first); the admin's own is not: the POST
    # would refuse it (roles.may_revoke is the rule both use)
    assert f'action="/admin/roles/{ra.id}/revoke"' in page and "data-confirm=" in page
    assert f'action="/admin/roles/{own.id}/revoke"' not in page
    refused = client.post(f"/admin/roles/{own.id}/revoke", data={"csrf_token": token})
    assert refused.status_code in (403, 409, 422)
    resp = client.post(f"/admin/roles/{ra.id}/revoke", data={"csrf_token": token}, headers=EN)
    assert resp.status_code == 302
    page = text(client.get("/admin/roles", headers=EN))
    assert "Role taken back from 社工王芳" in page  # the toast
    assert "137****5678" not in page  # and gone from the list


def test_coordinator_searches_people_with_masked_phones(client, make_user, make_node, grant):
    community = make_node(name="运河园社区")
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", community.parent)
    make_user(name="王秀兰", phone="13812341234", home_node=community)
    make_user(name="赵大爷", phone="13812349999", home_node=community)
    make_user(name="外区居民", phone="13812340000", home_node=make_node(name="别处社区"))
    login(client, coordinator)
    page = text(client.get("/coordinator/people"))
    assert "王秀兰" in page and "赵大爷" in page and "外区居民" not in page
    assert "138****1234" in page and "13812341234" not in page
    page = text(client.get("/coordinator/people?q=秀兰"))
    assert "王秀兰" in page and "赵大爷" not in page


# --- editing organisations and places ---------------------------------------------------------

def _org(make_org, district, make_node, **extra):
    town = make_node(name="魏善庄镇", kind="town", parent=district)
    org = make_org(name="魏善庄镇社会工作服务中心", node=town, kind="social_work")
    for key, value in extra.items():
        setattr(org, key, value)
    db.session.flush()
    return org


def test_admin_edits_what_certificates_print(client, make_user, make_node, make_org, grant):
    admin, district, token = _admin(client, make_user, make_node, grant)
    org = _org(make_org, district, make_node)
    page = text(client.get("/admin/organisations", headers=EN))
    assert f"/admin/organisations/{org.id}/edit" in page
    form = text(client.get(f"/admin/organisations/{org.id}/edit"))
    assert "编辑组织" in form and "负责人" in form and "魏善庄镇社会工作服务中心" in form
    resp = client.post(f"/admin/organisations/{org.id}/edit", data={
        "csrf_token": token, "name": "魏善庄镇社会工作服务中心", "kind": "social_work",
        "description": "镇村两级社会工作服务体系", "contact_phone": "０１０－８９２８ ３４５６",
        "leader_name": "  孙  建华 ", "active": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert (org.contact_phone, org.leader_name, org.description, org.active) == (
        "010-89283456", "孙 建华", "镇村两级社会工作服务体系", True)
    page = text(client.get("/admin/organisations"))
    assert "已保存魏善庄镇社会工作服务中心" in page and "010-89283456" in page


def test_a_contact_phone_nobody_can_call_is_refused_on_the_form(client, make_user, make_node,
                                                                make_org, grant):
    admin, district, token = _admin(client, make_user, make_node, grant)
    org = _org(make_org, district, make_node, contact_phone="13800138000")
    resp = client.post(f"/admin/organisations/{org.id}/edit", data={
        "csrf_token": token, "name": "改了名字", "kind": "social_work", "description": "",
        "contact_phone": "12345", "leader_name": "孙建华"}, headers=EN)
    assert resp.status_code == 422
    page = text(resp)
    assert "a landline with its area code" in page and 'aria-invalid="true"' in page
    assert 'value="12345"' in page and 'value="改了名字"' in page  # what was typed stays
    db.session.expire_all()
    assert (org.name, org.contact_phone) == ("魏善庄镇社会工作服务中心", "13800138000")


def test_an_unticked_box_deactivates(client, make_user, make_node, make_org, grant):
    admin, district, token = _admin(client, make_user, make_node, grant)
    org = _org(make_org, district, make_node)
    resp = client.post(f"/admin/organisations/{org.id}/edit", data={
        "csrf_token": token, "name": org.name, "kind": "social_work", "description": "",
        "contact_phone": "", "leader_name": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    assert (org.active, org.contact_phone, org.leader_name) == (False, None, None)
    assert "已停用" in text(client.get("/admin/organisations"))


def test_only_admins_above_edit_organisations(app, client, make_user, make_node, make_org,
                                              grant):
    district = make_node(name="大兴区", kind="district")
    org = _org(make_org, district, make_node)
    coordinator = make_user(name="镇协调员")
    grant(coordinator, "coordinator", org.node)
    token = login(client, coordinator)
    page = text(client.get("/admin/organisations"))
    assert org.name in page and f"/admin/organisations/{org.id}/edit" not in page
    assert client.get(f"/admin/organisations/{org.id}/edit").status_code == 403
    resp = client.post(f"/admin/organisations/{org.id}/edit", data={
        "csrf_token": token, "name": "夺权", "kind": "social_work"})
    assert resp.status_code == 403
    elsewhere = make_user(name="通州区管理员")
    grant(elsewhere, "admin", make_node(name="通州区", kind="district"))
    other = app.test_client()
    login(other, elsewhere)
    assert other.get(f"/admin/organisations/{org.id}/edit").status_code == 403
    assert other.get("/admin/organisations/999999/edit").status_code == 404
    db.session.expire_all()
    assert org.name == "魏善庄镇社会工作服务中心"


def test_admin_edits_a_place(client, make_user, make_node, grant):
    admin, district, token = _admin(client, make_user, make_node, grant)
    town = make_node(name="魏善庄", kind="town", parent=district)
    make_node(name="礼贤镇", kind="town", parent=district)
    assert f"/admin/nodes/{town.id}/edit" in text(client.get("/admin/tree"))
    form = text(client.get(f"/admin/nodes/{town.id}/edit"))
    assert "编辑地点" in form and 'value="魏善庄"' in form
    resp = client.post(f"/admin/nodes/{town.id}/edit", data={
        "csrf_token": token, "name": "魏善庄镇", "platform_name": "魏善庄镇社会工作服务中心",
        "platform_since": "2021-10"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert (town.name, town.platform_name, town.platform_since) == (
        "魏善庄镇", "魏善庄镇社会工作服务中心", "2021-10")
    resp = client.post(f"/admin/nodes/{town.id}/edit", data={
        "csrf_token": token, "name": "礼贤镇", "platform_name": "", "platform_since": ""},
        headers=EN)
    assert resp.status_code == 409 and "already has this name" in text(resp)
    resp = client.post(f"/admin/nodes/{town.id}/edit", data={
        "csrf_token": token, "name": "", "platform_since": "十月"}, headers=EN)
    assert resp.status_code == 422
    assert text(resp).count('aria-invalid="true"') == 2
    db.session.expire_all()
    assert town.name == "魏善庄镇"


def test_only_admins_above_edit_a_place(app, client, make_user, make_node, grant):
    district = make_node(name="大兴区", kind="district")
    town = make_node(name="魏善庄镇", kind="town", parent=district)
    town_admin = make_user(name="镇管理员")
    grant(town_admin, "admin", town)
    login(client, town_admin)
    assert client.get(f"/admin/nodes/{town.id}/edit").status_code == 200
    assert client.get(f"/admin/nodes/{district.id}/edit").status_code == 403
    resident = app.test_client()
    login(resident, make_user(name="居民"))
    assert resident.get(f"/admin/nodes/{town.id}/edit").status_code == 403


def test_an_admin_chooses_to_publish_a_mobile_contact_in_full(client, make_user, make_node,
                                                              make_org, grant):
    admin, district, token = _admin(client, make_user, make_node, grant)
    org = _org(make_org, district, make_node, contact_phone="13800138000")
    form = text(client.get(f"/admin/organisations/{org.id}/edit"))
    assert "完整公开联系电话" in form
    fields = {"csrf_token": token, "name": org.name, "kind": "social_work", "description": "",
              "contact_phone": "13800138000", "leader_name": "孙建华", "active": "1"}
    resp = client.post(f"/admin/organisations/{org.id}/edit",
                       data={**fields, "contact_phone_public": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert org.contact_phone_public is True
    assert client.post(f"/admin/organisations/{org.id}/edit", data=fields).status_code == 302
    db.session.expire_all()
    assert org.contact_phone_public is False  # unticked: masked to the public again
