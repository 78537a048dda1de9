# nbconvert configuration loaded by scripts/run-notebooks.sh with --config.
#
# The tslab kernel reports a failed cell with an empty error name and value and writes the error
# itself to the cell's stderr stream, so nbconvert's own message shows only the cell source. This
# hook prints the cell number and that stderr text before nbconvert stops the run.
import sys


def report_cell_error(cell, cell_index, execute_reply):
    stderr = "".join(
        output.get("text", "")
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
    )
    content = execute_reply.get("content", {}) if execute_reply else {}
    error = ": ".join(part for part in (content.get("ename"), content.get("evalue")) if part)
    source_lines = cell.get("source", "").splitlines()

    first_line = source_lines[0] if source_lines else ""
    print(
        f"\nFAILED cell {cell_index + 1} (1-based, markdown cells counted; id {cell.get('id', '?')!r}; first line {first_line!r})",
        file=sys.stderr,
    )
    if error:
        print(error, file=sys.stderr)
    if stderr:
        print("--- cell stderr ---", file=sys.stderr)
        print(stderr.rstrip(), file=sys.stderr)
        print("-------------------", file=sys.stderr)


c.ExecutePreprocessor.on_cell_error = report_cell_error  # noqa: F821 (c is the config object nbconvert provides)
