"""Certificate PDFs read back as a verifier or a learner would: the text, the page, the QR
code, the images, the revoked mark; and the check of uploaded images. No database."""

from __future__ import annotations

import dataclasses
from datetime import date
from io import BytesIO

import pypdf
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from commerce_dash.domain.certificate_design import (
    CertificateFacts,
    Signature,
    TemplateDesign,
)
from commerce_dash.domain.errors import DomainError
from commerce_dash.services.learning.certificate_fonts import FACES, faces_for
from commerce_dash.services.learning.certificate_images import inspect_image
from commerce_dash.services.learning.certificate_pdf import render_certificate_pdf
from commerce_dash.services.learning.certificate_preview import render_preview_png, sample_facts

A4_LONG, A4_SHORT = 841.89, 595.28


def _image(kind: str, size: tuple[int, int] = (120, 60), colour: str = "#1f4e79") -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).ellipse((5, 5, size[0] - 5, size[1] - 5), fill=colour)
    out = BytesIO()
    image.save(out, format=kind)
    return out.getvalue()


def _text(pdf: bytes) -> str:
    return pypdf.PdfReader(BytesIO(pdf)).pages[0].extract_text()


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def facts() -> CertificateFacts:
    return dataclasses.replace(
        sample_facts("https://learn.example.edu/verify"),
        number="CERT-2026-7KQ2M9XW4TB",
        verification_url="https://learn.example.edu/verify/CERT-2026-7KQ2M9XW4TB",
        expires_on=date(2029, 11, 22),
    )


@pytest.fixture
def design_with_two_signatures() -> TemplateDesign:
    return TemplateDesign(
        title_text="{{certificateTitle}}",
        footer_text="Issued by {{departmentName}} on {{issueDate}}.",
        signatures=(Signature("Dr. Jane Smith", "Dean, School of Data"),
                    Signature("Prof. Ravi Patel", "Programme Director")),
    )


def test_the_pdf_names_the_learner_course_number_and_verification_address(
    facts: CertificateFacts, design_with_two_signatures: TemplateDesign
) -> None:
    # when
    pdf = render_certificate_pdf(facts, design_with_two_signatures)
    # then
    reader = pypdf.PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    text = _flat(reader.pages[0].extract_text())
    for expected in ("Alex Morgan", "Data Analysis with Python", "CERT-2026-7KQ2M9XW4TB",
                     "https://learn.example.edu/verify/CERT-2026-7KQ2M9XW4TB",
                     "Completed on 20 November 2026", "Grade A", "Score 92%",
                     "Valid until 22 November 2029", "SCHOOL OF DATA"):
        assert expected in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Certificate of Completion — CERT-2026-7KQ2M9XW4TB"
    assert reader.metadata.author == "School of Data"
    assert reader.metadata.subject == "Data Analysis with Python"


def test_the_verification_address_is_a_clickable_link(
    facts: CertificateFacts, design_with_two_signatures: TemplateDesign
) -> None:
    pdf = render_certificate_pdf(facts, design_with_two_signatures)
    page = pypdf.PdfReader(BytesIO(pdf)).pages[0]
    links = [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", [])
             if a.get_object().get("/Subtype") == "/Link"]
    assert links and set(links) == {facts.verification_url}


@pytest.mark.parametrize(("orientation", "width", "height"),
                         [("landscape", A4_LONG, A4_SHORT), ("portrait", A4_SHORT, A4_LONG)])
def test_the_page_is_a4_in_the_chosen_orientation(
    facts: CertificateFacts, orientation: str, width: float, height: float
) -> None:
    pdf = render_certificate_pdf(facts, TemplateDesign(orientation=orientation))
    box = pypdf.PdfReader(BytesIO(pdf)).pages[0].mediabox
    assert float(box.width) == pytest.approx(width, abs=0.5)
    assert float(box.height) == pytest.approx(height, abs=0.5)


