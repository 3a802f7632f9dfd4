"""Helpers for the content tests: API calls as a given user, and photos carrying EXIF (GPS included)."""
import io

import pytest
from PIL import Image


class PostsApi:
    def __init__(self, client, bearer, world):
        self.client, self.bearer, self.world = client, bearer, world
        self._headers = {}

    def headers(self, user, tenant="a"):
        if (user, tenant) not in self._headers:
            self._headers[(user, tenant)] = self.bearer(user, tenant=tenant)
        return self._headers[(user, tenant)]

    def call(self, method, path, user="director", tenant="a", **kwargs):
        return self.client.open(f"/api/v1{path}", method=method, headers=self.headers(user, tenant), **kwargs)

    def create(self, unit="commune", user="commune_admin", tenant="a", **fields):
        payload = {"title": "Cảnh giác lừa đảo qua mạng", "body": "Nội dung **quan trọng**.", "kind": "warning"}
        payload.update(fields)
        unit_id = self.world[tenant].units[unit].id
        response = self.call("POST", f"/units/{unit_id}/posts", user, tenant, json=payload)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def act(self, post_id, action, user, tenant="a", **payload):
        return self.call("POST", f"/posts/{post_id}/{action}", user, tenant, json=payload)

    def published(self, unit="commune", **fields):
        """A commune post taken through review by the district admin and published now."""
        post = self.create(unit=unit, **fields)
        assert self.act(post["id"], "submit", "commune_admin").status_code == 200
        assert self.act(post["id"], "approve", "unit_admin").status_code == 200
        response = self.act(post["id"], "publish", "unit_admin")
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def posts_api(client, bearer, world):
    return PostsApi(client, bearer, world)


def photo_with_exif(fmt="JPEG", size=(640, 480)):
    """A photo whose EXIF holds a GPS position and a camera serial, as a phone would write it."""
    image = Image.new("RGB", size, (30, 90, 160))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0xA431] = "SERIAL-123456"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (9.0, 56.0, 12.0), 3: "E", 4: (106.0, 20.0, 30.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def has_exif(data):
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif()) or "exif" in image.info
