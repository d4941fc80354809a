"""Release and grading of the course notebooks through nbgrader.

- :mod:`rnnlm.course.notebooks`: naming (``solutions/NN_topic.ipynb``, assignment ``NN``), canonical
  JSON, graded cells and exercises, solution-leak detection.
- :mod:`rnnlm.course.nbcourse`: one nbgrader course folder and the environment notebooks run in
  (fast mode, the ``python3`` kernel pinned to this interpreter).
- :mod:`rnnlm.course.release`: ``solutions/`` -> ``notebooks/`` (``rnnlm course release [--check]``).
- :mod:`rnnlm.course.grading`: a class's submissions -> gradebook, ``grades.csv``, feedback (``rnnlm grade``).
- :mod:`rnnlm.course.execute`, :mod:`rnnlm.course.demo`: run notebooks; ``rnnlm demo``.
- :mod:`rnnlm.course.paths`: the course root (``--root``, ``$RNNLM_COURSE_ROOT``, else found from the
  working folder) and the paths under it; :mod:`rnnlm.course.lint`: ``rnnlm course lint``.
- :mod:`rnnlm.course.cli`: every course sub-command's parser; handlers dispatch to the modules above.

Heavy imports (nbgrader, nbclient, nbformat) happen inside functions.
"""

from __future__ import annotations

from rnnlm.course.cli import register_cli
from rnnlm.course.paths import CoursePaths, course_paths

__all__ = ["CoursePaths", "course_paths", "register_cli"]
