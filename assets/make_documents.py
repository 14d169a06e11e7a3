"""Make the Document Lab's bundled examples: an invoice, a receipt and a bilingual notice, each clean
and "photographed" (rotated, perspective, blur, noise, shadow), with their exact ground truth.

    python3 assets/make_documents.py        # writes assets/documents/*.png, *.jpg and *.json

Rendered with Debian's Noto CJK fonts (apt-get install fonts-noto-cjk), so every character the page
shows is known: each example's JSON holds its lines in reading order and the fields on it, which the
tests and benchmarks/ocr.py compare the OCR's reading against. The clean page is a PNG (flat colours
compress well); the photographed one is a JPEG, as a phone camera would give it.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

OUT = Path(__file__).resolve().parent / "documents"
FONT_DIR = Path("/usr/share/fonts/opentype/noto")
INK = (25, 25, 35)
PAPER = (250, 249, 244)

# (x, y, size, bold, text): one printed line each; lines of one row share their y. Sizes in pixels at 150 dpi.
INVOICE = {"size": (1240, 1754), "title": "Invoice (English and Chinese)", "lines": [
    (90, 90, 52, True, "INVOICE 发票"),
    (90, 175, 28, False, "Northwind Trading Ltd. 北风贸易有限公司"),
    (90, 220, 28, False, "18 Harbour Road, Shanghai 200120"),
    (90, 265, 28, False, "billing@northwind-trading.com"),
    (780, 175, 28, False, "Invoice No: INV-2024-0815"),
    (780, 220, 28, False, "Date: 2024-03-15"),
    (780, 265, 28, False, "Due: 2024-04-14"),
    (90, 380, 30, True, "Bill to 客户"),
    (90, 430, 28, False, "Li Wei 李伟, Bluebird Studio"),
    (90, 520, 28, True, "Item"),
    (760, 520, 28, True, "Qty"),
    (960, 520, 28, True, "Amount"),
    (90, 580, 28, False, "Office chairs 办公椅"),
    (760, 580, 28, False, "4"),
    (960, 580, 28, False, "$1,240.00"),
    (90, 640, 28, False, "Standing desk 升降桌"),
    (760, 640, 28, False, "2"),
    (960, 640, 28, False, "$980.00"),
    (90, 700, 28, False, "Delivery 运费"),
    (760, 700, 28, False, "1"),
    (960, 700, 28, False, "$60.00"),
    (700, 800, 28, False, "Subtotal 小计"),
    (960, 800, 28, False, "$2,280.00"),
    (700, 860, 28, False, "Tax 税 (6%)"),
    (960, 860, 28, False, "$136.80"),
    (700, 930, 32, True, "Total 合计"),
    (960, 930, 32, True, "$2,416.80"),
    (90, 1080, 26, False, "Payment within 30 days. Thank you for your business!"),
    (90, 1130, 26, False, "请在三十天内付款。感谢您的惠顾！"),
], "fields": {"invoice number": "INV-2024-0815", "date": ["2024-03-15", "2024-04-14"],
              "total": "$2,416.80", "email": "billing@northwind-trading.com"}}

RECEIPT = {"size": (620, 1100), "title": "Shop receipt (Chinese and English)", "lines": [
    (150, 60, 40, True, "便利店 Corner Mart"),
    (60, 140, 24, False, "Receipt No: R-58213"),
    (60, 180, 24, False, "Date: 12/05/2024 18:42"),
    (60, 260, 26, False, "牛奶 Milk"),
    (430, 260, 26, False, "12.50"),
    (60, 310, 26, False, "面包 Bread"),
    (430, 310, 26, False, "8.00"),
    (60, 360, 26, False, "苹果 Apples"),
    (430, 360, 26, False, "15.30"),
    (60, 410, 26, False, "咖啡 Coffee"),
    (430, 410, 26, False, "22.00"),
    (60, 500, 30, True, "Total 总计"),
    (410, 500, 30, True, "¥57.80"),
    (60, 560, 24, False, "Cash 现金"),
    (430, 560, 24, False, "60.00"),
    (60, 600, 24, False, "Change 找零"),
    (430, 600, 24, False, "2.20"),
    (60, 700, 24, False, "谢谢惠顾 Thank you"),
    (60, 740, 22, False, "help@cornermart.cn"),
], "fields": {"invoice number": "R-58213", "date": ["12/05/2024"], "total": "¥57.80",
              "email": "help@cornermart.cn"}}

NOTICE = {"size": (1240, 900), "title": "Building notice (Chinese and English)", "lines": [
    (380, 80, 54, True, "停水通知"),
    (380, 160, 40, True, "Water Supply Notice"),
    (90, 290, 30, False, "因管道维修，本楼将于2024年6月8日停水。"),
    (90, 345, 30, False, "停水时间：上午9:00至下午5:00。"),
    (90, 430, 30, False, "Due to pipe repairs, water will be off on 8 June 2024,"),
    (90, 480, 30, False, "from 9:00 to 17:00. We apologise for the inconvenience."),
    (90, 580, 30, False, "咨询电话 Enquiries: 021-6543 2100"),
    (90, 630, 30, False, "facilities@harbourview.org"),
    (820, 760, 28, False, "物业管理处"),
    (820, 805, 28, False, "2024-06-01"),
], "fields": {"date": ["2024年6月8日", "8 June 2024", "2024-06-01"], "email": "facilities@harbourview.org"}}

DOCUMENTS = {"invoice": INVOICE, "receipt": RECEIPT, "notice": NOTICE}


def font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK SC (its Latin letters are Noto Sans): one font for both scripts."""
    path = FONT_DIR / ("NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc")
    for index in range(10):  # the collection's faces: JP, KR, SC, TC, HK; pick SC by name
        face = ImageFont.truetype(str(path), size, index=index)
        if face.getname()[0].endswith("SC"):
            return face
    raise RuntimeError(f"no Simplified Chinese face in {path}")


