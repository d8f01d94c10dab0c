#!/usr/bin/env python3
"""Fetch Debian's configured kernel trees for `--kernel` tests and CI.

Debian ships a configured, buildable header tree for each kernel flavour
(`linux-headers-<abiname>-<flavour>`), split in two: the flavour's build
directory (`.config`, generated headers, a one-line `Makefile` that
includes the source tree) and the shared source tree
(`linux-headers-<abiname>-common`).  This tool fetches eight of them, one
per architecture Debian builds them for, plus the matching -common:

    amd64 (amd64)   arm64 (arm64)      686-pae (i386)        armmp (armhf)
    powerpc64le (ppc64el)  s390x (s390x)  mips64r2el (mips64el)  4kc-malta (mipsel)

and installs `linux-kbuild-6.1` natively, whose `scripts` and `tools` serve
kbuild for every architecture (the trees' own links point at a sibling
`../../lib/linux-kbuild-6.1`, which does not exist once a tree is unpacked
elsewhere, so they are pointed at the host's copy).

    python tools/fetch_kernel_trees.py [--dest DIR] [--abiname 6.1.0-N] [--refresh]

DEST (default /var/cache/layoutcheck/kernels, or $LAYOUTCHECK_KERNEL_TREES)
gets one directory per tree under its Debian name (the flavour's Makefile
names the -common tree by that name, and layoutcheck looks for it beside
the flavour's directory), a symlink per flavour (`DEST/amd64` ...), and
`trees.json`, which records what is there.

The ABI name (the N of 6.1.0-N) is the newest one the archive has for all
eight flavours, unless the trees already in DEST still are available
(failing that, the one with amd64 and the most flavours).  linux-kbuild
is installed at the trees' version when the archive has it.
The foreign architectures are added with `dpkg --add-architecture`; their
packages are only downloaded and unpacked (`apt-get download`, `dpkg -x`),
never installed, so no foreign dependency is needed.

Idempotent: a tree already unpacked and complete is kept, and when DEST
holds all eight and linux-kbuild is installed, nothing is asked of apt.
apt is retried (foreign package indexes sometimes fail mid-sync).  Exit
status: 0 when the amd64 tree is there (each foreign tree that could not be
fetched is reported loudly on stderr; `--strict` makes that an error too),
1 when amd64 is missing, 2 on bad usage.  Needs root (apt, dpkg).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

DEFAULT_DEST = "/var/cache/layoutcheck/kernels"
DEST_ENV = "LAYOUTCHECK_KERNEL_TREES"
SERIES = "6.1"  # linux-headers-6.1.0-N-*, linux-kbuild-6.1
KBUILD_PACKAGE = f"linux-kbuild-{SERIES}"
KBUILD_DIR = f"/usr/lib/{KBUILD_PACKAGE}"
MANIFEST = "trees.json"
STAMP = ".layoutcheck-fetched"  # written into a tree once it is complete

# Debian flavour -> Debian architecture.  amd64 is required; the others are
# foreign and only downloaded.
FLAVOURS: Sequence[Tuple[str, str]] = (
    ("amd64", "amd64"),
    ("arm64", "arm64"),
    ("686-pae", "i386"),
    ("armmp", "armhf"),
    ("powerpc64le", "ppc64el"),
    ("s390x", "s390x"),
    ("mips64r2el", "mips64el"),
    ("4kc-malta", "mipsel"),
)
REQUIRED = "amd64"

# The trees' links into linux-kbuild, by the name they have in a tree.
KBUILD_LINKS = ("scripts", "tools")

UPDATE_ATTEMPTS = 5
DOWNLOAD_ATTEMPTS = 4
APT_TIMEOUT = 300  # seconds for one apt run


def log(message: str) -> None:
    print(f"fetch_kernel_trees: {message}", flush=True)


def loud(lines: Sequence[str]) -> None:
    """A report nobody scrolling a CI log can miss."""
    bar = "!" * 78
    print(bar, file=sys.stderr)
    for line in lines:
        print(f"!! {line}", file=sys.stderr)
    print(bar, file=sys.stderr, flush=True)


def run(argv: List[str], cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """One command, no standard input, output captured, a time limit."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
    try:
        return subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=APT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", f"{argv[0]} timed out after {APT_TIMEOUT} s")


