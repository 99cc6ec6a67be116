"""Spec-to-Python code generator (dev-time only).

Pipeline: :mod:`codegen.loader` reads the ``.ksy`` files, :mod:`codegen.model` turns them into a
validated model (errors are :class:`codegen.errors.SpecError`), :mod:`codegen.plan` turns struct
types into Python statements, and :mod:`codegen.render` renders the Jinja2 templates into modules
for ``generated/``. Never imports ``chdkptp``.
"""
