"""``lrlab research adopt RUN CANDIDATE``: one candidate of a research run as a named preset.

Adoption is explicit: nothing a search or a confirmation finds changes the library until someone
runs this. It writes ``<name>.toml`` in the presets folder (:mod:`lrlab.schedulers.presets`), after
which ``make_scheduler("<name>", optimizer, total_steps=...)`` builds the candidate's schedule with
its arguments. The preset carries where it came from: the run folder, the candidate, its idea in
one sentence, its search value and rate scale, and the held-out verdict per task if it was
confirmed — or, if not, that it was not confirmed on held-out tasks.

Example::

    adopt(Path("runs/research"), "idea-1", "fast-cosine")   # a confirmed idea, by its label
    adopt(Path("runs/research"), "#7")                       # search candidate 7, by number
"""

from __future__ import annotations

import re
from pathlib import Path

from lrlab.research.findings import Findings, Idea, ResearchRunError, read_run, verdict_lines
from lrlab.schedulers.presets import save_preset
from lrlab.study.store import STORE_NAME


class CandidateError(ResearchRunError):
    """A candidate the run does not hold, or one without a complete result."""


def adopt(run_dir: Path, candidate: str, name: str | None = None, *, overwrite: bool = False) -> Path:
    """Save ``candidate`` of the research run in ``run_dir`` as preset ``name``; returns the preset's path.

    Args:
        run_dir: the research run folder (``lrlab research run`` wrote it).
        candidate: a confirmed idea's label (``idea-1``) or a search candidate's number (``7``, ``#7``).
        name: the preset's name (default ``<plan name>-<label>``, or ``<plan name>-candidate-<n>``).
        overwrite: replace a preset of that name.

    Refuses, in one line (:class:`CandidateError`, a ``ValueError``): an unknown run folder or
    candidate, and a candidate without a complete search result (pruned, failed, or unfinished).
    """
    run_dir = Path(run_dir)
    findings = read_run(run_dir, analysis=False)
    idea, number = _resolve(findings, str(candidate).strip())
    row = findings.candidate(number)
    if row is None and idea is None:
        known = ", ".join(f"#{c.number}" for c in findings.candidates) or "none yet"
        raise CandidateError(f"{run_dir}: no candidate #{number} (candidates: {known})")
    if row is not None and row.state != "complete":
        why = f": {row.error.strip().splitlines()[0]}" if row.error else ""
        complete = ", ".join(f"#{c.number}" for c in findings.candidates if c.state == "complete") or "none"
        raise CandidateError(f"{run_dir}: candidate #{number} is {row.state}{why}; it has no complete result to "
                             f"adopt (complete: {complete})")
    args = idea.args if idea is not None else row.args  # type: ignore[union-attr]
    lr_scale = idea.lr_scale if idea is not None else row.lr_scale  # type: ignore[union-attr]
    value = idea.value if idea is not None else row.value  # type: ignore[union-attr]
    label = idea.label if idea is not None else f"candidate-{number}"
    name = name if name is not None else f"{findings.plan.name}-{label}"
    return save_preset(name, findings.plan.schedule, args, lr_scale=lr_scale, overwrite=overwrite,
                       idea=_sentence(findings, args, idea), source=str(run_dir.resolve()),
                       candidate=(f"{idea.label} (search candidate #{number})" if idea is not None else f"#{number}"),
                       search_value=value, confirmed=idea is not None, verdict=_verdict(findings, idea, number))


def _resolve(findings: Findings, candidate: str) -> tuple[Idea | None, int]:
    """(the confirmed idea, the search candidate's number) that ``candidate`` names."""
    if re.fullmatch(r"#?\d+", candidate):
        number = int(candidate.lstrip("#"))
        return findings.idea_of(number), number
    idea = next((i for i in findings.ideas if i.label == candidate), None)
    if idea is None:
        labels = ", ".join(i.label for i in findings.ideas) or "none confirmed yet"
        raise CandidateError(f"{findings.run_dir}: no candidate {candidate!r}; give a confirmed idea's label "
                             f"({labels}) or a search candidate's number (#7)")
    return idea, idea.number


def _sentence(findings: Findings, args: dict, idea: Idea | None) -> str:
    if findings.plan.schedule == "composite":
        from lrlab.schedulers.composite import describe_idea

        return describe_idea(args)
    return idea.idea if idea is not None else f"{findings.plan.schedule} with {args}"


def _verdict(findings: Findings, idea: Idea | None, number: int) -> list[str]:
    """The held-out verdict lines of a confirmed idea, or why there are none."""
    if idea is None:
        return [f"not confirmed on held-out tasks: candidate #{number} was not among the top "
                f"{findings.plan.confirm.k} the search sent to the confirmation; its only evidence is the search "
                f"on {', '.join(t.key for t in findings.plan.search.tasks)}"]
    analysis = None
    if (findings.confirm_dir / STORE_NAME).is_file():
        from lrlab.analysis import analyze

        analysis = analyze(findings.confirm_dir)
    if analysis is None or idea.label not in analysis["proposed"]:
        return [f"not confirmed on held-out tasks yet: the confirmation of {idea.label} has no results"]
    lines = verdict_lines(analysis, idea.label)
    counts = analysis["counts"]
    if counts.get("pending") or counts.get("running"):
        lines.append(f"the confirmation is unfinished ({counts.get('pending', 0)} trial(s) pending, "
                     f"{counts.get('running', 0)} running): these verdicts may change")
    return lines