def render(doc: dict) -> Image.Image:
    page = Image.new("RGB", doc["size"], PAPER)
    draw = ImageDraw.Draw(page)
    for x, y, size, bold, text in doc["lines"]:
        draw.text((x, y), text, font=font(size, bold), fill=INK)
    if doc is INVOICE:  # table rules, as printed invoices have them
        for y in (505, 565, 760, 915):
            draw.line((90, y, 1150, y), fill=(120, 120, 130), width=2)
    return page


def photograph(page: Image.Image, seed: int) -> Image.Image:
    """A phone photo of the page on a desk: tilted, in perspective, a shadow across it, soft and noisy."""
    rng = np.random.default_rng(seed)
    w, h = page.size
    margin = int(0.06 * w)
    desk = Image.new("RGB", (w + 2 * margin, h + 2 * margin), (92, 84, 72))
    desk.paste(page, (margin, margin))
    desk = desk.rotate(float(rng.uniform(2.5, 4.0)) * rng.choice([-1, 1]), resample=Image.Resampling.BICUBIC,
                       fillcolor=(92, 84, 72))
    # Perspective: the camera a little above the bottom edge (the top looks narrower).
    W, H = desk.size
    squeeze = 0.035 * W
    quad = (squeeze, 0, 0, H, W, H, W - squeeze, 0)  # source corners: top-left, bottom-left, bottom-right, top-right
    desk = desk.transform((W, H), Image.Transform.QUAD, quad, resample=Image.Resampling.BICUBIC)
    pixels = np.asarray(desk, np.float32)
    # A soft shadow from the top-left corner (a hand or a phone over the page), down to 70 % light.
    yy, xx = np.mgrid[0:H, 0:W]
    shadow = 1.0 - 0.3 * np.clip(1.0 - (xx / W + yy / H) / 0.9, 0, 1)
    pixels *= shadow[..., None]
    pixels += rng.normal(0, 7, pixels.shape)  # sensor noise
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return photo.filter(ImageFilter.GaussianBlur(1.1))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for seed, (name, doc) in enumerate(DOCUMENTS.items()):
        page = render(doc)
        page.convert("L").save(OUT / f"{name}.png", optimize=True)  # black on paper: grey is enough
        photograph(page, seed).save(OUT / f"{name}_photo.jpg", quality=85)
        # Reading order: rows top to bottom, left to right within a row (as core.document.ocr reads).
        in_order = sorted(doc["lines"], key=lambda line: (line[1], line[0]))
        truth = {"title": doc["title"], "lines": [line[4] for line in in_order], "fields": doc["fields"],
                 "size": list(doc["size"]), "files": {"clean": f"{name}.png", "photographed": f"{name}_photo.jpg"}}
        (OUT / f"{name}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: {len(doc['lines'])} lines")


if __name__ == "__main__":
    main()
