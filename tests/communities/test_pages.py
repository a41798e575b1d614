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
