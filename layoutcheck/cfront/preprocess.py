"""Preprocessing: C text plus -D/-U/-I and an ABI's predefined macros.

Each ABI predefines its own macros (``__x86_64__``, ``__SIZEOF_LONG__``,
``__BYTE_ORDER__`` ...), read from its GCC into ``data/macros/<abi>.h``.
Preprocessing for an ABI means: no host macros (``-undef``), that ABI's
macros, then the user's ``-D``/``-U``.

Most headers come out the same for many ABIs, and parsing is the expensive
step, so ``preprocess_for_abis`` asks the preprocessor which macros the text
actually consulted and groups the ABIs that agree on all of them: the text
is preprocessed (and later parsed) once per group, not once per ABI.

Three engines, chosen by ``mode``:

* ``system``: the C compiler's ``cpp`` (fast; ``-dU`` reports the macros
  consulted);
* ``python``: pcpp, pure Python, for machines without a C compiler;
* ``none``: no preprocessing, only comments removed; ``auto`` uses it when
  the text has no directives and no macro names in it.

``auto`` (the default) picks ``none`` when it can, else ``system`` when a
``cpp`` is installed, else ``python``.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..abi import ABI, DATA_DIR
from ..errors import LayoutError

MODES = ("auto", "system", "python", "none")

# Macros that `cpp -undef` still predefines; the ABI files must not repeat
# them or cpp warns about redefinitions.
_CPP_BUILTINS = {"__STDC__", "__STDC_VERSION__", "__STDC_HOSTED__",
                 "__STDC_UTF_16__", "__STDC_UTF_32__"}


@dataclass(frozen=True)
class PPConfig:
    """The user's preprocessing options (same for every ABI)."""

    defines: Tuple[Tuple[str, str], ...] = ()
    undefs: Tuple[str, ...] = ()
    include_dirs: Tuple[str, ...] = ()
    mode: str = "auto"

    @staticmethod
    def make(defines: Optional[Dict[str, str]] = None, undefs: Iterable[str] = (),
             include_dirs: Iterable[str] = (), mode: str = "auto") -> "PPConfig":
        if mode not in MODES:
            raise LayoutError(f"unknown preprocessor mode {mode!r}; use one of {', '.join(MODES)}")
        items = tuple(sorted((defines or {}).items()))
        return PPConfig(items, tuple(undefs), tuple(include_dirs), mode)


@dataclass
class Preprocessed:
    """One preprocessed text and the ABIs it is valid for."""

    text: str
    abis: List[ABI]
    filename: str
    macros_used: frozenset = field(default_factory=frozenset)


@lru_cache(maxsize=None)
def abi_macros(abi_name: str) -> Dict[str, str]:
    """GCC's predefined macros for an ABI: name -> body."""
    out: Dict[str, str] = {}
    with open(os.path.join(DATA_DIR, "macros", f"{abi_name}.h")) as fh:
        for line in fh:
            if not line.startswith("#define "):
                continue
            rest = line[8:].rstrip("\n")
            name, _, body = rest.partition(" ")
            out[name] = body
    return out


@lru_cache(maxsize=None)
def _imacros_file(abi_name: str) -> str:
    """The ABI's macro file without the names cpp -undef keeps built in."""
    cache_dir = os.path.join(_cache_root(), "imacros")
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, f"{abi_name}.h")
    body = "".join(
        f"#define {name} {value}\n" if value else f"#define {name}\n"
        for name, value in abi_macros(abi_name).items()
        if name not in _CPP_BUILTINS
    )
    try:
        with open(path) as fh:
            if fh.read() == body:
                return path
    except OSError:
        pass
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(body)
    os.replace(tmp, path)
    return path


def _cache_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "layoutcheck")


@lru_cache(maxsize=1)
def system_cpp() -> Optional[List[str]]:
    """The command of a system C preprocessor, or None."""
    for cand in ("cpp", "gcc", "cc", "clang"):
        path = shutil.which(cand)
        if path:
            return [path] if cand == "cpp" else [path, "-E"]
    return None


_DIRECTIVE = re.compile(r"^[ \t]*#", re.M)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def strip_comments(text: str) -> str:
    """Remove C comments, keeping line numbers and string literals intact."""
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            end = text.find("*/", i + 2)
            if end < 0:
                raise LayoutError("unterminated comment")
            out.append(" " + "\n" * text.count("\n", i, end))
            i = end + 2
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            j = i
            while j < n and text[j] not in "/\"'":
                j += 1
            if j == i:
                out.append(c)
                j += 1
            else:
                out.append(text[i:j])
            i = j
    return "".join(out)


