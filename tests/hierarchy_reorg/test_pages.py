"""The director's re-organisation pages: confirmation with counts, the acts, refusals, who may not, and ids of
another tenant; the tree marks inactive units; a merged unit's public page redirects to its successor."""
import pytest
from sqlalchemy import select

from core.extensions import db
from core.tenancy import tenant_scope
from hierarchy.models import Unit
from tests.conftest import PASSWORD, login
from tests.hierarchy_reorg.conftest import post_at, tip_at, unit


@pytest.fixture
def staged(app_ctx, world):
    """Two tips and a post at the world's commune, and a second district to move it to."""
    a = world["a"]
    with tenant_scope(a.tenant_id):
        commune = unit(a.units["commune"].code)
        tips = [tip_at(commune).id, tip_at(commune, status="resolved").id]
        post_at(commune)
        district = db.session.execute(select(Unit).where(Unit.kind == "district", Unit.code != a.units["district"].code)
                                      .order_by(Unit.code)).scalars().first()
        db.session.commit()
        return {"tips": tips, "district_id": district.id, "district_path": district.path}


def _unit(world, key, tenant="a"):
    with tenant_scope(world[tenant].tenant_id):
        return db.session.execute(select(Unit).where(Unit.id == world[tenant].units[key].id)).scalar_one()