def test_variables_in_title_body_and_footer_are_filled(facts: CertificateFacts) -> None:
    # given
    design = TemplateDesign(
        title_text="{{ certificateTitle }} in {{courseTitle}}",
        body_text="Awarded to {{recipientName}} ({{grade}}, {{percentage}}) by "
                  "{{departmentName}}; number {{certificateNumber}}.",
        footer_text="Issued {{issueDate}}, expires {{expiryDate}}.",
    )
    # when
    text = _flat(_text(render_certificate_pdf(facts, design)))
    # then
    assert "{{" not in text and "}}" not in text
    assert "Certificate of Completion in Data Analysis with Python" in text
    assert "Awarded to Alex Morgan (A, 92%) by School of Data; number CERT-2026-7KQ2M9XW4TB." in text
    assert "Issued 22 November 2026, expires 22 November 2029." in text


def test_user_text_is_printed_literally_not_as_markup(facts: CertificateFacts) -> None:
    facts = dataclasses.replace(facts, recipient_name="Ann <b>O'Neil</b> & Co")
    text = _flat(_text(render_certificate_pdf(facts, TemplateDesign())))
    assert "Ann <b>O'Neil</b> & Co" in text


def test_three_signatures_print_their_names_and_titles(facts: CertificateFacts) -> None:
    # given
    signatures = (
        Signature("Dr. Jane Smith", "Dean, School of Data", _image("PNG")),
        Signature("Prof. Ravi Patel", "Programme Director", _image("JPEG")),
        Signature("Maria Lopez", "Head of Continuing Education and Professional Development"),
    )
    # when
    text = _flat(_text(render_certificate_pdf(facts, TemplateDesign(signatures=signatures))))
    # then
    for signature in signatures:
        assert signature.name in text
    assert "Dean, School of Data" in text and "Programme Director" in text
    assert "Head of Continuing Education and" in text


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_the_qr_code_decodes_to_exactly_the_verification_address(
    facts: CertificateFacts, design_with_two_signatures: TemplateDesign, orientation: str
) -> None:
    # given: a background under the code, as a department might upload
    design = dataclasses.replace(design_with_two_signatures, orientation=orientation,
                                 background=_image("JPEG", (800, 560), "#d8c9a3"))
    pdf = render_certificate_pdf(facts, design)
    # when
    png = render_preview_png(pdf, width_px=1600)
    barcodes = zxingcpp.read_barcodes(Image.open(BytesIO(png)))
    # then
    assert [b.text for b in barcodes if b.format == zxingcpp.BarcodeFormat.QRCode] == [
        facts.verification_url]


def test_background_logo_and_signature_images_are_embedded(facts: CertificateFacts) -> None:
    # given
    design = TemplateDesign(
        background=_image("JPEG", (600, 420), "#f1ead8"),
        logo=_image("PNG", (300, 100)),
        signatures=(Signature("Dr. Jane Smith", "Dean", _image("PNG", (200, 60), "#000")),),
    )
    # when
    pdf = render_certificate_pdf(facts, design)
    # then
    page = pypdf.PdfReader(BytesIO(pdf)).pages[0]
    assert len(page.images) == 3
    assert "Alex Morgan" in page.extract_text()
    plain = render_certificate_pdf(facts, TemplateDesign())
    assert len(pypdf.PdfReader(BytesIO(plain)).pages[0].images) == 0


def test_an_image_that_cannot_be_decoded_is_left_out(facts: CertificateFacts) -> None:
    design = TemplateDesign(logo=b"\x89PNG not really", background=b"garbage")
    pdf = render_certificate_pdf(facts, design)
    page = pypdf.PdfReader(BytesIO(pdf)).pages[0]
    assert len(page.images) == 0 and "Alex Morgan" in page.extract_text()


def test_a_revoked_certificate_carries_the_revoked_mark(facts: CertificateFacts) -> None:
    revoked = render_certificate_pdf(dataclasses.replace(facts, revoked=True), TemplateDesign())
    valid = render_certificate_pdf(facts, TemplateDesign())
    assert "REVOKED" in _text(revoked)
    assert "REVOKED" not in _text(valid)


def test_without_expiry_there_is_no_valid_until(facts: CertificateFacts) -> None:
    facts = dataclasses.replace(facts, expires_on=None, grade="", percentage=None)
    text = _flat(_text(render_certificate_pdf(facts, TemplateDesign())))
    assert "Valid until" not in text and "Grade" not in text and "Score" not in text
    assert "Issued 22 November 2026" in text


