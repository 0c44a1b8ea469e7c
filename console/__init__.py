"""The web console for coordinators and safeguarding officers.

Server-rendered pages (Starlette and Jinja2) over the archive: a dashboard,
the safeguarding review queue, archive search, relationships and reports.
"""