def retried(argv: List[str], attempts: int, what: str,
            cwd: Optional[str] = None) -> Tuple[bool, subprocess.CompletedProcess]:
    """Run ``argv`` until it succeeds, waiting longer after each failure."""
    proc = subprocess.CompletedProcess(argv, 1, "", "not run")
    for attempt in range(1, attempts + 1):
        proc = run(argv, cwd)
        if proc.returncode == 0:
            return True, proc
        errors = [line for line in (proc.stderr + proc.stdout).splitlines()
                  if line.startswith(("E:", "W:", "dpkg:")) or "rror" in line]
        log(f"{what}: attempt {attempt}/{attempts} failed (exit {proc.returncode})"
            + "".join(f"\n    {line}" for line in errors[:6]))
        if attempt < attempts:
            time.sleep(min(5 * attempt, 20))
    return False, proc


# --- apt ------------------------------------------------------------------
# Every apt-cache run loads the whole package cache (seconds each, more
# with eight architectures), so questions are asked in batches.

def native_architecture() -> str:
    return run(["dpkg", "--print-architecture"]).stdout.strip()


def add_architectures() -> None:
    """Make every flavour's architecture known to dpkg."""
    native = native_architecture()
    foreign = set(run(["dpkg", "--print-foreign-architectures"]).stdout.split())
    for _flavour, arch in FLAVOURS:
        if arch != native and arch not in foreign:
            proc = run(["dpkg", "--add-architecture", arch])
            if proc.returncode != 0:
                log(f"dpkg --add-architecture {arch} failed: {proc.stderr.strip()}")
            foreign.add(arch)


def apt_update() -> bool:
    """One apt-get update; True when every index downloaded."""
    proc = run(["apt-get", "update", "-q"])
    if proc.returncode == 0 and "\nE:" not in "\n" + proc.stderr:
        return True
    errors = [line for line in proc.stderr.splitlines() if line.startswith("E:")]
    log(f"apt-get update: exit {proc.returncode}" + "".join(f"\n    {line}" for line in errors[:6]))
    return False


def policy(packages: Sequence[str], native: str) -> Dict[str, Tuple[Optional[str], List[str]]]:
    """{package: (candidate version or None, every known version)} for the
    ``packages`` (``name`` or ``name:arch``) apt knows of, in one run."""
    proc = run(["apt-cache", "policy", *packages])
    out: Dict[str, Tuple[Optional[str], List[str]]] = {}
    key = None
    for line in proc.stdout.splitlines():
        header = re.fullmatch(r"(\S+):", line)
        if header:
            key = header.group(1) if ":" in header.group(1) else f"{header.group(1)}:{native}"
            out[key] = (None, [])
        elif key is not None:
            m = re.match(r"\s*Candidate:\s*(\S+)", line)
            if m:
                out[key] = (None if m.group(1) == "(none)" else m.group(1), out[key][1])
            m = re.match(r"\s*(?:\*\*\* )?\s*(\S+) -?\d+$", line)
            if m:
                out[key][1].append(m.group(1))
    return out


def abinames_known() -> List[str]:
    """ABI names (6.1.0-N) with a -common package in apt's lists, newest first."""
    proc = run(["apt-cache", "pkgnames", f"linux-headers-{SERIES}.0-"])
    pattern = re.compile(rf"linux-headers-({re.escape(SERIES)}\.0-(\d+))-common\Z")
    found = {}
    for name in proc.stdout.split():
        m = pattern.match(name)
        if m:
            found[m.group(1)] = int(m.group(2))
    return sorted(found, key=found.__getitem__, reverse=True)


def package_name(abiname: str, flavour: str) -> str:
    return f"linux-headers-{abiname}-{flavour}"


