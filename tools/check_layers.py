"""The layers of pyad._C, checked: each file uses only names from its own layer or below.

pyad._C is one extension module (csrc/_C.pyx includes the .pxi files), so Cython itself lets
any file call any other. The layers are made visible by csrc/pyad/_C.pxd, which includes one
.pxd per layer; each declares the names (cdef functions, structs, enums, classes) that files of
other layers may use. This check fails, with file:line, when a file

  - uses a name that a HIGHER layer's .pxd declares (a lower layer calling up), or
  - uses a cdef name defined in a file of another layer that no .pxd declares (an interface
    used but not declared).

A top-level definition whose name a .pxd declares is checked as part of that .pxd's layer
(new_tensor is defined in tensor.pxi but belongs to the storage layer's interface). The body of
the Tensor class, its Python methods, is checked as the top layer (CLASS_LAYER): Cython keeps a
type's methods in one body, and they are the API (their fields are declared in layer_storage).
Names of the Python C API (Py*, PY_*) belong to no layer.
Token-based: comments and strings are dropped; names bound locally (parameters, cdef locals,
assignments, loop variables) shadow module names within their top-level block.

python tools/check_layers.py [csrc-dir]   (0: clean; 1: violations, listed)
"""
import importlib.util
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Bottom-up. Each layer: its .pxd (None: declares nothing others may use) and its files.
# The generated files are rendered from csrc/op_table.py in memory (gen_op_table.py).
LAYERS = [
    ("storage", "layer_storage.pxd", ["pyad_types.pxd", "numeric.pxi", "graph.pxi"]),
    ("ops", "layer_ops.pxd", ["ops.pxi", "cmath.pxi", "_gen_core.pxi",
                               "_gen_core_binary.pxi"]),
    ("engine", "layer_engine.pxd", ["engine.pxi", "autograd.pxi"]),
    ("tensor", "layer_tensor.pxd", ["tensor.pxi"]),
    ("api", None, ["_C.pyx", "bw_math.pxi", "_gen_ops.pxi", "ops_elementwise.pxi",
                   "_gen_binary.pxi",
                   "ops_reduce.pxi", "ops_shape.pxi", "ops_index.pxi", "ops_linalg.pxi",
                   "inplace.pxi", "fused.pxi", "interop.pxi", "function.pxi"]),
]
GENERATED = ("_gen_core.pxi", "_gen_ops.pxi", "_gen_binary.pxi", "_gen_core_binary.pxi")
# Files whose definitions are their layer's declarations as they stand: the C-level types and
# kernels, and the generated unary ids (written by gen_op_table.py, included by ops.pxi).
DECLARING = ("pyad_types.pxd", "_gen_core.pxi")

# The known violations, a lower layer using a name of a higher one: (file, name), each with
# why it stands. A new one fails the check; removing one's cause should remove its line too.
EXCEPTIONS = {
    # the AccumulateGrad node a leaf's gradient ends in is made by the graph layer
    # (accumulate_node), with opcode 0 and name 0 of the ops layer's tables
    ("graph.pxi", "OP_ACCUMULATE"), ("graph.pxi", "NAME_ACCUMULATE"),
    # releasing a custom Function's node calls its ctx._release (function.pxi's opcode)
    ("graph.pxi", "OP_PYFUNC"),
    # the core arithmetic's recorded backwards (generated) mask pow's 0 ** b and x ** 0 cases
    # with where and the generated masks of ops_elementwise.pxi
    ("_gen_core_binary.pxi", "t_where"), ("_gen_core_binary.pxi", "gen_mask"),
    ("_gen_core_binary.pxi", "gen_mask2"),
    # accumulating a leaf's first gradient under create_graph copies it as torch does
    # (CopyBackwards: clone, ops_shape.pxi; its name, inplace.pxi)
    ("engine.pxi", "t_clone"), ("engine.pxi", "NAME_COPY"),
    # t_getitem (basic indexing, a composite op) hands advanced and mixed keys to ops_index.pxi
    ("tensor.pxi", "walk_index"), ("tensor.pxi", "t_index_advanced"),
}

# Classes whose body (the Python methods) is checked as a given layer.
CLASS_LAYER = {"Tensor": "api"}
C_API = re.compile(r"Py[A-Z_]|PY_")
IDENT = re.compile(r"[A-Za-z_]\w*")
KEYWORDS = frozenset("""cdef cpdef ctypedef def class struct enum union extern from import cimport
    inline const noexcept nogil except return if elif else for while in not and or is None True
    False pass break continue with as try finally raise global nonlocal lambda yield del assert
    include public readonly api packed fused object bint int long double float char void short
    unsigned signed size_t Py_ssize_t list dict tuple str bytes self property""".split())


