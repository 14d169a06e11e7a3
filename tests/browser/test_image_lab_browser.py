"""In a real browser: upload a photo to the Image Lab and read the recognised class."""

import pytest
from PIL import Image

pytestmark = pytest.mark.browser


def test_upload_photo_and_read_top_class(app_url, page, pretrained_cache, tmp_path):
    from skimage import data as skdata
    photo = tmp_path / "coffee.jpg"
    Image.fromarray(skdata.coffee()).save(photo, format="JPEG")
    page.goto(app_url + "/image_lab")
    page.get_by_role("tab", name="⬆️ Upload").click(timeout=60_000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(photo))
    answer = page.get_by_text("It sees:")
    answer.wait_for(timeout=120_000)  # first use converts EfficientNet (cached by the fixture)
    assert "espresso" in answer.inner_text().lower(), answer.inner_text()
    page.screenshot(path=str(tmp_path / "image-lab.png"), full_page=True)