def test_moving_a_commune_shows_what_moves_then_moves_it(client, world, login_as, staged):
    token = login_as("director")
    commune = world["a"].units["commune"]
    assert f'href="/app/units/{commune.id}/move"' in client.get("/app/units/reorg").get_data(as_text=True)
    chooser = client.get(f"/app/units/{commune.id}/move").get_data(as_text=True)
    assert f'value="{staged["district_id"]}"' in chooser
    page = client.get(f"/app/units/{commune.id}/move?parent_id={staged['district_id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-count="tips">2 (1 ' in html and 'data-count="posts">1<' in html and 'data-count="staff">2<' in html
    assert 'name="csrf_token"' in html and "<script>" not in html and "style=" not in html
    response = client.post(f"/app/units/{commune.id}/move", data={"csrf_token": token,
                                                                  "parent_id": staged["district_id"]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/app/tree")
    assert "Đã chuyển" in client.get("/app/tree").get_data(as_text=True)
    assert _unit(world, "commune").path == f"{staged['district_path']}{commune.code}/"


def test_a_refused_move_comes_back_with_the_reason(client, world, login_as):
    token = login_as("director")
    commune = world["a"].units["commune"]
    response = client.post(f"/app/units/{commune.id}/move", data={"csrf_token": token,
                                                                  "parent_id": world["a"].units["sibling"].id})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/app/units/{commune.id}/move")
    assert 'class="flash error"' in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _unit(world, "commune").path == commune.path


def test_a_merge_moves_tips_and_posts_redirects_the_public_page_and_stays_out_of_a_siblings_reach(
        client, world, login_as, staged):
    from tenants import services
    from tenants.models import Tenant

    a = world["a"]
    source, target = a.units["commune"], a.units["sibling"]
    with tenant_scope(a.tenant_id):
        third = db.session.execute(select(Unit).where(Unit.parent_id == a.units["district"].id,
                                                      Unit.code.not_in([source.code, target.code]))
                                   .order_by(Unit.code)).scalars().first()
        services.create_user("xa-ben@tra-vinh.test", PASSWORD, "unit_admin", tenant=db.session.get(Tenant, a.tenant_id),
                             unit_code=third.code)
        db.session.commit()
    token = login_as("director")
    confirm = client.get(f"/app/units/{source.id}/merge?target_id={target.id}").get_data(as_text=True)
    assert 'data-count="tips">2 (1 ' in confirm and target.name in confirm
    response = client.post(f"/app/units/{source.id}/merge", data={"csrf_token": token, "target_id": target.id})
    assert response.status_code == 302
    tree = client.get("/app/tree").get_data(as_text=True)
    assert f"đã sáp nhập vào {target.name}" in tree

    public = client.get(f"/p/{a.slug}/{source.code}")
    assert public.status_code == 301 and public.headers["Location"].endswith(f"/p/{a.slug}/{target.code}")

    client.post("/logout", data={"csrf_token": token})
    neighbour = login(client, "xa-ben@tra-vinh.test")
    for tip_id in staged["tips"]:
        assert client.get(f"/app/inbox/{tip_id}").status_code == 404
    client.post("/logout", data={"csrf_token": neighbour})
    login_as("officer")  # the source's officer now works at the target, and sees its tips
    assert client.get(f"/app/inbox/{staged['tips'][0]}").status_code == 200


def test_abolishing_through_the_page_marks_districts_in_the_tree(client, world, login_as):
    token = login_as("director")
    confirm = client.get("/app/units/reorg/abolish").get_data(as_text=True)
    assert 'data-count="units">9<' in confirm and 'data-count="children">104<' in confirm
    assert client.post("/app/units/reorg/abolish", data={"csrf_token": token, "tier": "district"}).status_code == 302
    assert "đã giải thể" in client.get("/app/tree").get_data(as_text=True)
    again = client.post("/app/units/reorg/abolish", data={"csrf_token": token, "tier": "district"})
    assert "không có gì thay đổi" in client.get(again.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("role", ["commune_admin", "officer", "auditor", "unit_admin"])
def test_no_one_but_a_director_may_reorganise(client, world, login_as, role):
    token = login_as(role)
    commune, district = world["a"].units["commune"], world["a"].units["district"]
    for method, url, data in (
        ("GET", "/app/units/reorg", None), ("GET", f"/app/units/{commune.id}/move", None),
        ("POST", f"/app/units/{commune.id}/move", {"parent_id": world["a"].code}),
        ("GET", f"/app/units/{commune.id}/merge", None),
        ("POST", f"/app/units/{commune.id}/merge", {"target_id": world["a"].units["sibling"].id}),
        ("GET", "/app/units/reorg/abolish", None), ("POST", "/app/units/reorg/abolish", {"tier": "district"}),
    ):
        response = client.open(url, method=method, data={"csrf_token": token, **(data or {})} if data else None)
        assert response.status_code == 403, (role, method, url)
    assert _unit(world, "commune").parent_id == district.id and _unit(world, "district").active


def test_ids_of_another_tenant_answer_404(client, world, login_as):
    token = login_as("director")
    mine, theirs = world["a"].units, world["b"].units
    for method, url, data in (
        ("GET", f"/app/units/{theirs['commune'].id}/move", None),
        ("GET", f"/app/units/{mine['commune'].id}/move?parent_id={theirs['district'].id}", None),
        ("POST", f"/app/units/{mine['commune'].id}/move", {"parent_id": theirs["district"].id}),
        ("GET", f"/app/units/{mine['commune'].id}/merge?target_id={theirs['commune'].id}", None),
        ("POST", f"/app/units/{mine['commune'].id}/merge", {"target_id": theirs["commune"].id}),
        ("POST", f"/app/units/{theirs['commune'].id}/merge", {"target_id": mine["sibling"].id}),
    ):
        response = client.open(url, method=method, data={"csrf_token": token, **data} if data else None)
        assert response.status_code == 404, (method, url)
    assert _unit(world, "commune").active and _unit(world, "commune", tenant="b").active


def test_old_public_addresses_follow_merges_even_twice(app_ctx, client, world):
    from content.lifecycle import mark_published
    from core.timeutil import utcnow
    from hierarchy.reorg import merge_units

    a = world["a"]
    first, second = a.units["commune"].code, a.units["sibling"].code
    with tenant_scope(a.tenant_id):
        third = db.session.execute(select(Unit.code).where(Unit.parent_id == a.units["district"].id,
                                                           Unit.code.not_in([first, second]))
                                   .order_by(Unit.code)).scalars().first()
        post = post_at(unit(first), "Cảnh báo lừa đảo qua mạng")
        mark_published(post, utcnow())
        merge_units(unit(first), unit(second))
        merge_units(unit(second), unit(third))
        db.session.commit()
        post_id = post.id
    page = client.get(f"/p/{a.slug}/{first}")
    assert page.status_code == 301 and page.headers["Location"].endswith(f"/p/{a.slug}/{third}")
    old_post = client.get(f"/p/{a.slug}/{first}/bai-viet/{post_id}")
    assert old_post.status_code == 301
    assert old_post.headers["Location"].endswith(f"/p/{a.slug}/{third}/bai-viet/{post_id}")
    assert "Cảnh báo lừa đảo qua mạng" in client.get(old_post.headers["Location"]).get_data(as_text=True)