def test_a_long_body_and_course_title_still_fit_on_one_page(facts: CertificateFacts) -> None:
    # given
    facts = dataclasses.replace(
        facts, course_title="Advanced Machine Learning Engineering for Production Systems: "
                            "From Prototypes to Reliable Services at Scale")
    body = ("{{recipientName}} completed {{courseTitle}} with distinction. " * 8)[:1000]
    design = TemplateDesign(orientation="portrait", body_text=body, footer_text="x" * 300,
                            signatures=(Signature("A"), Signature("B"), Signature("C")))
    # when
    pdf = render_certificate_pdf(facts, design)
    # then
    reader = pypdf.PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    text = _flat(reader.pages[0].extract_text())
    assert text.count("with distinction") >= 5
    assert facts.verification_url in text


def test_an_invalid_design_is_refused(facts: CertificateFacts) -> None:
    with pytest.raises(DomainError) as refused:
        render_certificate_pdf(facts, TemplateDesign(primary_color="blue"))
    assert refused.value.field == "primary_color"


def test_the_same_facts_give_the_same_pdf(facts: CertificateFacts) -> None:
    assert render_certificate_pdf(facts, TemplateDesign()) == render_certificate_pdf(
        facts, TemplateDesign())


@pytest.mark.parametrize(("orientation", "ratio"),
                         [("landscape", A4_SHORT / A4_LONG), ("portrait", A4_LONG / A4_SHORT)])
def test_the_preview_has_the_requested_width_and_the_page_aspect(
    facts: CertificateFacts, orientation: str, ratio: float
) -> None:
    pdf = render_certificate_pdf(facts, TemplateDesign(orientation=orientation))
    preview = Image.open(BytesIO(render_preview_png(pdf, width_px=733)))
    assert preview.format == "PNG"
    assert preview.width == 733
    assert preview.height == pytest.approx(733 * ratio, abs=1.5)


@pytest.mark.parametrize(("kind", "content_type"), [("PNG", "image/png"),
                                                    ("JPEG", "image/jpeg")])
def test_png_and_jpeg_uploads_are_accepted(kind: str, content_type: str) -> None:
    assert inspect_image(_image(kind, (320, 90))) == (content_type, 320, 90)


def _refusal(data: bytes, **limits: int) -> DomainError:
    with pytest.raises(DomainError) as refused:
        inspect_image(data, **limits)
    assert refused.value.code == "invalid_image"
    assert refused.value.field == "image"
    return refused.value


def test_a_gif_is_refused() -> None:
    assert "PNG or JPEG" in _refusal(_image("GIF")).message


def test_an_oversize_file_is_refused() -> None:
    assert "too large" in _refusal(_image("PNG", (200, 200)), max_bytes=100).message


def test_too_many_pixels_are_refused() -> None:
    assert "4000" in _refusal(_image("PNG", (4001, 10))).message


@pytest.mark.parametrize("data", [
    b"",
    b"not an image at all",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
    pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 30, id="jpeg-header-only"),
])
def test_empty_or_corrupt_bytes_are_refused(data: bytes) -> None:
    _refusal(data)


def test_a_truncated_png_is_refused() -> None:
    data = _image("PNG", (400, 400))
    _refusal(data[: len(data) // 2])


def test_sample_facts_point_at_the_verification_base() -> None:
    facts = sample_facts("https://learn.example.edu/verify/")
    assert facts.verification_url == f"https://learn.example.edu/verify/{facts.number}"
    assert facts.recipient_name and facts.course_title and facts.department_name


def test_letters_beyond_windows_1252_print_with_dejavu(facts: CertificateFacts) -> None:
    # given: the base fonts print "Ł" as a black box; DejaVu (installed by `make test`)
    # replaces them on such a page
    assert faces_for("Helvetica", ["Ł"]) != FACES["Helvetica"]
    facts = dataclasses.replace(facts, recipient_name="Łukasz Żółć Дмитрий")
    # when
    text = _flat(_text(render_certificate_pdf(facts, TemplateDesign(font="Times-Roman"))))
    # then
    assert "Łukasz Żółć Дмитрий" in text


def test_latin_1_pages_keep_the_base_fonts() -> None:
    assert faces_for("Times-Roman", ["José Núñez — Zoë"]) == FACES["Times-Roman"]
