"""Check the C headers (csrc/*.h) against the project's C style; exit 1 on any finding.

The style is the one .clang-format states. `clang-format --dry-run --Werror` itself is not the
check: the headers' dense macro bodies (several statements on a line, backslashes aligned
short of the column limit) would all be reformatted. This script checks the rules the code
follows everywhere instead:

  - at most 100 characters per line, no tabs, no trailing whitespace, one newline at the end;
  - an include guard named after the file (pyad_alloc.h: PYAD_ALLOC_H, kernels_index.h:
    PYAD_KERNELS_INDEX_H), closed on the last line;
  - /* */ comments only (no //: the headers are C99 without C++-style habits, MSVC's C mode);
  - the pointer star binds to the name (`char *p`, `(const double *)x`), never `char* p`;
  - a function definition's opening brace on a line of its own (not `f(...) {`);
  - a line continued with a backslash has a space before the backslash.

    python tools/check_c_style.py [FILE.h ...]     # default: csrc/*.h except EXCLUDE
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_LINE = 100
EXCLUDE = {"_gen_ops.h"}   # generated from csrc/op_table.py

_TYPES = r"(?:char|short|int|long|float|double|void|size_t|int64_t|int32_t|uint64_t|uint32_t|" \
         r"pyad_ssize_t|Py_ssize_t|PyObject|T|TA|TI|TO|S)"
_LEFT_STAR = re.compile(r"\b" + _TYPES + r"\*+[ \t]*[A-Za-z_)]")
# a function definition header at top level ending in its opening brace
_ATTACHED_FN_BRACE = re.compile(r"^(?:static|inline|extern|PYAD_\w+)\b[^=;]*\)\s*\{\s*\\?$")


def _strip_comments_and_strings(lines):
    """The lines with comment bodies and string literals blanked (same lengths)."""
    out, in_comment = [], False
    for line in lines:
        res, i = [], 0
        while i < len(line):
            if in_comment:
                j = line.find("*/", i)
                if j < 0:
                    res.append(" " * (len(line) - i))
                    i = len(line)
                else:
                    res.append(" " * (j + 2 - i))
                    i, in_comment = j + 2, False
            elif line.startswith("/*", i):
                in_comment = True
                res.append("  ")
                i += 2
            elif line[i] in "\"'":
                q, j = line[i], i + 1
                while j < len(line) and line[j] != q:
                    j += 2 if line[j] == "\\" else 1
                res.append(q + " " * (min(j, len(line)) - i - 1) + (q if j < len(line) else ""))
                i = j + 1
            else:
                res.append(line[i])
                i += 1
        out.append("".join(res))
    return out


def check(path):
    """The findings for one header, as 'path:line: message' strings."""
    text = path.read_bytes().decode("utf-8")
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    found = []

    def bad(n, msg):
        found.append(f"{rel}:{n}: {msg}")

    if not text.endswith("\n") or text.endswith("\n\n"):
        bad(text.count("\n"), "the file must end with exactly one newline")
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    code = _strip_comments_and_strings(lines)
    for n, (line, c) in enumerate(zip(lines, code), 1):
        if len(line) > MAX_LINE:
            bad(n, f"line too long ({len(line)} > {MAX_LINE} characters)")
        if "\t" in line:
            bad(n, "tab character (indent with spaces)")
        if line != line.rstrip():
            bad(n, "trailing whitespace")
        if "//" in c:
            bad(n, "// comment (use /* */)")
        if _LEFT_STAR.search(c):
            bad(n, "pointer star on the type (write `T *name`)")
        if _ATTACHED_FN_BRACE.match(c) and not c.lstrip().startswith("#"):
            bad(n, "a function definition's { goes on a line of its own")
        if line.endswith("\\") and len(line) > 1 and line[-2] != " ":
            bad(n, "no space before the line-continuation backslash")
    guard = re.sub(r"\W", "_", path.name).upper()
    guard = guard if guard.startswith("PYAD_") else "PYAD_" + guard
    directives = [(n, line.split()) for n, line in enumerate(code, 1) if line.startswith("#")]
    if (len(directives) < 2 or directives[0][1] != ["#ifndef", guard]
            or directives[1][1] != ["#define", guard]):
        bad(directives[0][0] if directives else 1,
            f"the first directives must be the include guard #ifndef/#define {guard}")
    last = max((n for n, line in enumerate(lines, 1) if line.strip()), default=1)
    if not lines or not lines[last - 1].startswith("#endif"):
        bad(last, f"the last line must close the include guard (#endif /* {guard} */)")
    return found


def main(argv):
    paths = ([pathlib.Path(a).resolve() for a in argv] if argv else
             sorted(p for p in (ROOT / "csrc").glob("*.h") if p.name not in EXCLUDE))
    found = [f for p in paths for f in check(p)]
    for f in found:
        print(f)
    print(f"check_c_style: {len(paths)} headers, {len(found)} findings", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