def strip(text):
    """The text with comments and string literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "'\"":
            q = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else c
            j = i + len(q)
            while j < n and not text.startswith(q, j):
                if text[j] == "\\":
                    j += 1
                elif text[j] == "\n" and len(q) == 1:
                    break
                j += 1
            j = min(n, j + len(q))
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_top(s, sep=","):
    """s split at sep outside brackets."""
    parts, depth, cur = [], 0, []
    for c in s:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return parts


def last_name(item):
    """The declared name of 'type name = default' / 'type* name[3]'."""
    item = split_top(item, "=")[0].split("[")[0]
    names = [m for m in IDENT.findall(item) if m not in ("const",)]
    return names[-1] if names else None


def signature(lines, i):
    """The text from line i's first '(' to its matching ')'."""
    text = "\n".join(lines[i:i + 30])
    start = text.find("(")
    depth = 0
    for j in range(start, len(text)):
        depth += text[j] == "("
        depth -= text[j] == ")"
        if depth == 0:
            return text[start + 1:j]
    return ""


def paren_groups(text):
    """The contents of each outermost (...) in text."""
    groups, depth, start = [], 0, 0
    for j, c in enumerate(text):
        if c == "(":
            depth += 1
            if depth == 1:
                start = j + 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                groups.append(text[start:j])
    return groups


def definitions(lines):
    """{name: line} of the module-level cdef names defined in a stripped file."""
    defs = {}
    block = None                 # 'enum' or 'extern' while inside such a block
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line[0] not in " \t":
            block = None
            m = re.match(r"(?:cdef|ctypedef)\s+(?:public\s+)?(?:class|struct|enum|union)"
                         r"\s+(\w+)", line)
            if m:
                defs.setdefault(m.group(1), i + 1)
            if re.match(r"cdef\s+(?:\w+\s+)?enum\b|ctypedef\s+enum\b", line):
                block = "enum"
                m = re.match(r"cdef\s+enum\s*:\s*(.+)", line)
                if m:
                    for item in split_top(m.group(1)):
                        if IDENT.match(item.strip()):
                            defs.setdefault(IDENT.match(item.strip()).group(), i + 1)
            elif re.match(r"cdef\s+extern\b", line):
                block = "extern"
            elif m:
                pass
            elif re.match(r"ctypedef\s", line):
                fp = re.search(r"\(\s*\*\s*(\w+)\s*\)", line)
                name = fp.group(1) if fp else last_name(line[len("ctypedef"):].rstrip(": "))
                if name:
                    defs.setdefault(name, i + 1)
            elif re.match(r"(?:cdef|cpdef)\s", line):
                head = line.split("(")[0] if "(" in line.split("=")[0] else None
                if head is not None:          # a function
                    name = IDENT.findall(head)[-1]
                    defs.setdefault(name, i + 1)
                else:                         # module variables
                    body = line.split(None, 1)[1]
                    for item in split_top(body):
                        name = last_name(item)
                        if name:
                            defs.setdefault(name, i + 1)
            elif re.match(r"DEF\s+(\w+)", line):
                defs.setdefault(re.match(r"DEF\s+(\w+)", line).group(1), i + 1)
        elif block == "enum":
            for item in split_top(line):
                m = IDENT.match(item.strip())
                if m:
                    defs.setdefault(m.group(), i + 1)
        elif block == "extern" and re.match(r"\s+\S", line):
            s = line.strip()
            if s.startswith(("enum:", "enum :")):
                for item in split_top(s.split(":", 1)[1]):
                    if IDENT.match(item.strip()):
                        defs.setdefault(IDENT.match(item.strip()).group(), i + 1)
            elif s.startswith(("ctypedef", "cdef", "struct", "enum")) or "(" in s or \
                    re.match(r"(?:const\s+)?\w+[\s*]+\w+(\[.*\])?$", s):
                fp = re.search(r"\(\s*\*\s*(\w+)\s*\)", s)
                head = s.split("(")[0]
                name = fp.group(1) if fp else (IDENT.findall(head) or [None])[-1]
                if name and name not in KEYWORDS:
                    defs.setdefault(name, i + 1)
    return defs


def local_names(lines, start, end):
    """Names bound inside the top-level block lines[start:end] (parameters, locals)."""
    bound = set()
    first = lines[start]
    if re.match(r"(?:cdef\s+extern|ctypedef|cdef\s+struct|cdef\s+enum)", first):
        text = "\n".join(lines[start:end])
        for group in paren_groups(text):
            bound.update(filter(None, (last_name(it.replace("*", " ")) for it in split_top(group))))
        for line in lines[start + 1:end]:
            fp = re.search(r"\(\s*\*\s*(\w+)\s*\)", line)
            name = fp.group(1) if fp else last_name(line.split("(")[0])
            if name:
                bound.add(name)
        return bound
    if re.match(r"(?:cdef|cpdef|def)\s", first) and "(" in first.split("=")[0]:
        for item in split_top(signature(lines, start)):
            name = last_name(item.replace("*", " "))
            if name:
                bound.add(name)
    for line in lines[start + 1:end]:
        s = line.strip()
        m = re.match(r"cdef\s+(.*)", s)
        if m and not s.startswith(("cdef class", "cdef extern")):
            items = split_top(m.group(1).rstrip(":"))
            bound.update(filter(None, [last_name(items[0])]))
            bound.update(filter(None, (last_name(it) for it in items[1:])))
        elif re.match(r"def\s+\w+\s*\(", s):
            bound.update(filter(None, (last_name(it) for it in split_top(signature([s], 0)))))
        m = re.match(r"([\w\s,]+?)\s*=[^=]", s)
        if m and not s.startswith(("cdef", "return", "if", "elif", "while")):
            bound.update(IDENT.findall(m.group(1)))
        for m in re.finditer(r"\bfor\s+([\w\s,]+?)\s+in\b", s):
            bound.update(IDENT.findall(m.group(1)))
        for m in re.finditer(r"\bas\s+(\w+)", s):
            bound.add(m.group(1))
        for m in re.finditer(r"\blambda\s+([\w\s,=]*):", s):
            bound.update(IDENT.findall(m.group(1)))
    return bound


