"""Sphinx extension of the course book (listed in book/_config.yml, local_extensions).

Jupyter Book 1 always loads sphinx-thebe, which adds its inline configuration script
(``const THEBE_JS_URL = ...``) once per reading pass of the sources. A build that reads the
sources twice writes the script twice into every page, and the browser reports
"Identifier 'THEBE_JS_URL' has already been declared". The book launches no kernel (no thebe,
no launch buttons: it opens offline), so the thebe scripts are dropped from every page, and
any other script registered twice is written once. The pages open in light mode.
"""

from __future__ import annotations


def _is_thebe(js) -> bool:
    name = str(js)
    body = getattr(js, "attributes", {}).get("body", "") or ""
    return "thebe" in name.lower() or "THEBE_JS_URL" in body


def _key(js):
    attributes = getattr(js, "attributes", {}) or {}
    return str(js), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def tidy_scripts(app, pagename, templatename, context, doctree):
    kept, seen = [], set()
    for js in context.get("script_files", []):
        if _is_thebe(js) or _key(js) in seen:
            continue
        seen.add(_key(js))
        kept.append(js)
    # in place: the list is the builder's, which other handlers may still add to
    context["script_files"][:] = kept


def light_mode_by_default(app, config):
    """pydata-sphinx-theme logs "Got invalid theme mode" on a page opened from disk unless
    a default mode is set."""
    config.html_context.setdefault("default_mode", "light")


def setup(app):
    app.connect("config-inited", light_mode_by_default)
    app.connect("html-page-context", tidy_scripts, priority=900)  # after the others
    return {"parallel_read_safe": True, "parallel_write_safe": True}
