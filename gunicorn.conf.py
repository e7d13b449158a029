"""Gunicorn settings every way of serving shares (`make run`, the Dockerfile, compose): read from the working directory.

The access log names the path without its query string: a search box's text (a person's name) must not reach logs
that are kept and shipped elsewhere.
"""

access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
