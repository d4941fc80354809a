"""Server configuration of the student JupyterLab (`make lab`, through lab/run).

lab/run puts this folder first on JUPYTER_CONFIG_PATH for that server only. nbgrader's instructor
server extensions (Formgrader, Courses) and its exchange client (Assignments: the kit's students
submit through their LMS, not an nbgrader exchange) are not loaded; Validate stays. An explicit
`False` here wins over the `True` that nbgrader's installation wrote in jupyter_server_config.d.
"""

c = get_config()  # noqa: F821 - provided by traitlets when the file is loaded

c.ServerApp.jpserver_extensions.update({
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.assignment_list": False,
})
