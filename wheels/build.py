#!/usr/bin/env python3
"""Build, check and test pyad's sdist and a manylinux wheel on this machine, without Docker.

    python3 wheels/build.py          (Linux, Python >= 3.10, a C compiler and binutils)

Steps, each of which stops the run when it fails:
  tools    a virtual environment wheels/out/tools with the pinned tools of requirements.txt
  build    `python -m build`: the sdist, then the wheel built from the unpacked sdist (so the
           sdist is proven to build), with the environment of [tool.cibuildwheel.linux]
  sdist    it holds every tracked file the build and the tests need, and no build output
  wheel    `auditwheel show`, `auditwheel repair` (patchelf) to a manylinux tag; inside: pyad's
           .py files and one extension without debug info or run path, with AVX code only
           in the SIMD dispatch copies (section pyad_simd); < 1 MB
  twine    `twine check --strict` on both
  cibw     `cibuildwheel --print-build-identifiers` lists every intended wheel on Linux, macOS
           and Windows (CPython 3.10-3.14 on both architectures of each)
  test     a fresh virtual environment, `pip install "<wheel>[test]"`, and the whole suite run
           from copies of tests/ and examples/ in a temporary folder outside the source tree,
           with PYAD_EXPECT_INSTALLED=1 (tests/test_installed.py then fails if pyad was not
           imported from the environment's site-packages)

Output goes to wheels/out/ (git-ignored): tools/, dist/ (the sdist and the wheel as built),
wheelhouse/ (the repaired wheel), venv/ (the test environment) and build.log.
"""
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "wheels" / "out"
TOOLS = OUT / "tools"
# the developers' guide: the wheel stays under 2 MiB (nn, optim and the torch surface took it past
# the old 1,000,000-byte mark; the extension itself is about 0.9 MB of it)
MAX_WHEEL_BYTES = 2 * 1024 * 1024

# What the sdist must carry: these top-level files and every tracked file below these folders.
SDIST_FILES = {"setup.py", "pyproject.toml", "MANIFEST.in", "README.md", "ARCHITECTURE.md",
               "LICENSE"}
SDIST_DIRS = ("csrc/", "pyad/", "tests/", "examples/")

# The wheels cibuildwheel must list: CPython 3.10-3.14 on each platform's two architectures.
PYTHONS = ("cp310", "cp311", "cp312", "cp313", "cp314")
PLATFORM_TAGS = {
    "linux": ("manylinux_x86_64", "manylinux_aarch64"),
    "macos": ("macosx_x86_64", "macosx_arm64"),
    "windows": ("win_amd64", "win_arm64"),
}

# Flags that make a wheel non-portable or change float semantics (see setup.py).
BAD_FLAGS = ("-march=native", "-mtune=native", "-ffast-math", "-Ofast")


class Failed(Exception):
    pass


def step(name):
    print(f"\n=== wheels/build.py: {name} ===", flush=True)


def run(cmd, log=None, **kw):
    """Run cmd (printed first); with log, its output goes to that file (tail shown on error)."""
    print("$ " + shlex.join(str(c) for c in cmd), flush=True)
    if log is None:
        subprocess.run([str(c) for c in cmd], check=True, **kw)
        return
    with open(log, "a") as fh:
        proc = subprocess.run([str(c) for c in cmd], stdout=fh, stderr=subprocess.STDOUT, **kw)
    if proc.returncode:
        tail = Path(log).read_text(errors="replace").splitlines()[-60:]
        print("\n".join(tail))
        raise Failed(f"{cmd[0]} exited with {proc.returncode} (whole output in {log})")


def output(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True,
                          **kw).stdout


def check(condition, message):
    if not condition:
        raise Failed(message)


