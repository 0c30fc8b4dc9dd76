"""The automated research loop (``lrlab research``): propose, search, confirm on held-out tasks.

It sits above :mod:`lrlab.study`, :mod:`lrlab.analysis` and :mod:`lrlab.report` and uses them as a
user would; nothing imports it.

* :mod:`~lrlab.research.plan` — a research plan (TOML, pydantic): the idea space, the search tasks
  and seeds, the sampler and its budget, pruning, K, the held-out tasks, the confirmation's seeds,
  tuning budget and baselines; every refusal before anything trains.
* :mod:`~lrlab.research.space` — the idea space: a schedule's ``search_space`` (``composite``'s by
  default), narrowed or fixed by the plan, plus the rate; sampled through Optuna, conditions
  (``when=``) honoured.
* :mod:`~lrlab.research.search` — the search: Optuna asks candidates generation by generation; each
  candidate's trials run on the search tasks and seeds through the study's executors; rungs of
  fewer epochs first, a pruner decides who goes on; every ask and tell in the store.
* :mod:`~lrlab.research.confirm` — the top K candidates as proposed schedules of a study (the
  comparison protocol) on held-out tasks and fresh seeds, run as ``lrlab run`` runs a plan.
* :mod:`~lrlab.research.findings` — a run folder read (read-only) for what follows: the candidates,
  the ideas, the confirmation's analysis, the goal check.
* :mod:`~lrlab.research.summary` and :mod:`~lrlab.research.report` — what was found: one report per
  confirmed candidate, and the research summary of every candidate.
* :mod:`~lrlab.research.adopt` — ``lrlab research adopt``: a candidate as a named preset.
* :mod:`~lrlab.research.run` — ``lrlab research run``: all of it, resumable, one writer.
"""
