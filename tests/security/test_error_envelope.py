"""Finding 26 of the hostile review: `fields` in 422 answers was sometimes nested (`{"contact": {"phone":
[...]}}`) unlike the documented envelope, and a PATCH with an empty body answered 200. Now one flat shape
(nested errors under dotted names, `contact.phone`) and an empty PATCH is a 422."""


def _flat(fields):
    return isinstance(fields, dict) and all(
        isinstance(key, str) and isinstance(why, list) and all(isinstance(text, str) for text in why)
        for key, why in fields.items())


def test_a_nested_error_is_named_by_its_dotted_path(client, tenant_a):
    response = client.post(f"/api/v1/public/units/{tenant_a.units['commune'].id}/tips", json={
        "category": "other", "description": "Tin thử.", "contact": {"phone": 912345678, "ten": "x"}})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert _flat(fields), fields
    assert {"contact.phone", "contact.ten"} <= set(fields)


def test_errors_in_a_list_are_named_by_their_position(client, bearer, world, objects):
    response = client.get("/api/v1/tips?status=new&status=bad&per_page=0", headers=bearer("director"))
    assert response.status_code == 422 and _flat(response.get_json()["error"]["fields"])


def test_an_empty_patch_is_a_422(client, bearer, objects):
    headers = bearer("director")
    tip, post = objects.tip("commune"), objects.post("commune")
    for path in (f"/api/v1/tips/{tip}", f"/api/v1/posts/{post}"):
        response = client.patch(path, headers=headers, json={})
        assert response.status_code == 422, (path, response.status_code)
        assert _flat(response.get_json()["error"]["fields"]) and response.get_json()["error"]["fields"]