def needs_preprocessing(text: str, config: PPConfig, abis: Sequence[ABI]) -> bool:
    """True when the text has directives or names a macro that would expand."""
    if _DIRECTIVE.search(text) or "\\\n" in text or "??" in text:
        return True
    names = set(_IDENT.findall(strip_comments(text)))
    if any(name in names for name, _ in config.defines):
        return True
    for abi in abis:
        if names.intersection(abi_macros(abi.name)):
            return True
    return False


@lru_cache(maxsize=None)
def _compiler_include_dir(abi_name: str) -> Optional[str]:
    """GCC's own header directory (stddef.h, stdint.h, ...) for an ABI."""
    from ..abi import get_abi

    abi = get_abi(abi_name)
    for cmd in (list(abi.oracle), ["gcc"], ["cpp"]):
        if shutil.which(cmd[0]) is None:
            continue
        try:
            out = subprocess.run(cmd + ["-print-file-name=include"], capture_output=True,
                                 text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if out and os.path.isdir(out):
            return out
    return None


def system_include_dirs(abi: ABI) -> List[str]:
    """The directories GCC for ``abi`` searches for <...>, as Debian sets
    them up: cross headers live in /usr/<triple>/include or
    /usr/include/<triple>; a foreign ABI never sees the host's
    /usr/include/<host triple>."""
    triple = abi.multiarch
    dirs = []
    gcc_inc = _compiler_include_dir(abi.name)
    # Without a compiler, a few freestanding headers of our own stand in.
    dirs.append(gcc_inc or os.path.join(DATA_DIR, "include"))
    for d in (f"/usr/local/include/{triple}", "/usr/local/include", f"/usr/{triple}/include",
              f"/usr/include/{triple}", "/usr/include"):
        if os.path.isdir(d):
            dirs.append(d)
    return dirs


def _user_flags(config: PPConfig) -> List[str]:
    flags = []
    for name, value in config.defines:
        flags.append(f"-D{name}={value}" if value != "" else f"-D{name}")
    flags += [f"-U{name}" for name in config.undefs]
    flags += [f"-I{d}" for d in config.include_dirs]
    return flags


def _run_system(cmd: List[str], path: Optional[str], text: Optional[str], abi: ABI,
                extra: Dict[str, str], config: PPConfig) -> Tuple[str, frozenset]:
    argv = cmd + ["-undef", "-nostdinc", "-imacros", _imacros_file(abi.name), "-dU", "-x", "c"]
    argv += _user_flags(config)
    for d in system_include_dirs(abi):
        argv += ["-isystem", d]
    argv += [f"-D{k}={v}" if v != "" else f"-D{k}" for k, v in sorted(extra.items())]
    if path is not None:
        argv.append(path)
        proc = subprocess.run(argv, capture_output=True, text=True)
    else:
        argv.append("-")
        proc = subprocess.run(argv, input=text, capture_output=True, text=True)
    if proc.returncode != 0:
        message = _first_error(proc.stderr) or "preprocessing failed"
        if "No such file or directory" in message:
            message += (f" (preprocessing for {abi.name}; to preprocess once for another ABI"
                        f" and lay out for all, use --pp-abi, e.g. --pp-abi x86_64)")
        raise LayoutError(message)
    used = set()
    lines = proc.stdout.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("#define ") or line.startswith("#undef "):
            name = line.split(None, 2)[1]
            used.add(name.split("(")[0])
            lines[i] = ""
    return "\n".join(lines), frozenset(used)


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.strip()
    return stderr.strip().splitlines()[0] if stderr.strip() else ""


class _RecordingMacros(dict):
    """pcpp's macro table, remembering every name looked up."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.seen = set()

    def __contains__(self, key):
        self.seen.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)


def _run_python(path: Optional[str], text: Optional[str], filename: str, abi: ABI,
                extra: Dict[str, str], config: PPConfig) -> Tuple[str, frozenset]:
    try:
        from pcpp import Preprocessor
    except ImportError:  # pragma: no cover - pcpp is a dependency
        raise LayoutError("the pure-Python preprocessor needs pcpp (pip install pcpp)")

    class _PP(Preprocessor):
        def on_error(self, file, line, msg):
            raise LayoutError(f"#error or preprocessing error: {msg}", f"{file}:{line}")

        def on_include_not_found(self, is_malformed, is_system_include, curdir, includepath):
            raise LayoutError(f"cannot find include file {includepath!r}")

    pp = _PP()
    pp.line_directive = "#line"
    pp.compress = 0
    for name, value in abi_macros(abi.name).items():
        pp.define(f"{name} {value}")
    for name, value in config.defines:
        pp.define(f"{name} {value if value != '' else 1}")
    for name, value in sorted(extra.items()):
        pp.define(f"{name} {value if value != '' else 1}")
    for name in config.undefs:
        pp.undef(name)
    if path is not None:
        pp.add_path(os.path.dirname(os.path.abspath(path)))
    for d in list(config.include_dirs) + system_include_dirs(abi):
        pp.add_path(d)
    recorder = _RecordingMacros(pp.macros)
    pp.macros = recorder
    if text is None:
        with open(path) as fh:
            text = fh.read()
    pp.parse(text, filename)
    buf = io.StringIO()
    pp.write(buf)
    return buf.getvalue(), frozenset(recorder.seen)


def _macro_key(abi: ABI, names: Iterable[str], extra: Dict[str, str]) -> tuple:
    table = abi_macros(abi.name)
    return tuple((n, extra.get(n, table.get(n))) for n in sorted(names))


def preprocess_for_abis(
    source: str,
    abis: Sequence[ABI],
    config: PPConfig,
    *,
    is_path: bool = True,
    filename: Optional[str] = None,
    abi_defines: Optional[Dict[str, Dict[str, str]]] = None,
    pp_abi: Optional[ABI] = None,
) -> List[Preprocessed]:
    """Preprocess ``source`` for each ABI, sharing work between ABIs.

    ``abi_defines`` adds -D macros for individual ABIs (kernel configs such
    as CONFIG_64BIT that follow the ABI).  With ``pp_abi`` the text is
    preprocessed once, as for that ABI, and stands for every ABI (the way
    to lay out headers that include one machine's system headers).
    Returns one entry per distinct preprocessed text, each listing the ABIs
    it stands for.
    """
    abi_defines = abi_defines or {}
    path = source if is_path else None
    if is_path:
        if not os.path.exists(source):
            raise LayoutError(f"no such file: {source}")
        filename = filename or source
        with open(source, errors="replace") as fh:
            text = fh.read()
    else:
        text = source
        filename = filename or "<input>"

    mode = config.mode
    if mode == "auto":
        extra_names = {k for d in abi_defines.values() for k in d}
        if not needs_preprocessing(text, config, abis) and not (
            extra_names and set(_IDENT.findall(text)) & extra_names
        ):
            mode = "none"
        elif system_cpp() is not None:
            mode = "system"
        else:
            mode = "python"
    if mode == "system" and system_cpp() is None:
        raise LayoutError("no system C preprocessor found (use --cpp python)")

    if mode == "none":
        body = f'# 1 "{filename}"\n' + strip_comments(text)
        return [Preprocessed(body, list(abis), filename)]

    def run(abi: ABI, extra: Dict[str, str]) -> Tuple[str, frozenset]:
        if mode == "system":
            return _run_system(system_cpp(), path, None if path else text, abi, extra, config)
        return _run_python(path, None if path else text, filename, abi, extra, config)

    if pp_abi is not None:
        out, used = run(pp_abi, abi_defines.get(pp_abi.name, {}))
        return [Preprocessed(out, list(abis), filename, used)]

    pending = list(abis)
    results: List[Preprocessed] = []
    by_text: Dict[str, Preprocessed] = {}
    while pending:
        abi = pending.pop(0)
        extra = abi_defines.get(abi.name, {})
        out, used = run(abi, extra)
        group = by_text.get(out)
        if group is None:
            group = Preprocessed(out, [], filename, used)
            by_text[out] = group
            results.append(group)
        group.abis.append(abi)
        key = _macro_key(abi, used, extra)
        rest = []
        for other in pending:
            if _macro_key(other, used, abi_defines.get(other.name, {})) == key:
                group.abis.append(other)
            else:
                rest.append(other)
        pending = rest
    order = {a.name: i for i, a in enumerate(abis)}
    for group in results:
        group.abis.sort(key=lambda a: order[a.name])
    return results
