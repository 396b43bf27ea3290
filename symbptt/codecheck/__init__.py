"""Checking students' BPTT code: run in a sandbox, compared with symbptt.compat, slips named.

Modules: apis and apis_lstm (the three APIs as tables), calls (the calls and checks of one
file), instances (random test points), slips and slips_lstm (the slip catalogue and the
networks computed with each slip), worker (runs inside the sandbox), sandbox (bubblewrap and
limits), compare (relative errors), judge (one submission), report (text, JSON, CSV),
gradescope (results.json) and command (the `symbptt check` front end for .py files and folders).
"""
