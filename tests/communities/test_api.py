"""/api/v1 nodes and organisations: the public tree and admin changes."""

from __future__ import annotations

from sqlalchemy import select

from server.communities.models import Node, Organisation
from server.extensions import db


def _envelope(resp, status, code):
    body = resp.get_json()
    assert resp.status_code == status, body
    assert body["code"] == code and body["status"] == status, body
    return body


def test_the_tree_is_public(client, make_node):
    community = make_node(name="运河园社区")
    resp = client.get("/api/v1/nodes")
    assert resp.status_code == 200
    by_id = {n["id"]: n for n in resp.get_json()}
    street = community.parent
    assert by_id[community.id]["parent_id"] == street.id
    assert (by_id[community.id]["kind"], by_id[community.id]["level"]) == ("community", 3)
    ids = [n["id"] for n in resp.get_json()]
    assert ids.index(street.parent_id) < ids.index(street.id) < ids.index(community.id)

    one = client.get(f"/api/v1/nodes/{community.id}")
    assert one.status_code == 200 and one.get_json()["path"] == community.path
    _envelope(client.get("/api/v1/nodes/999999"), 404, "node_not_found")


def test_admin_adds_renames_and_is_checked(api, make_user, make_node, grant):
    district = make_node(name="大兴区", kind="district")
    admin = make_user()
    grant(admin, "admin", district)
    api.login(admin)

    resp = api.post("/api/v1/nodes", json={
        "parent_id": district.id, "kind": "town", "name": "魏善庄镇",
        "platform_name": "魏善庄镇社会工作服务中心", "platform_since": "2021-10"})
    assert resp.status_code == 201, resp.get_json()
    town = resp.get_json()
    assert town["path"] == f"{district.path}{town['id']}/"
    assert town["platform_since"] == "2021-10"

    _envelope(api.post("/api/v1/nodes", json={"parent_id": district.id, "kind": "town",
                                              "name": "魏善庄镇"}), 409, "name_taken")
    _envelope(api.post("/api/v1/nodes", json={"parent_id": district.id, "kind": "village",
                                              "name": "赵庄子村"}), 422, "bad_parent")
    _envelope(api.post("/api/v1/nodes", json={"parent_id": 999999, "kind": "village",
                                              "name": "赵庄子村"}), 404, "node_not_found")
    body = _envelope(api.post("/api/v1/nodes", json={"kind": "planet", "name": "x",
                                                     "platform_since": "October"}),
                     422, "validation_error")
    assert set(body["errors"]) == {"kind", "platform_since"}
    body = _envelope(api.patch(f"/api/v1/nodes/{town['id']}", json={
        "platform_since": "٢٠٢١-١٠"}), 422, "validation_error")  # digits of another script
    assert set(body["errors"]) == {"platform_since"}

    resp = api.patch(f"/api/v1/nodes/{town['id']}", json={"name": "魏善庄"})
    assert resp.status_code == 200 and resp.get_json()["name"] == "魏善庄"
    assert db.session.get(Node, town["id"]).name == "魏善庄"


def test_organisations_public_list_shows_active_ones(client, make_org):
    active = make_org(name="BQteam-贤妈智囊团")
    gone = make_org(name="已解散的队")
    gone.active = False
    db.session.flush()
    resp = client.get("/api/v1/organisations")
    assert resp.status_code == 200
    names = {o["name"] for o in resp.get_json()}
    assert active.name in names and gone.name not in names
    one = client.get(f"/api/v1/organisations/{active.id}").get_json()
    assert one["node_name"] == active.node.name
    _envelope(client.get("/api/v1/organisations/999999"), 404, "organisation_not_found")
    _envelope(client.get("/api/v1/organisations?mine=1"), 401, "login_required")


def test_mine_lists_what_staff_handle_inactive_included(api, make_user, make_org, grant):
    here = make_org(name="运河园社工站", kind="social_work")
    dormant = make_org(name="暂停的志愿队", node=here.node, kind="volunteer_team")
    dormant.active = False
    db.session.flush()
    elsewhere = make_org(name="别处的组织")
    coordinator = make_user()
    grant(coordinator, "coordinator", here.node.parent)
    api.login(coordinator)
    names = {o["name"] for o in api.get("/api/v1/organisations?mine=1").get_json()}
    assert names == {here.name, dormant.name}
    assert elsewhere.name in {o["name"] for o in api.get("/api/v1/organisations").get_json()}


def test_admin_registers_and_deactivates_an_organisation(api, make_user, make_node, grant):
    community = make_node(name="赵庄子村", kind="village")
    admin = make_user()
    grant(admin, "admin", community.parent)
    api.login(admin)
    resp = api.post("/api/v1/organisations", json={
        "node_id": community.id, "kind": "charity", "name": "赵庄子爱心救助基金",
        "description": "大病救助", "contact_phone": "010-12345678"})
    assert resp.status_code == 201, resp.get_json()
    org_id = resp.get_json()["id"]
    _envelope(api.post("/api/v1/organisations", json={
        "node_id": community.id, "kind": "charity", "name": "赵庄子爱心救助基金"}),
        409, "name_taken")
    _envelope(api.post("/api/v1/organisations", json={
        "node_id": community.id, "kind": "club", "name": "x"}), 422, "validation_error")

    resp = api.patch(f"/api/v1/organisations/{org_id}", json={"active": False})
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    org = db.session.scalar(select(Organisation).where(Organisation.id == org_id))
    assert (org.active, org.contact_phone) == (False, "010-12345678")


