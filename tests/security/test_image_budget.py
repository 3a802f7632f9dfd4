"""Finding 8 of the hostile review: five 7000×7000 PNGs (under a megabyte in all) in one unauthenticated POST
cost 9.7 s of CPU and 685 MB of memory to decode. Pixels are now capped per image (Pillow's decompression-bomb
limit) and per request, photos are decoded reduced where the format allows it (JPEG) and the staff copy of an
evidence photo is at most 4096 px on its longer side. Work is measured in decoded pixels, not seconds."""
import io
from functools import cache

import pytest
from PIL import Image, ImageFile
from sqlalchemy import func, select

from core.extensions import db
from core.media import EVIDENCE_MAX_SIDE, EVIDENCE_PIXELS_PER_REQUEST, IMAGE_MAX_PIXELS
from core.tenancy import tenant_scope


@cache
def large(width, height, fmt="PNG"):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 60)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def decoded(monkeypatch):
    """The pixels each image decode produced, in order."""
    seen, images = [], set()
    real = ImageFile.ImageFile.load

    def load(image):
        if id(image) not in images:
            images.add(id(image))
            seen.append(image.size[0] * image.size[1])
        return real(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def _send(client, tenant, files):
    return client.post(f"/api/v1/public/units/{tenant.units['commune'].id}/tips", content_type="multipart/form-data",
                       data={"category": "other", "description": "Ảnh hiện trường.",
                             "files": [(io.BytesIO(data), f"anh-{index}.png") for index, data in enumerate(files)]})


def _tips(tenant):
    from inbox.models import Tip

    with tenant_scope(tenant.tenant_id):
        return db.session.execute(select(func.count()).select_from(Tip)).scalar_one()


def test_several_large_pngs_in_one_request_stop_at_the_budget(client, tenant_a, decoded):
    before = _tips(tenant_a)
    response = _send(client, tenant_a, [large(7000, 7000)] * 5)
    assert response.status_code == 413, response.get_json()
    assert "files" in response.get_json()["error"]["fields"]
    assert _tips(tenant_a) == before  # nothing half-saved
    assert sum(decoded) <= EVIDENCE_PIXELS_PER_REQUEST  # never more decoding than the budget allows


def test_one_image_over_the_per_image_limit_is_refused_before_it_is_decoded(client, tenant_a, decoded):
    side = int(IMAGE_MAX_PIXELS ** 0.5) + 10
    response = _send(client, tenant_a, [large(side, side)])
    assert response.status_code == 413 and "files" in response.get_json()["error"]["fields"]
    assert decoded == []
    assert Image.MAX_IMAGE_PIXELS == IMAGE_MAX_PIXELS  # Pillow's own bomb check says the same everywhere


def test_a_large_photo_is_decoded_reduced_and_its_staff_copy_bounded(client, tenant_a, decoded):
    response = _send(client, tenant_a, [large(8000, 4000, "JPEG")])
    assert response.status_code == 201, response.get_json()
    assert decoded and decoded[0] <= 4000 * 2000  # JPEG decoded at a reduced scale
    from inbox.models import TipAttachment

    with tenant_scope(tenant_a.tenant_id):
        attachment = db.session.execute(select(TipAttachment).order_by(TipAttachment.id.desc())).scalars().first()
        assert max(attachment.width, attachment.height) <= EVIDENCE_MAX_SIDE


def test_ordinary_phone_photos_still_fit_in_one_tip(client, tenant_a):
    response = _send(client, tenant_a, [large(4000, 3000, "JPEG")] * 5)
    assert response.status_code == 201, response.get_json()
