"""Keep the leaks of pyad._C from LeakSanitizer's reports; fail if there are any.

    python tools/lsan_filter.py build/sanitize-address-undefined/reports

tools/sanitize.sh calls it after a PYAD_LEAKS=1 run. The interpreter, numpy and torch do not
free everything at exit, so a leak report of a Python process lists thousands of their blocks.
A leak counts as pyad's when a frame of the stack that allocated it is pyad's own code (the
generated build/cython/csrc/_C.c or a csrc/ header): a Buffer or Node that nobody freed, or a
Python object that _C created and never released. Excluded are blocks allocated while the
module initialises (__pyx_pymod_exec__C: type objects, interned strings and tables that live
as long as the interpreter and that CPython does not free at exit). Every other report (the
ones of other processes' stacks, Python's, numpy's, torch's) is only counted.
Also fails on any report that is not a leak (an ASan error in a subprocess, for instance).
"""

import re
import sys
from pathlib import Path

RECORD = re.compile(
    r"^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\) allocated from:")
FRAME = re.compile(r"^\s+#(\d+) 0x[0-9a-f]+ in (\S+)(.*)$")
MODULE_INIT = "__pyx_pymod_exec__C"


def is_pyad_frame(func, rest):
    return func.startswith("__pyx_") or "csrc/" in rest or "/pyad/_C." in rest


def records(text):
    """(header, [(func, rest)]) for each leak record of one report file."""
    header, frames = None, []
    for line in text.splitlines():
        m = RECORD.match(line)
        if m:
            if header:
                yield header, frames
            header, frames = line, []
            continue
        f = FRAME.match(line)
        if f and header:
            frames.append((f.group(2), f.group(3)))
        elif header and not line.strip():
            yield header, frames
            header, frames = None, []
    if header:
        yield header, frames


def main(report_dir):
    files = sorted(Path(report_dir).glob("*"))
    ours, others, other_bytes, errors = [], 0, 0, []
    for path in files:
        text = path.read_text(errors="replace")
        if "ERROR: LeakSanitizer" not in text:
            errors.append((path, text))
            continue
        for header, frames in records(text):
            if any(is_pyad_frame(f, r) for f, r in frames) and not any(
                    f == MODULE_INIT for f, _ in frames):
                ours.append((path, header, frames))
            else:
                others += 1
                other_bytes += int(RECORD.match(header).group(2))
    print(f"lsan_filter: {len(files)} report file(s); {others} leak record(s), {other_bytes} "
          f"bytes, not allocated by pyad._C (ignored); {len(ours)} by pyad._C")
    for path, header, frames in ours:
        print(f"\n{path.name}: {header}")
        for func, rest in frames[:25]:
            print(f"    {func}{rest}")
    for path, text in errors:
        print(f"\n{path.name}: not a leak report\n{text[:6000]}")
    return 1 if ours or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