class Choice:
    """The ABI name to fetch and what the archive has of it."""

    def __init__(self, abiname: str, version: str, flavours: Dict[str, Optional[str]],
                 kbuild_versions: List[str]):
        self.abiname = abiname
        self.version = version  # of the -common tree; a flavour counts only at it
        self.flavours = flavours  # flavour -> version, or None when unavailable
        self.kbuild_versions = kbuild_versions

    @property
    def count(self) -> int:
        return sum(1 for v in self.flavours.values() if v)

    @property
    def complete(self) -> bool:
        return self.count == len(self.flavours)


def choose_abiname(wanted: Optional[str], previous: Optional[str], native: str) -> Optional[Choice]:
    """``wanted``; else the trees already fetched, when the archive still has
    all of them; else the newest ABI name every flavour has; else, with
    amd64, the one with the most flavours, newest first (the others then
    fail, loudly).  None: not even that."""
    names = [wanted] if wanted else abinames_known()
    if previous in names:
        names.remove(previous)
        names.insert(0, previous)
    queries = [KBUILD_PACKAGE + f":{native}"]
    for abiname in names:
        queries.append(f"{package_name(abiname, 'common')}:{native}")
        queries += [f"{package_name(abiname, f)}:{arch}" for f, arch in FLAVOURS]
    known = policy(queries, native)
    kbuild_versions = known.get(queries[0], (None, []))[1]
    fallback = None
    for abiname in names:
        common = known.get(f"{package_name(abiname, 'common')}:{native}", (None, []))[0]
        flavours = {}
        for flavour, arch in FLAVOURS:
            version = known.get(f"{package_name(abiname, flavour)}:{arch}", (None, []))[0]
            flavours[flavour] = version if version is not None and version == common else None
        if common is None or flavours[REQUIRED] is None:
            continue
        choice = Choice(abiname, common, flavours, kbuild_versions)
        if choice.complete:
            return choice
        if fallback is None or choice.count > fallback.count:
            fallback = choice
    return fallback


def ensure_kbuild(choice: Choice) -> Optional[str]:
    """Install linux-kbuild natively, at the trees' version when the archive
    still has it; returns an error, or None."""
    want = choice.version if choice.version in choice.kbuild_versions else None
    installed = run(["dpkg-query", "-W", "-f=${Version} ${db:Status-Abbrev}", KBUILD_PACKAGE]).stdout
    have = installed.split()[0] if installed.split()[1:2] == ["ii"] else None
    if have and (want is None or have == want) and os.path.isdir(os.path.join(KBUILD_DIR, "scripts")):
        return None
    if want is None:
        log(f"{KBUILD_PACKAGE} {choice.version} is not in the archive; installing its candidate")
    spec = f"{KBUILD_PACKAGE}={want}" if want else KBUILD_PACKAGE
    done, proc = retried(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                          "--allow-downgrades", "-o", "DPkg::Lock::Timeout=120", spec],
                         DOWNLOAD_ATTEMPTS, f"apt-get install {spec}")
    if not done or not os.path.isdir(os.path.join(KBUILD_DIR, "scripts")):
        return f"could not install {spec}: {last_line(proc)}"
    log(f"{spec} installed")
    return None


def last_line(proc: subprocess.CompletedProcess) -> str:
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit {proc.returncode}"


def download(specs: Dict[str, str], work: str) -> Tuple[Dict[str, str], Dict[str, str]]:
    """``apt-get download`` the packages ({name: spec}) into ``work``, all
    in one run, then again for those still missing; returns ({name: .deb
    path}, {name: error})."""
    try:  # apt downloads as _apt when that user may write the directory
        shutil.chown(work, user="_apt")
    except (LookupError, OSError):
        pass
    got: Dict[str, str] = {}
    proc = subprocess.CompletedProcess([], 0, "", "")
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        missing = [n for n in specs if n not in got]
        if not missing:
            break
        if attempt > 1:
            log(f"apt-get download: attempt {attempt}/{DOWNLOAD_ATTEMPTS} for {', '.join(missing)}")
            time.sleep(min(5 * attempt, 20))
        proc = run(["apt-get", "download", "-q", *(specs[n] for n in missing)], cwd=work)
        for f in os.listdir(work):
            name = f.split("_", 1)[0]
            if f.endswith(".deb") and name in specs:
                got[name] = os.path.join(work, f)
    errors = {n: f"apt-get download {specs[n]} failed: {last_line(proc)}" for n in specs if n not in got}
    return got, errors


