"""nbgrader configuration of the rnnlm course.

`rnnlm course release`, `rnnlm grade` and `rnnlm demo` load this file and copy it into every course
folder they build, so `nbgrader ...` or the formgrader started inside such a folder behave the same.
The course root is the folder nbgrader runs in (the tools set it), with nbgrader's usual layout:
source/NN/NN_topic.ipynb, release/, submitted/<student>/NN/, autograded/, feedback/, gradebook.db.
The tools also run every notebook with RNNLM_FAST=1 and pin the "python3" kernel to the interpreter
that runs them (see rnnlm.course.nbcourse.notebook_environment).
"""

c = get_config()  # noqa: F821 - provided by traitlets when the file is loaded

# -- student version ---------------------------------------------------------------------------
# What replaces "### BEGIN SOLUTION ... ### END SOLUTION" and written answers.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Create the assignment in the gradebook when generating it (as the Python API does).
c.GenerateAssignment.create_assignment = True

# -- autograding -------------------------------------------------------------------------------
# Always the "python3" kernel, whatever the submitted notebook's metadata says.
c.Execute.kernel_name = "python3"
# Per-cell limit in seconds (a whole notebook takes at most 90 s in fast mode; a slow but correct
# student implementation still gets room). A cell that runs longer is interrupted and scores zero.
c.Execute.timeout = 120
c.Execute.startup_timeout = 120
# Students are created by `rnnlm grade` (and on the fly by `nbgrader autograde`).
c.Autograde.create_student = True

# -- feedback ----------------------------------------------------------------------------------
# Feedback shows each test's outcome but not the source of hidden tests (a failing hidden
# assertion's traceback still shows that line). Remove ClearHiddenTests to show them in full.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
