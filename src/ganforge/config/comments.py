"""The comment beside (or above) each option of a config dataclass, read from its source.

Options are documented once, as comments in the dataclass that declares them (schema.py and
each family's options); `ganforge families NAME` shows them from there, so the words a user
reads and the code they describe cannot drift apart.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import io
import textwrap
import tokenize


@functools.cache
def option_comments(cls: type) -> dict[str, str]:
    """{field name: its comment} for a dataclass and the dataclasses it extends; a field
    without a comment is left out."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):  # a subclass's comment replaces its base's
        if dataclasses.is_dataclass(klass):
            found.update(_class_comments(klass))
    return found


def _class_comments(klass: type) -> dict[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):  # built at run time, or no source shipped: no comments
        return {}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    comments = {
        t.start[0]: t.string.lstrip("#").strip() for t in tokens if t.type == tokenize.COMMENT
    }
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body[0].body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        above, line = [], node.lineno - 1
        while line in comments and lines[line - 1].lstrip().startswith("#"):
            above.insert(0, comments[line])
            line -= 1
        text = " ".join([*above, comments.get(node.end_lineno, "")]).strip()
        if text:
            found[node.target.id] = text
    return found
