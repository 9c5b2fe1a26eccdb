"""Make the demo hall media: a silent WebM loop and a PNG slide, drawn by this script.

    uv run python deploy/catalog/hall-media/make_demo.py

Headless Chromium (Debian's, as the e2e tests use) draws each slide on a canvas and records it
with MediaRecorder (VP8, no audio track); the PNG is a screenshot of a slide. Nothing is taken
from elsewhere: the pictures are shapes and text made here, free to use. Keep the files small
(they are committed): about 12 s of mostly still slides at a low bitrate.
"""

import asyncio
import base64
import json
from pathlib import Path

from playwright.async_api import async_playwright

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 960, 540
SLIDES = [  # (title, lines, colour)
    ("Mal Pelayanan Publik", ["Kabupaten Kutai Timur", "Satu tempat, banyak layanan"], "#0b5fa5"),
    ("Alur layanan", ["1. Ambil nomor antrean di kios", "2. Tunggu nomor Anda dipanggil",
                      "3. Menuju loket yang disebut"], "#1f7a4d"),
    ("Antrean tertib", ["Siapkan dokumen persyaratan", "sebelum nomor Anda dipanggil"], "#8a4b08"),
]  # fmt: skip
SLIDE_MS = 4000

PAGE = """<!doctype html><html><body style="margin:0;background:#000">
<canvas id="c" width="%d" height="%d"></canvas>
<script>
const slides = %s, W = %d, H = %d, SLIDE_MS = %d;
const c = document.getElementById("c"), g = c.getContext("2d");
function draw(i, t) {
  const [title, lines, colour] = slides[i];
  g.fillStyle = colour; g.fillRect(0, 0, W, H);
  // a slow band across the slide: the loop is visibly moving, and cheap to encode
  g.fillStyle = "rgba(255,255,255,0.12)";
  g.beginPath(); g.arc(W * (0.15 + 0.7 * t), H * 0.85, 160, 0, 2 * Math.PI); g.fill();
  g.fillStyle = "#f5b700"; g.fillRect(60, 70, 12, 110);
  g.fillStyle = "#fff"; g.font = "bold 64px 'DejaVu Sans', sans-serif";
  g.fillText(title, 96, 150);
  g.font = "40px 'DejaVu Sans', sans-serif";
  lines.forEach((line, k) => g.fillText(line, 96, 260 + k * 64));
}
window.still = (i) => { draw(i, 0.5); return c.toDataURL("image/png"); };
window.record = () => new Promise((resolve) => {
  const chunks = [], rec = new MediaRecorder(c.captureStream(10),
    { mimeType: "video/webm;codecs=vp8", videoBitsPerSecond: 90000 });
  rec.ondataavailable = (e) => chunks.push(e.data);
  rec.onstop = async () => {
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let s = ""; bytes.forEach((b) => { s += String.fromCharCode(b); });
    resolve(btoa(s));
  };
  const start = performance.now(), total = SLIDE_MS * slides.length;
  (function frame() {
    const ms = performance.now() - start;
    if (ms >= total) { rec.stop(); return; }
    const i = Math.floor(ms / SLIDE_MS);
    draw(i, (ms %% SLIDE_MS) / SLIDE_MS);
    requestAnimationFrame(frame);
  })();
  rec.start();
});
</script></body></html>"""


async def main() -> None:
    html = PAGE % (WIDTH, HEIGHT, json.dumps(SLIDES), WIDTH, HEIGHT, SLIDE_MS)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM)
        page = await browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        await page.set_content(html)
        still = await page.evaluate("window.still(1)")
        (HERE / "alur-layanan.png").write_bytes(base64.b64decode(still.split(",", 1)[1]))
        video = await page.evaluate("window.record()")
        (HERE / "mpp-kutai-timur.webm").write_bytes(base64.b64decode(video))
        await browser.close()
    for name in ("mpp-kutai-timur.webm", "alur-layanan.png"):
        print(name, (HERE / name).stat().st_size, "bytes")


if __name__ == "__main__":
    asyncio.run(main())
