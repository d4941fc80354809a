"""Release and grading of the course notebooks through nbgrader.

- :mod:`rnnlm.course.notebooks`: naming (``solutions/NN_topic.ipynb``, assignment ``NN``), canonical
  JSON, graded cells and exercises, solution-leak detection.
- :mod:`rnnlm.course.nbcourse`: one nbgrader course folder and the environment notebooks run in
  (fast mode, the ``python3`` kernel pinned to this interpreter).
- :mod:`rnnlm.course.release`: ``solutions/`` -> ``notebooks/`` (``rnnlm course release [--check]``).
- :mod:`rnnlm.course.grading`: a class's submissions -> gradebook, ``grades.csv``, feedback (``rnnlm grade``).
- :mod:`rnnlm.course.execute`, :mod:`rnnlm.course.demo`: run notebooks; ``rnnlm demo``.

Heavy imports (nbgrader, nbclient, nbformat) happen inside functions.
"""

from __future__ import annotations

from rnnlm.course.cli import default_paths, register_cli, repo_root

__all__ = ["default_paths", "register_cli", "repo_root"]
