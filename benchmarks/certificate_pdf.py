"""Certificate PDF rendering speed, in-process: no database, no server.

Renders N certificates (a different learner and number each) with a realistic design: a
1754 x 1240 JPEG background (A4 at 150 dpi), a PNG logo with transparency and two signatures
with PNG images, landscape. Also renders the same certificates with the plain default design
(no images), and, as the baseline in the same run, N bare reportlab pages holding one line of
text. Reports PDFs per second (median, min and max over the runs), the ratio of a
certificate's time to the bare page's, the median PDF size, and the time of the PNG preview
(``render_preview_png``, 1000 px wide). Writes benchmarks/results/certificate_pdf.json.

    .venv/bin/python benchmarks/certificate_pdf.py [--certificates 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import time
from collections.abc import Callable
from io import BytesIO

from harness import RESULTS, ROOT
from PIL import Image, ImageDraw

PREVIEW_CALLS = 20


def _encoded(image: Image.Image, kind: str, **options: int) -> bytes:
    out = BytesIO()
    image.save(out, format=kind, **options)
    return out.getvalue()


def realistic_design() -> object:
    """A landscape design as a department would upload it (images drawn here, fixed)."""
    from commerce_dash.domain.certificate_design import Signature, TemplateDesign

    background = Image.new("RGB", (1754, 1240), (252, 250, 244))
    draw = ImageDraw.Draw(background)
    for x in range(-1240, 1754, 48):  # diagonal guilloche-like stripes
        draw.line((x, 0, x + 1240, 1240), fill=(244, 238, 224), width=14)
    logo = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((10, 10, 190, 190), fill=(31, 78, 121, 255))
    ImageDraw.Draw(logo).rectangle((220, 70, 580, 130), fill=(31, 78, 121, 255))

    def signature(seed: int) -> bytes:
        image = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
        points = [(20 + i * 22, 90 + ((i * seed) % 7 - 3) * 12) for i in range(20)]
        ImageDraw.Draw(image).line(points, fill=(20, 30, 80, 255), width=5)
        return _encoded(image, "PNG")

    return TemplateDesign(
        footer_text="Issued by {{departmentName}}. Verify at {{verificationUrl}}.",
        signatures=(Signature("Dr. Jane Smith", "Dean, School of Data", signature(3)),
                    Signature("Prof. Ravi Patel", "Programme Director", signature(5))),
        background=_encoded(background, "JPEG", quality=85),
        logo=_encoded(logo, "PNG"),
    )


def bare_page(n: int) -> bytes:
    """The baseline: a reportlab A4 page with one line of text."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen.canvas import Canvas

    out = BytesIO()
    canvas = Canvas(out, pagesize=landscape(A4), invariant=1, pageCompression=1)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(72, 500, f"Certificate CERT-2026-{n:011d}")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def timed(render: Callable[[int], bytes], count: int) -> tuple[float, list[int]]:
    started = time.perf_counter()
    sizes = [len(render(n)) for n in range(count)]
    return time.perf_counter() - started, sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--certificates", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from commerce_dash.domain.certificate_design import TemplateDesign
    from commerce_dash.services.learning.certificate_pdf import (
        render_certificate_pdf,
        render_preview_png,
        sample_facts,
    )

    design = realistic_design()
    base_facts = sample_facts("https://learn.example.edu/verify")

    def certificate(chosen: object) -> Callable[[int], bytes]:
        def render(n: int) -> bytes:
            number = f"CERT-2026-{n:011d}"
            facts = dataclasses.replace(
                base_facts, number=number, recipient_name=f"Learner Number {n}",
                verification_url=f"https://learn.example.edu/verify/{number}")
            return render_certificate_pdf(facts, chosen)  # type: ignore[arg-type]
        return render

    cases: dict[str, Callable[[int], bytes]] = {
        "bare page, one line of text": bare_page,
        "certificate, realistic design": certificate(design),
        "certificate, plain default design": certificate(TemplateDesign()),
    }
    for render in cases.values():  # warm-up: imports, font metrics, caches
        render(0)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    sizes: dict[str, list[int]] = {name: [] for name in cases}
    for run in range(args.runs):
        for name, render in cases.items():  # interleaved, so drift hits every case alike
            seconds, run_sizes = timed(render, args.certificates)
            results[name].append({"seconds": round(seconds, 3),
                                  "pdfs_per_s": round(args.certificates / seconds, 1)})
            sizes[name] += run_sizes
        print(f"round {run + 1}/{args.runs} done", flush=True)

    pdf = cases["certificate, realistic design"](1)
    preview_ms = []
    for _ in range(PREVIEW_CALLS):
        started = time.perf_counter()
        png = render_preview_png(pdf, width_px=1000)
        preview_ms.append((time.perf_counter() - started) * 1000)

    baseline = "bare page, one line of text"
    base_seconds = statistics.median(r["seconds"] for r in results[baseline])
    summary: dict[str, object] = {}
    print(f"\n{args.certificates} PDFs per run, {args.runs} runs\n"
          f"{'case':<36}{'PDFs/s':>9}{'min':>8}{'max':>8}{'ms/PDF':>9}{'x bare':>8}{'KB':>8}")
    for name, runs in results.items():
        rates = [r["pdfs_per_s"] for r in runs]
        seconds = statistics.median(r["seconds"] for r in runs)
        kb = statistics.median(sizes[name]) / 1024
        summary[name] = {
            "median_pdfs_per_s": round(statistics.median(rates), 1),
            "min_pdfs_per_s": min(rates), "max_pdfs_per_s": max(rates),
            "median_ms_per_pdf": round(seconds * 1000 / args.certificates, 2),
            "time_ratio_to_bare_page": round(seconds / base_seconds, 1),
            "median_pdf_kb": round(kb, 1), "runs": runs,
        }
        print(f"{name:<36}{statistics.median(rates):>9.1f}{min(rates):>8.1f}{max(rates):>8.1f}"
              f"{seconds * 1000 / args.certificates:>9.2f}{seconds / base_seconds:>8.1f}"
              f"{kb:>8.1f}")
    preview = {"width_px": 1000, "calls": PREVIEW_CALLS,
               "median_ms": round(statistics.median(preview_ms), 1),
               "min_ms": round(min(preview_ms), 1), "png_kb": round(len(png) / 1024, 1)}
    print(f"\npreview PNG of a realistic certificate, 1000 px wide: median "
          f"{preview['median_ms']} ms (min {preview['min_ms']}) over {PREVIEW_CALLS} calls, "
          f"{preview['png_kb']} KB")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "certificate_pdf.json"
    out.write_text(json.dumps({
        "benchmark": "certificate_pdf", "python": platform.python_version(),
        "certificates_per_run": args.certificates, "runs": args.runs, "baseline": baseline,
        "results": summary, "preview_png": preview,
    }, indent=2))
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