def test_writes_need_login(api):
    _envelope(api.post("/api/v1/nodes", json={"kind": "district", "name": "通州区"}),
              401, "login_required")
    _envelope(api.post("/api/v1/organisations", json={}), 401, "login_required")


def test_contact_phone_and_person_in_charge_through_the_api(api, make_user, make_node, grant):
    town = make_node(name="魏善庄镇", kind="town")
    admin = make_user()
    grant(admin, "admin", town)
    api.login(admin)
    body = _envelope(api.post("/api/v1/organisations", json={
        "node_id": town.id, "kind": "social_work", "name": "魏善庄镇社会工作服务中心",
        "contact_phone": "6954 1234"}), 422, "invalid_contact_phone")
    assert body["errors"] == {"contact_phone": [body["message"]]}
    resp = api.post("/api/v1/organisations", json={
        "node_id": town.id, "kind": "social_work", "name": "魏善庄镇社会工作服务中心",
        "contact_phone": "+86 138 0013 8000", "leader_name": "孙建华"})
    assert resp.status_code == 201, resp.get_json()
    created = resp.get_json()
    assert (created["contact_phone"], created["leader_name"]) == ("13800138000", "孙建华")
    url = f"/api/v1/organisations/{created['id']}"

    # another script's digits look like a number and are none (server.core.numbers)
    for bad in ("12345678901", "010-123", "(010) 1234-5678a", "电话", "13٨٠٠١٣٨٠٠٠"):
        _envelope(api.patch(url, json={"contact_phone": bad}), 422, "invalid_contact_phone")
    _envelope(api.patch(url, json={"leader_name": "孙" * 41}), 422, "validation_error")
    resp = api.patch(url, json={"contact_phone": "010-89281234-801", "leader_name": " 李 桂兰 "})
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["contact_phone"], resp.get_json()["leader_name"]) == (
        "010-89281234-801", "李 桂兰")
    resp = api.patch(url, json={"contact_phone": "0755-1234567", "leader_name": None})
    assert (resp.get_json()["contact_phone"], resp.get_json()["leader_name"]) == (
        "0755-1234567", None)
    org = db.session.get(Organisation, created["id"])
    assert (org.contact_phone, org.leader_name) == ("0755-1234567", None)
    # the public view shows what certificates print
    assert api.get(url).get_json()["contact_phone"] == "0755-1234567"


def test_another_subtrees_admin_cannot_change_the_contact(api, make_user, make_org, make_node,
                                                          grant):
    org = make_org(name="运河园社区 BQteam-贤妈智囊团", kind="volunteer_team")
    org.contact_phone = "010-81521234"
    db.session.flush()
    outsider = make_user()
    grant(outsider, "admin", make_node(name="大兴区", kind="district"))
    api.login(outsider)
    _envelope(api.patch(f"/api/v1/organisations/{org.id}", json={"contact_phone": "13900000000"}),
              403, "forbidden")
    assert db.session.get(Organisation, org.id).contact_phone == "010-81521234"


def test_a_mobile_contact_is_masked_to_the_public_unless_published(app, api, make_user,
                                                                   make_node, grant):
    """A demo organisation published 13911526100 beside its 负责人's name to anyone who
    asked: a mobile is often the person's own. The public sees it masked; the staff of
    the organisation and the coordinators over it see it in full; an organisation that
    chose to publish it shows it to all. A landline (an office's) is shown as it is."""
    from tests.conftest import ApiClient
    town = make_node(name="魏善庄镇", kind="town")
    village = make_node(name="赵庄子村", kind="village", parent=town)
    admin = make_user()
    grant(admin, "admin", town)
    api.login(admin)
    made = api.post("/api/v1/organisations", json={
        "node_id": village.id, "kind": "social_org", "name": "法律公益讲堂",
        "contact_phone": "139 1152 6100", "leader_name": "韩志远"}).get_json()
    office = api.post("/api/v1/organisations", json={
        "node_id": village.id, "kind": "social_work", "name": "赵庄子村社工站",
        "contact_phone": "010-89281234", "leader_name": "孙建华"}).get_json()
    assert made["contact_phone"] == "13911526100"  # to the admin over it, in full
    url = f"/api/v1/organisations/{made['id']}"

    public = ApiClient(app.test_client())
    assert public.get(url).get_json()["contact_phone"] == "139****6100"
    listed = {o["id"]: o["contact_phone"] for o in public.get("/api/v1/organisations").get_json()}
    assert listed[made["id"]] == "139****6100" and listed[office["id"]] == "010-89281234"
    # a resident logged in is the public too
    public.login(make_user())
    assert public.get(url).get_json()["contact_phone"] == "139****6100"
    # its organiser, and a coordinator over the place, see it in full
    org = db.session.get(Organisation, made["id"])
    organiser, coordinator, elsewhere = make_user(), make_user(), make_user()
    grant(organiser, "organiser", village, organisation=org)
    grant(coordinator, "coordinator", town)
    grant(elsewhere, "coordinator", make_node(name="通运街道", kind="street"))
    for who, seen in ((organiser, "13911526100"), (coordinator, "13911526100"),
                      (elsewhere, "139****6100")):
        reader = ApiClient(app.test_client())
        reader.login(who)
        assert reader.get(url).get_json()["contact_phone"] == seen
    # published by choice: in full to everyone
    assert made["contact_phone_public"] is False
    chose = api.patch(url, json={"contact_phone_public": True}).get_json()
    assert chose["contact_phone_public"] is True
    assert ApiClient(app.test_client()).get(url).get_json()["contact_phone"] == "13911526100"
