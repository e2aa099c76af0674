"""The web application: server-rendered pages (Jinja2, htmx) over the same library calls as the API.

Every script and style sheet is served from the package (``static/``); no request leaves the server.
"""