def source_version():
    text = (ROOT / "pyad" / "_version.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def make_tools():
    step("tools")
    cfg = TOOLS / "pyvenv.cfg"
    here = "%d.%d.%d" % sys.version_info[:3]
    if cfg.is_file() and f"version = {here}\n" not in cfg.read_text() + "\n":
        shutil.rmtree(TOOLS)  # made by another Python: the wheel must match the test venv
    if not (TOOLS / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", TOOLS])
    run([TOOLS / "bin" / "python", "-m", "pip", "install", "-q", "-r",
         ROOT / "wheels" / "requirements.txt"])


def build_env():
    """This environment plus [tool.cibuildwheel.linux].environment, as cibuildwheel sets it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extra = config["tool"]["cibuildwheel"]["linux"].get("environment", {})
    env = dict(os.environ)
    env.update({k: os.path.expandvars(v) for k, v in extra.items()})
    # patchelf (for auditwheel) is a binary in the tools environment
    env["PATH"] = str(TOOLS / "bin") + os.pathsep + env.get("PATH", "")
    print("build environment: " + " ".join(f"{k}={v!r}" for k, v in extra.items()))
    return env


def build(env):
    step("build: sdist, then the wheel from the sdist")
    for d in (OUT / "dist", OUT / "wheelhouse"):
        shutil.rmtree(d, ignore_errors=True)
    log = OUT / "build.log"
    log.unlink(missing_ok=True)
    run([TOOLS / "bin" / "python", "-m", "build", "--outdir", OUT / "dist", ROOT], log=log,
        env=env)
    sdists = sorted((OUT / "dist").glob("*.tar.gz"))
    wheels = sorted((OUT / "dist").glob("*.whl"))
    check(len(sdists) == 1 and len(wheels) == 1, f"expected one sdist and one wheel in "
          f"{OUT / 'dist'}, found {[p.name for p in sdists + wheels]}")
    compile_lines = [line for line in log.read_text().splitlines()
                     if re.match(r"\s*(gcc|cc|clang|x86_64-linux-gnu-gcc)\b", line)]
    check(compile_lines, f"no compiler command found in {log}")
    for flag in BAD_FLAGS:
        check(not any(flag in line.split() for line in compile_lines),
              f"the build used {flag}: the wheel would not be portable")
    print(f"built {sdists[0].name} and {wheels[0].name} (output in {log})")
    return sdists[0], wheels[0]


def check_sdist(sdist):
    step("sdist contents")
    with tarfile.open(sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
        pkg_info = tf.extractfile(tf.getmember(sdist.name[:-len(".tar.gz")] + "/PKG-INFO"))
        version = re.search(r"^Version: (.+)$", pkg_info.read().decode(), re.M).group(1)
    tracked = output(["git", "-C", ROOT, "ls-files"]).splitlines()
    needed = {f for f in tracked if f in SDIST_FILES or f.startswith(SDIST_DIRS)}
    missing = sorted(needed - names)
    check(not missing, f"the sdist lacks {missing} (MANIFEST.in)")
    generated = sorted(n for n in names if n.endswith((".so", ".pyd", ".pyc", ".whl"))
                       or n.startswith(("build/", "wheels/"))
                       or (n.endswith(".c") and n not in tracked))
    check(not generated, f"the sdist carries build output: {generated}")
    check(version == source_version(), f"sdist version {version} != pyad/_version.py's "
          f"{source_version()}")
    print(f"{sdist.name}: {len(names)} entries, every one of the {len(needed)} tracked sources "
          f"needed, no build output, version {version}")


def check_wheel(raw, env):
    step("auditwheel show / repair")
    auditwheel = TOOLS / "bin" / "auditwheel"
    run([auditwheel, "show", raw], env=env)
    run([auditwheel, "repair", "-w", OUT / "wheelhouse", raw], env=env)
    repaired = sorted((OUT / "wheelhouse").glob("*.whl"))
    check(len(repaired) == 1, f"expected one repaired wheel, found {repaired}")
    wheel = repaired[0]
    check("manylinux" in wheel.name, f"{wheel.name} has no manylinux tag")

    step("wheel contents")
    version = source_version()
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        exts = [n for n in names if re.fullmatch(r"pyad/_C\.[^/]+\.so", n)]
        check(len(exts) == 1, f"expected one pyad/_C*.so in the wheel, found {exts}")
        # pyad's Python files (or folders), and its type stubs (_C.pyi, py.typed)
        stray = [n for n in names if n not in exts
                 and not re.fullmatch(r"pyad/([a-z_]+/)?([a-z_]+\.py)?", n)
                 and n != "pyad/_C.pyi"
                 and n != "pyad/py.typed"
                 and not n.startswith(f"pyad-{version}.dist-info/")]
        check(not stray, f"unexpected files in the wheel: {stray}")
        with tempfile.TemporaryDirectory() as tmp:
            so = Path(zf.extract(exts[0], tmp))
            sections = output(["readelf", "-S", "-W", so])
            check(".debug_" not in sections, "the extension carries debug info (CFLAGS=-g0?)")
            dynamic = output(["readelf", "-d", so])
            check("RPATH" not in dynamic and "RUNPATH" not in dynamic,
                  "the extension carries a run path:\n" + dynamic)
            if platform.machine() == "x86_64":
                # AVX/AVX-512 code only in the dispatch copies (pyad_kernels.h: *_avx2 and
                # *_avx512, called after a cpuid check), which sit in their own section,
                # pyad_simd, so that this holds for the stripped extension too
                base = vex_instructions(output(["objdump", "-d", "-j", ".text",
                                                "--no-show-raw-insn", so]))
                check(not base, f"{len(base)} AVX/AVX-512 instructions in .text, e.g. "
                                f"{base[:3]}: not baseline x86_64")
                simd = vex_instructions(output(["objdump", "-d", "-j", "pyad_simd",
                                                "--no-show-raw-insn", so]))
                check(len(simd) > 0, "no SIMD dispatch copies (section pyad_simd) found")
    size = wheel.stat().st_size
    check(size < MAX_WHEEL_BYTES, f"{wheel.name} is {size} bytes, over {MAX_WHEEL_BYTES}")
    print(f"{len(names)} files, extension {exts[0]}: no debug info, no run path, "
          f"baseline ISA outside the SIMD dispatch copies; {size} bytes")
    return wheel


def vex_instructions(disassembly):
    """The VEX/EVEX instructions of an objdump listing: v-prefixed mnemonics and any that name
    a ymm or zmm register."""
    return [line.strip() for line in disassembly.splitlines()
            if re.search(r"^\s*[0-9a-f]+:\t(v[a-z]|.*%[yz]mm\d)", line)]


def twine_check(sdist, wheel):
    step("twine check --strict")
    run([TOOLS / "bin" / "twine", "check", "--strict", sdist, wheel])


def check_identifiers():
    step("cibuildwheel --print-build-identifiers")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    for plat, tags in PLATFORM_TAGS.items():
        listed = output([TOOLS / "bin" / "cibuildwheel", "--print-build-identifiers",
                         "--platform", plat], cwd=ROOT, env=env).split()
        print(f"{plat}: {len(listed)} identifiers: {' '.join(listed)}")
        check(listed, f"cibuildwheel lists no {plat} wheels")
        missing = [f"{py}-{tag}" for py in PYTHONS for tag in tags
                   if f"{py}-{tag}" not in listed]
        check(not missing, f"cibuildwheel does not list {missing}")


def test_wheel(wheel):
    step("install the wheel into a fresh environment and run the suite from outside the tree")
    venv = OUT / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", f"{wheel}[test]"])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYAD_EXPECT_INSTALLED"] = "1"
    with tempfile.TemporaryDirectory(prefix="pyad-wheel-test-") as tmp:
        for d in ("tests", "examples"):
            shutil.copytree(ROOT / d, Path(tmp) / d,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        run([python, "-c", "import pyad; print('testing pyad', pyad.__version__, 'from', "
                           "pyad.__file__)"], cwd=tmp, env=env)
        run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=tmp, env=env)


def main():
    if not sys.platform.startswith("linux"):
        sys.exit("wheels/build.py builds a manylinux wheel: run it on Linux (elsewhere, use "
                 "cibuildwheel)")
    start = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        make_tools()
        env = build_env()
        sdist, raw = build(env)
        check_sdist(sdist)
        wheel = check_wheel(raw, env)
        twine_check(sdist, wheel)
        check_identifiers()
        tag = wheel.name[:-len(".whl")].split("-", 2)[2]
        print(f"\nwheel: {wheel} ({wheel.stat().st_size} bytes, tag {tag})\n"
              f"sdist: {sdist} ({sdist.stat().st_size} bytes)\n"
              f"build and checks passed in {time.monotonic() - start:.0f} s", flush=True)
        test_wheel(wheel)  # last, so that the run ends on pytest's summary line
    except (Failed, subprocess.CalledProcessError) as e:
        print(f"\nwheels/build.py FAILED after {time.monotonic() - start:.0f} s: {e}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
