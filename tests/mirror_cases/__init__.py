"""Cases that prove each notebook's mirrored definitions equal to the package's.

One module per notebook, ``nbNN.py``, with ``CASES = {"course_utils.mod.name": check}`` where
``check(notebook_obj, package_obj)`` runs both on the same inputs and asserts they agree (see
``tests/test_mirrors.py``). A module may also hold ``SURVIVING_MUTANTS = {("course_utils.mod.name",
"kind"): "why this change cannot alter the result"}`` for a mutant that is equivalent by design.
"""
