"""Certificate designs: ``{{variable}}`` filling and the checks a template editor relies on."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from commerce_dash.domain.certificate_design import (
    MAX_BODY,
    MAX_SIGNATURES,
    VARIABLES,
    CertificateFacts,
    Signature,
    TemplateDesign,
    fill,
    format_date,
    unknown_variables,
    validate_design,
    variables_of,
)
from commerce_dash.domain.errors import DomainError


@pytest.fixture
def facts() -> CertificateFacts:
    return CertificateFacts(
        number="CERT-2026-7KQ2M9XW4TB",
        recipient_name="Alex Morgan",
        course_title="Data Analysis with Python",
        certificate_title="Certificate of Completion",
        department_name="School of Data",
        completed_on=date(2026, 11, 2),
        issued_on=date(2026, 11, 22),
        verification_url="https://learn.example.edu/verify/CERT-2026-7KQ2M9XW4TB",
    )


def _refused(design: TemplateDesign) -> DomainError:
    with pytest.raises(DomainError) as refused:
        validate_design(design)
    return refused.value


def test_every_variable_has_a_value_and_missing_facts_are_empty(
    facts: CertificateFacts,
) -> None:
    values = variables_of(facts)
    assert values.keys() == VARIABLES.keys()
    assert values["completionDate"] == "2 November 2026"
    assert values["expiryDate"] == "" and values["grade"] == "" and values["percentage"] == ""


def test_grade_percentage_and_expiry_are_printed_when_known(facts: CertificateFacts) -> None:
    values = variables_of(dataclasses.replace(facts, grade="B+", percentage=0,
                                              expires_on=date(2029, 1, 31)))
    assert (values["grade"], values["percentage"], values["expiryDate"]) == (
        "B+", "0%", "31 January 2029")


def test_fill_replaces_variables_with_or_without_spaces_inside_the_braces(
    facts: CertificateFacts,
) -> None:
    text = fill("{{recipientName}} / {{ courseTitle }} / {{certificateNumber}}",
                variables_of(facts))
    assert text == "Alex Morgan / Data Analysis with Python / CERT-2026-7KQ2M9XW4TB"


def test_fill_leaves_an_unknown_name_empty_and_other_braces_alone() -> None:
    assert fill("a{{nope}}b {single} {{ }} {{1x}}", {"x": "y"}) == "ab {single} {{ }} {{1x}}"


def test_fill_does_not_fill_a_value_a_second_time() -> None:
    assert fill("{{recipientName}}", {"recipientName": "{{grade}}", "grade": "A"}) == "{{grade}}"


def test_format_date_is_unambiguous_and_empty_for_none() -> None:
    assert format_date(date(2026, 3, 4)) == "4 March 2026"
    assert format_date(None) == ""


def test_the_default_design_is_valid() -> None:
    validate_design(TemplateDesign())
    assert unknown_variables(TemplateDesign().body_text) == []


@pytest.mark.parametrize("field", ["title_text", "body_text", "footer_text"])
def test_an_unknown_variable_is_refused_naming_the_field(field: str) -> None:
    error = _refused(dataclasses.replace(TemplateDesign(), **{field: "Hi {{studentName}}"}))
    assert (error.code, error.field) == ("unknown_variable", field)
    assert "{{studentName}}" in error.message and "{{recipientName}}" in error.message


@pytest.mark.parametrize("colour", ["blue", "#12345", "#1234567", "1f4e79", "#gg4e79", ""])
def test_a_colour_not_written_hash_rrggbb_is_refused(colour: str) -> None:
    error = _refused(TemplateDesign(primary_color=colour))
    assert (error.code, error.field) == ("invalid_colour", "primary_color")


def test_upper_case_hex_colours_are_accepted() -> None:
    validate_design(TemplateDesign(primary_color="#1F4E79"))


@pytest.mark.parametrize("orientation", ["Landscape", "square", ""])
def test_an_unknown_orientation_is_refused(orientation: str) -> None:
    error = _refused(TemplateDesign(orientation=orientation))
    assert (error.code, error.field) == ("invalid_orientation", "orientation")


def test_an_unknown_font_is_refused() -> None:
    error = _refused(TemplateDesign(font="Comic Sans"))
    assert (error.code, error.field) == ("invalid_font", "font")


def test_more_than_three_signatures_are_refused() -> None:
    four = tuple(Signature(f"Signer {n}") for n in range(MAX_SIGNATURES + 1))
    error = _refused(TemplateDesign(signatures=four))
    assert (error.code, error.field) == ("too_many_signatures", "signatures")
    validate_design(TemplateDesign(signatures=four[:MAX_SIGNATURES]))


def test_a_signature_needs_a_name_and_short_texts() -> None:
    assert _refused(TemplateDesign(signatures=(Signature("  "),))).code == (
        "signature_name_required")
    assert _refused(TemplateDesign(signatures=(Signature("A", "t" * 81),))).code == "too_long"


def test_title_and_body_are_required_and_bounded() -> None:
    error = _refused(TemplateDesign(title_text="   "))
    assert (error.code, error.field) == ("required", "title_text")
    error = _refused(TemplateDesign(body_text="x" * (MAX_BODY + 1)))
    assert (error.code, error.field) == ("too_long", "body_text")
    validate_design(TemplateDesign(body_text="x" * MAX_BODY, footer_text=""))