# --- trees ----------------------------------------------------------------

def tree_is_complete(path: str, version: str, flavour: str) -> bool:
    """Unpacked by this tool at ``version``, with what a tree must have."""
    try:
        with open(os.path.join(path, STAMP)) as fh:
            if fh.read().strip() != version:
                return False
    except OSError:
        return False
    needed = ["Makefile", "include"] if flavour == "common" else ["Makefile", ".config"]
    if not all(os.path.exists(os.path.join(path, n)) for n in needed):
        return False
    return all(os.readlink(os.path.join(path, link)) == os.path.join(KBUILD_DIR, link)
               for link in KBUILD_LINKS if os.path.islink(os.path.join(path, link)))


def point_links_at_kbuild(tree: str) -> None:
    """The tree's scripts/tools links, pointed at the host's linux-kbuild."""
    for link in KBUILD_LINKS:
        path = os.path.join(tree, link)
        if os.path.islink(path) or not os.path.exists(path):
            tmp = f"{path}.tmp"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(os.path.join(KBUILD_DIR, link), tmp)
            os.replace(tmp, path)


def unpack_tree(deb: str, dest: str, name: str, version: str, work: str) -> Optional[str]:
    """Unpack one downloaded tree into DEST/<name>; returns an error or None."""
    unpacked = os.path.join(work, f"root-{name}")
    proc = run(["dpkg-deb", "-x", deb, unpacked])
    tree = os.path.join(unpacked, "usr", "src", name)
    if proc.returncode != 0 or not os.path.isdir(tree):
        return f"dpkg -x {os.path.basename(deb)} failed: {proc.stderr.strip() or 'no usr/src/' + name}"
    point_links_at_kbuild(tree)
    with open(os.path.join(tree, STAMP), "w") as fh:
        fh.write(version + "\n")
    target = os.path.join(dest, name)
    if os.path.islink(target) or os.path.isfile(target):
        os.unlink(target)
    elif os.path.isdir(target):
        shutil.rmtree(target)
    os.rename(tree, target)
    shutil.rmtree(unpacked, ignore_errors=True)
    return None


def du(path: str) -> str:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return f"{total / 1e6:.0f} MB"


def link_flavour(dest: str, flavour: str, name: str) -> None:
    """DEST/<flavour> -> <its Debian name>, for people and tests."""
    path = os.path.join(dest, flavour)
    if os.path.islink(path) and os.readlink(path) == name:
        return
    tmp = f"{path}.tmp"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(name, tmp)
    os.replace(tmp, path)


def read_manifest(dest: str) -> Optional[dict]:
    try:
        with open(os.path.join(dest, MANIFEST)) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_manifest(dest: str, data: dict) -> None:
    tmp = os.path.join(dest, f".{MANIFEST}.tmp")
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, os.path.join(dest, MANIFEST))


