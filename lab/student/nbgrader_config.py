"""nbgrader configuration of the student JupyterLab (`make lab`): what its Validate button reads.

Found through JUPYTER_CONFIG_PATH (lab/run), so nbgrader does not log "No nbgrader_config.py file
found". Validate runs the notebook like the grader does: the "python3" kernel (the kit's
interpreter), at most 120 s a cell (autograder/nbgrader_config.py).
"""

c = get_config()  # noqa: F821 - provided by traitlets when the file is loaded

c.Execute.kernel_name = "python3"
c.Execute.timeout = 120
c.Execute.startup_timeout = 120
