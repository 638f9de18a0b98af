"""The CLI keeps jsonschema from building its optional IRI grammar (issue 18).

Importing jsonschema (under nbformat, papermill and nbconvert) imports ``rfc3987_syntax``
when it is installed, which builds a grammar: more than a second of CPU in every
``workbook reports`` run (python-jsonschema issue 1392). Each test runs a fresh interpreter,
so what this process imported does not count.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import TINY


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_without_the_cli_importing_jsonschema_builds_the_iri_grammar_the_cost_is_real():
    code = (
        "import sys, jsonschema\n"
        "print(sys.modules.get('rfc3987_syntax') is not None, "
        "'iri' in jsonschema.FormatChecker.checkers)"
    )
    assert _run(code) == "True True"


def test_a_cli_command_leaves_the_iri_grammar_out_and_notebooks_still_validate():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from helpers.cli import main\n"
        f"result = CliRunner().invoke(main, ['validate', {str(TINY)!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "import jsonschema, nbformat\n"
        "notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1 + 1')])\n"
        "nbformat.validate(notebook)\n"
        "print(sys.modules['rfc3987_syntax'] is None, "
        "'iri' in jsonschema.FormatChecker.checkers, 'date-time' in "
        "jsonschema.FormatChecker.checkers)"
    )
    assert _run(code) == "True False True"  # only the IRI checks are gone
