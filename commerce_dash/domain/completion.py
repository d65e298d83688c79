"""Course completion criteria (spec 001 "Completion Criteria"): a pure decision.

A course is complete when its module requirement holds (all modules, a percentage of them,
or specific modules) or, for a course with steps (issue 17), every step was attended; the
named assessment (if any) reached the passing score, and the time spent reached the minimum
(if any). The answer says what is still missing, for people.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from commerce_dash.domain.errors import DomainError

__all__ = [
    "CompletionCriteria",
    "CompletionResult",
    "ModuleProgress",
    "Requirement",
    "describe_criteria",
    "evaluate_completion",
    "steps_missing",
    "validate_criteria",
]


class Requirement(StrEnum):
    ALL_MODULES = "all_modules"
    PERCENTAGE = "percentage"
    SPECIFIC_MODULES = "specific_modules"
    ALL_STEPS = "all_steps"  # every step of the course attended (a course with steps)


@dataclass(frozen=True)
class CompletionCriteria:
    requirement: Requirement = Requirement.ALL_MODULES
    min_percentage: int = 100  # whole percent, for PERCENTAGE
    required_modules: frozenset[int] = frozenset()  # module ids, for SPECIFIC_MODULES
    assessment_module: int | None = None  # the module whose score must pass
    passing_score: int | None = None  # whole percent
    min_minutes: int = 0
    valid_for_days: int = 0  # certificate expiry; 0 = never


@dataclass(frozen=True)
class ModuleProgress:
    module_id: int
    completed: bool
    score: int | None = None  # whole percent
    minutes: int = 0


@dataclass(frozen=True)
class CompletionResult:
    complete: bool
    percent_done: int  # completed modules / modules (ALL_STEPS: attended steps / steps), floored
    missing: tuple[str, ...] = field(default=())
    score: int | None = None


def validate_criteria(criteria: CompletionCriteria, module_ids: Sequence[int],
                      step_ids: Sequence[int] = ()) -> None:
    """Refuse criteria an admin could never see met, with the field to fix."""
    if criteria.requirement is Requirement.ALL_STEPS and not step_ids:
        raise DomainError("no_steps", "This course has no steps: add its steps before "
                          "requiring every step to be attended.", field="requirement")
    if not 1 <= criteria.min_percentage <= 100:
        raise DomainError("invalid_percentage", "The percentage is between 1 and 100.",
                          field="min_percentage")
    known = set(module_ids)
    if criteria.requirement is Requirement.SPECIFIC_MODULES:
        if not criteria.required_modules:
            raise DomainError("no_modules", "Choose the modules that must be completed.",
                              field="required_modules")
        if not criteria.required_modules <= known:
            raise DomainError("unknown_module", "A required module is not in this course.",
                              field="required_modules")
    if (criteria.passing_score is None) != (criteria.assessment_module is None):
        raise DomainError("assessment_incomplete",
                          "Name the assessment module and its passing score together.",
                          field="passing_score")
    if criteria.passing_score is not None and not 0 <= criteria.passing_score <= 100:
        raise DomainError("invalid_score", "The passing score is between 0 and 100.",
                          field="passing_score")
    if criteria.assessment_module is not None and criteria.assessment_module not in known:
        raise DomainError("unknown_module", "The assessment module is not in this course.",
                          field="assessment_module")
    if criteria.min_minutes < 0 or criteria.valid_for_days < 0:
        raise DomainError("invalid_duration", "Durations cannot be negative.",
                          field="min_minutes" if criteria.min_minutes < 0 else "valid_for_days")


def steps_missing(step_ids: Sequence[int], attended: Collection[int]) -> tuple[int, int]:
    """(steps not attended yet, steps of the course): "all steps attended" holds when the
    first is 0 and the course has steps."""
    steps = set(step_ids)
    return len(steps - set(attended)), len(steps)


def evaluate_completion(
    criteria: CompletionCriteria,
    module_ids: Sequence[int],
    progress: Mapping[int, ModuleProgress],
    *,
    step_ids: Sequence[int] = (),
    attended_steps: Collection[int] = frozenset(),
) -> CompletionResult:
    """Whether the learner's progress meets the course's criteria, and what is missing.

    ``step_ids`` and ``attended_steps`` (the course's steps, those the learner attended) are
    read only by the ALL_STEPS requirement, which takes the place of the module requirement.
    """
    modules = list(dict.fromkeys(module_ids))
    done = [m for m in modules if (p := progress.get(m)) is not None and p.completed]
    percent = (len(done) * 100) // len(modules) if modules else 0
    missing: list[str] = []
    if criteria.requirement is Requirement.ALL_STEPS:
        to_attend, total = steps_missing(step_ids, attended_steps)
        percent = ((total - to_attend) * 100) // total if total else 0
        if not total:
            missing.append("The course has no steps yet.")
        elif to_attend:
            missing.append(f"{to_attend} of {total} steps to attend.")
    elif not modules:
        missing.append("The course has no modules yet.")
    elif criteria.requirement is Requirement.ALL_MODULES and len(done) < len(modules):
        missing.append(f"{len(modules) - len(done)} of {len(modules)} modules to complete.")
    elif criteria.requirement is Requirement.PERCENTAGE and (
        len(done) * 100 < criteria.min_percentage * len(modules)
    ):
        missing.append(f"{criteria.min_percentage}% of the modules needed, {percent}% done.")
    elif criteria.requirement is Requirement.SPECIFIC_MODULES:
        left = sorted(criteria.required_modules - set(done))
        if left:
            missing.append(f"{len(left)} required module(s) to complete.")
    score = None
    if criteria.assessment_module is not None and criteria.passing_score is not None:
        assessment = progress.get(criteria.assessment_module)
        score = assessment.score if assessment is not None else None
        if score is None:
            missing.append("The assessment has no score yet.")
        elif score < criteria.passing_score:
            missing.append(f"Assessment score {score}% is below the passing "
                           f"{criteria.passing_score}%.")
    minutes = sum(p.minutes for m, p in progress.items() if m in set(modules))
    if minutes < criteria.min_minutes:
        missing.append(f"{criteria.min_minutes - minutes} more minute(s) of study needed.")
    return CompletionResult(not missing, percent, tuple(missing), score)


def describe_criteria(criteria: CompletionCriteria, module_titles: Mapping[int, str]) -> str:
    """The rule in one sentence for learners and admins."""
    if criteria.requirement is Requirement.PERCENTAGE:
        parts = [f"complete {criteria.min_percentage}% of the modules"]
    elif criteria.requirement is Requirement.SPECIFIC_MODULES:
        names = [module_titles.get(m, f"module {m}") for m in sorted(criteria.required_modules)]
        parts = [f"complete {', '.join(names)}"]
    elif criteria.requirement is Requirement.ALL_STEPS:
        parts = ["attend every step"]
    else:
        parts = ["complete every module"]
    if criteria.assessment_module is not None and criteria.passing_score is not None:
        name = module_titles.get(criteria.assessment_module, "the assessment")
        parts.append(f"score at least {criteria.passing_score}% in {name}")
    if criteria.min_minutes:
        parts.append(f"study at least {criteria.min_minutes} minutes")
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    sentence = text[0].upper() + text[1:] + "."
    if criteria.valid_for_days:
        sentence += f" The certificate is valid for {criteria.valid_for_days} days."
    return sentence
