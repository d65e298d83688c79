"""Completion criteria: every kind of requirement and their edge cases."""

from __future__ import annotations

import pytest

from commerce_dash.domain.completion import (
    CompletionCriteria,
    ModuleProgress,
    Requirement,
    evaluate_completion,
    validate_criteria,
)
from commerce_dash.domain.errors import DomainError

MODULES = [11, 12, 13, 14, 15]


def done(*ids: int, minutes: int = 10, scores: dict[int, int] | None = None
         ) -> dict[int, ModuleProgress]:
    scores = scores or {}
    return {m: ModuleProgress(m, True, scores.get(m), minutes) for m in ids}


def test_all_modules() -> None:
    criteria = CompletionCriteria()
    assert evaluate_completion(criteria, MODULES, done(*MODULES)).complete
    partial = evaluate_completion(criteria, MODULES, done(11, 12))
    assert (partial.complete, partial.percent_done) == (False, 40)
    assert partial.missing == ("3 of 5 modules to complete.",)


def test_a_started_but_unfinished_module_does_not_count() -> None:
    progress = done(11, 12, 13, 14)
    progress[15] = ModuleProgress(15, False, None, 50)
    result = evaluate_completion(CompletionCriteria(), MODULES, progress)
    assert not result.complete and result.percent_done == 80


@pytest.mark.parametrize(("completed", "expected"), [(3, False), (4, True), (5, True)])
def test_percentage_boundary(completed: int, expected: bool) -> None:
    criteria = CompletionCriteria(Requirement.PERCENTAGE, min_percentage=80)
    result = evaluate_completion(criteria, MODULES, done(*MODULES[:completed]))
    assert result.complete is expected
    if not expected:
        assert result.missing == ("80% of the modules needed, 60% done.",)


def test_percentage_is_exact_in_integers() -> None:
    # 2 of 3 modules is 66.66..%: it meets 66% and misses 67%
    three = [1, 2, 3]
    assert evaluate_completion(CompletionCriteria(Requirement.PERCENTAGE, 66), three,
                               done(1, 2)).complete
    assert not evaluate_completion(CompletionCriteria(Requirement.PERCENTAGE, 67), three,
                                   done(1, 2)).complete


def test_specific_modules() -> None:
    criteria = CompletionCriteria(Requirement.SPECIFIC_MODULES,
                                  required_modules=frozenset({12, 15}))
    assert evaluate_completion(criteria, MODULES, done(12, 15)).complete
    result = evaluate_completion(criteria, MODULES, done(11, 12, 13, 14))
    assert result.missing == ("1 required module(s) to complete.",)


def test_passing_score_on_the_named_assessment() -> None:
    criteria = CompletionCriteria(assessment_module=15, passing_score=70)
    assert evaluate_completion(criteria, MODULES, done(*MODULES, scores={15: 70})).complete
    low = evaluate_completion(criteria, MODULES, done(*MODULES, scores={15: 69}))
    assert low.missing == ("Assessment score 69% is below the passing 70%.",)
    assert low.score == 69
    unscored = evaluate_completion(criteria, MODULES, done(*MODULES))
    assert unscored.missing == ("The assessment has no score yet.",)


def test_minimum_time_counts_only_this_courses_modules() -> None:
    criteria = CompletionCriteria(min_minutes=60)
    progress = done(*MODULES, minutes=11)  # 55 minutes
    progress[99] = ModuleProgress(99, True, None, 500)  # another course's module
    result = evaluate_completion(criteria, MODULES, progress)
    assert result.missing == ("5 more minute(s) of study needed.",)
    assert evaluate_completion(criteria, MODULES, done(*MODULES, minutes=12)).complete


def test_a_course_without_modules_is_never_complete() -> None:
    result = evaluate_completion(CompletionCriteria(), [], {})
    assert not result.complete and result.missing == ("The course has no modules yet.",)


def test_several_things_missing_are_all_listed() -> None:
    criteria = CompletionCriteria(assessment_module=15, passing_score=80, min_minutes=100)
    result = evaluate_completion(criteria, MODULES, done(11, scores={15: 90}))
    assert len(result.missing) == 3


@pytest.mark.parametrize(("criteria", "field"), [
    (CompletionCriteria(Requirement.PERCENTAGE, 0), "min_percentage"),
    (CompletionCriteria(Requirement.SPECIFIC_MODULES), "required_modules"),
    (CompletionCriteria(Requirement.SPECIFIC_MODULES, required_modules=frozenset({99})),
     "required_modules"),
    (CompletionCriteria(passing_score=50), "passing_score"),
    (CompletionCriteria(assessment_module=11, passing_score=101), "passing_score"),
    (CompletionCriteria(assessment_module=99, passing_score=50), "assessment_module"),
    (CompletionCriteria(min_minutes=-1), "min_minutes"),
    (CompletionCriteria(valid_for_days=-1), "valid_for_days"),
])
def test_criteria_an_admin_could_never_meet_are_refused(criteria: CompletionCriteria,
                                                        field: str) -> None:
    with pytest.raises(DomainError) as err:
        validate_criteria(criteria, MODULES)
    assert err.value.field == field