def all_present(dest: str, manifest: Optional[dict]) -> bool:
    """DEST already holds every tree of its manifest, and kbuild is installed."""
    if not manifest or manifest.get("failed") or not os.path.isdir(os.path.join(KBUILD_DIR, "scripts")):
        return False
    trees = manifest.get("trees", {})
    if set(trees) != {f for f, _ in FLAVOURS} | {"common"}:
        return False
    return all(tree_is_complete(os.path.join(dest, t["dir"]), t["version"], f) for f, t in trees.items())


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", default=os.environ.get(DEST_ENV) or DEFAULT_DEST,
                    help=f"where the trees go (default ${DEST_ENV}, else {DEFAULT_DEST})")
    ap.add_argument("--abiname", help=f"fetch this ABI name ({SERIES}.0-N) instead of choosing one")
    ap.add_argument("--refresh", action="store_true",
                    help="ask apt even when DEST already holds every tree")
    ap.add_argument("--strict", action="store_true", help="exit 1 when any tree is missing")
    args = ap.parse_args(argv)
    if args.abiname and not re.fullmatch(rf"{re.escape(SERIES)}\.0-\d+", args.abiname):
        ap.error(f"--abiname must look like {SERIES}.0-N")

    dest = os.path.abspath(args.dest)
    os.makedirs(dest, exist_ok=True)
    started = time.monotonic()
    manifest = read_manifest(dest)
    if not args.refresh and not args.abiname and all_present(dest, manifest):
        assert manifest is not None
        log(f"{dest} holds all {len(FLAVOURS)} {manifest['abiname']} trees; nothing to fetch")
        return 0
    if os.geteuid() != 0:
        log("needs root (dpkg --add-architecture, apt-get)")
        return 1

    # Update even when nothing was added: the lists may predate the
    # architectures, or the archive may have moved on.  A failed index is
    # retried only while it stands between us and a complete set of trees.
    add_architectures()
    native = native_architecture()
    previous = manifest.get("abiname") if manifest else None
    choice = None
    for attempt in range(1, UPDATE_ATTEMPTS + 1):
        updated = apt_update()
        choice = choose_abiname(args.abiname, previous, native)
        if updated or (choice is not None and choice.complete):
            break
        if attempt < UPDATE_ATTEMPTS:
            log(f"no complete set of trees in apt's lists yet; apt-get update again "
                f"({attempt + 1}/{UPDATE_ATTEMPTS})")
            time.sleep(min(5 * attempt, 20))
    if choice is None:
        loud([f"no linux-headers-{SERIES}.0-N-{REQUIRED} with its -common tree in apt's lists "
              f"(is apt's source a Debian 12 archive?)"])
        return 1
    log(f"ABI name {choice.abiname} (version {choice.version}); available: "
        + ", ".join(f for f, v in choice.flavours.items() if v))

    failed: Dict[str, str] = {}
    problem = ensure_kbuild(choice)
    if problem:
        failed["kbuild"] = problem

    # What to fetch: every tree not already complete in DEST.
    wanted: Dict[str, Tuple[str, str]] = {}  # flavour -> (package name, apt spec)
    for flavour, arch in [("common", native)] + list(FLAVOURS):
        name = package_name(choice.abiname, flavour)
        if flavour != "common" and choice.flavours[flavour] is None:
            failed[flavour] = (f"{name}:{arch} {choice.version} is not in apt's lists "
                               f"(its index may have failed to download)")
        elif tree_is_complete(os.path.join(dest, name), choice.version, flavour):
            log(f"{name}: already there")
        else:
            wanted[flavour] = (name, f"{name}:{arch}={choice.version}")
    if wanted:
        work = tempfile.mkdtemp(prefix=".fetch-", dir=dest)
        try:
            debs, errors = download({name: spec for name, spec in wanted.values()}, work)
            for flavour, (name, _spec) in wanted.items():
                error = errors.get(name) or unpack_tree(debs[name], dest, name, choice.version, work)
                if error:
                    failed[flavour] = error
                else:
                    log(f"{name}: {choice.version} unpacked ({du(os.path.join(dest, name))})")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    trees: Dict[str, dict] = {}
    for flavour, arch in [("common", "all")] + list(FLAVOURS):
        if flavour in failed:
            continue
        name = package_name(choice.abiname, flavour)
        trees[flavour] = {"dir": name, "arch": arch, "version": choice.version}
        if flavour != "common":
            link_flavour(dest, flavour, name)
    write_manifest(dest, {"series": SERIES, "abiname": choice.abiname, "version": choice.version,
                          "kbuild": KBUILD_DIR, "trees": trees, "failed": failed})
    log(f"{len(trees) - ('common' in trees)} of {len(FLAVOURS)} trees in {dest} "
        f"({du(dest)}, {time.monotonic() - started:.0f} s)")
    if failed:
        loud([f"kernel trees NOT fetched into {dest}:"]
             + [f"  {what}: {why}" for what, why in failed.items()]
             + ["tests that need them fail when LAYOUTCHECK_REQUIRE_ORACLES=1 (CI)"])
    if REQUIRED in failed or "common" in failed or "kbuild" in failed:
        return 1
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
