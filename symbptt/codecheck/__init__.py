"""Checking students' BPTT code: run in a sandbox, compared with symbptt.compat, slips named.

Modules: apis (the three APIs as tables), instances (random test points), slips (the slip
catalogue and the RNN computed with each slip), worker (runs inside the sandbox), sandbox
(bubblewrap and limits), compare (relative errors), judge (one submission), report
(text, JSON, CSV) and command (the `symbptt check` front end for .py files).
"""
