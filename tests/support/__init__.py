"""What the tests share: worlds, a served store, the command as a subprocess, paths, auth.

Test modules import from here (or take a fixture from `conftest.py`), never from one another.
Nothing here is a test.
"""
