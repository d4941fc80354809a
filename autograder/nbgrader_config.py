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
# Student code runs in rnnlm's sandbox (limits, isolation, faults become error outputs; see
# autograder/README.md): nbgrader's list with Execute replaced by SandboxedExecute.
c.Autograde.autograde_preprocessors = [
    "rnnlm.course.sandbox.SandboxedExecute",
    # A warning on stderr in a test cell is shown as a note, not scored as a failure (nbgrader's rule).
    "rnnlm.course.feedback.StderrIsNotAFailure",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# -- feedback ----------------------------------------------------------------------------------
# Feedback shows each test's outcome but not the source of hidden tests: a failure raised on a
# hidden line reads "a hidden test failed", other tracebacks lose any line of hidden code.
# Remove HideHiddenTestFailures and ClearHiddenTests to show hidden tests in full.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "rnnlm.course.feedback.HideHiddenTestFailures",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