def uses(lines):
    """(line, name) for each name used (not an attribute), with block-local names dropped."""
    starts = [i for i, ln in enumerate(lines) if ln.strip() and ln[0] not in " \t"]
    starts.append(len(lines))
    for a, b in zip(starts, starts[1:]):
        bound = local_names(lines, a, b)
        for i in range(a, b):
            for m in IDENT.finditer(lines[i]):
                name = m.group()
                before = lines[i][:m.start()].rstrip()
                if name in bound or name in KEYWORDS or before.endswith("."):
                    continue
                yield a, i + 1, name


def generated_texts(csrc):
    """The generated .pxi files, rendered from the op table as the build writes them."""
    spec = importlib.util.spec_from_file_location("gen_op_table",
                                                  os.path.join(csrc, "gen_op_table.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen.render_pxis(gen.build())


def check(csrc, layers=LAYERS, exceptions=EXCEPTIONS, out=sys.stdout):
    """The number of violations in csrc (each printed as file:line: message)."""
    level = {}                               # file -> layer index
    texts = {}
    gen = None
    for k, (_, pxd, files) in enumerate(layers):
        for f in files + ([pxd] if pxd else []):
            level[f] = k
            path = os.path.join(csrc, f)
            if f in GENERATED and not os.path.exists(os.path.join(csrc, "gen_op_table.py")):
                continue
            if f in GENERATED:
                gen = gen or generated_texts(csrc)
                texts[f] = gen[f]
            else:
                texts[f] = open(path).read()
    declared = {}                            # name -> layer index of the .pxd declaring it
    for k, (_, pxd, _) in enumerate(layers):
        if pxd:
            for name in definitions(strip(open(os.path.join(csrc, pxd)).read()).split("\n")):
                declared.setdefault(name, k)
    for f in DECLARING:
        for name in definitions(strip(texts.get(f, "")).split("\n")):
            declared.setdefault(name, level.get(f, 0))
    defined = {}                             # name -> (file, line)
    stripped = {f: strip(t).split("\n") for f, t in texts.items()}
    for f, lines in stripped.items():
        for name, ln in definitions(lines).items():
            defined.setdefault(name, (f, ln))
    bad = 0
    for f in sorted(os.listdir(csrc)):      # every Cython file has a layer
        if f.endswith((".pxi", ".pyx", ".pxd")) and f not in level:
            bad += 1
            print(f"{os.path.join(csrc, f)}:1: in no layer of tools/check_layers.py", file=out)
    for f, lines in stripped.items():
        own = definitions(lines)
        names = [x for x, _, _ in layers]
        for start, ln, name in uses(lines):
            here = level[f]
            head = [n for n, d in own.items() if d == start + 1]
            cls = re.match(r"cdef\s+class\s+(\w+)", lines[start])
            if cls and cls.group(1) in CLASS_LAYER:
                here = names.index(CLASS_LAYER[cls.group(1)])
            elif head and head[0] in declared and f not in DECLARING and not cls:
                here = declared[head[0]]     # a declared definition sits in its .pxd's layer
            if (f, name) in exceptions or C_API.match(name):
                continue
            if name in declared:
                if declared[name] > here:
                    bad += 1
                    print(f"{os.path.join(csrc, f)}:{ln}: {name} is declared by "
                          f"{layers[declared[name]][1]} ({layers[declared[name]][0]}), "
                          f"a layer above {layers[here][0]}", file=out)
            elif name in defined and level[defined[name][0]] != here:
                g, gl = defined[name]
                bad += 1
                print(f"{os.path.join(csrc, f)}:{ln}: {name} ({g}:{gl}, layer "
                      f"{layers[level[g]][0]}) is used by layer {layers[here][0]} but "
                      f"declared in no .pxd", file=out)
    return bad


if __name__ == "__main__":
    csrc = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "csrc")
    n = check(os.path.normpath(csrc))
    if n:
        print(f"{n} layering violation(s): see tools/check_layers.py and ARCHITECTURE.md")
    sys.exit(1 if n else 0)
