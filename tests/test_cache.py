"""The on-disk cache of compiler facts (layoutcheck/cache.py).

GCC's own <...> search path costs a process per ABI; it is kept under the
user's cache directory and used only while the driver binary and the
directories GCC looked at are as they were.  What the cache holds reaches a
compiler's command line, so an entry that is not a plain list of absolute
directories, or a cache another user could write, is not used.
"""

from __future__ import annotations

import json
import os

import pytest

from layoutcheck import cache
from layoutcheck.abi import get_abi
from layoutcheck.cfront import preprocess

from .conftest import need_compiler

KIND = "gcc-search-dirs"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("LAYOUTCHECK_CACHE_DIR", str(folder))
    preprocess._SEARCH_DIRS.clear()
    yield folder
    preprocess._SEARCH_DIRS.clear()


def _fresh(abi="x86_64"):
    preprocess._SEARCH_DIRS.clear()
    return preprocess._gcc_search_dirs(abi)


def test_search_dirs_are_cached_and_reused(cache_dir, monkeypatch):
    need_compiler(get_abi("x86_64"))
    first = _fresh()
    assert first and all(os.path.isabs(d) for d in first)
    entries = json.loads((cache_dir / f"{KIND}.json").read_text())
    assert oct(os.stat(cache_dir).st_mode & 0o777) == "0o700"
    (entry,) = [e for k, e in entries.items() if k.startswith(get_abi("x86_64").oracle[0] + " ")]
    assert entry["dirs"] == list(first)
    # a second reading runs no compiler
    monkeypatch.setattr(preprocess, "_run_tool", lambda *a, **k: pytest.fail("GCC ran again"))
    assert _fresh() == first


def test_an_entry_is_not_used_once_a_directory_it_looked_at_appears(cache_dir, tmp_path):
    need_compiler(get_abi("x86_64"))
    first = _fresh()
    path = cache_dir / f"{KIND}.json"
    entries = json.loads(path.read_text())
    key = next(k for k in entries if k.startswith(get_abi("x86_64").oracle[0] + " "))
    # pretend GCC had found a directory missing that exists now
    entries[key]["dirs"] = ["/nonexistent-old-dir"]
    entries[key]["checked"][str(tmp_path)] = False
    path.write_text(json.dumps(entries))
    assert _fresh() == first


@pytest.mark.parametrize("dirs", [["-fplugin=/tmp/evil.so"], ["relative/dir"], ["/a/../b"], "/usr/include"])
def test_an_entry_that_is_not_plain_directories_is_not_used(cache_dir, dirs):
    need_compiler(get_abi("x86_64"))
    first = _fresh()
    path = cache_dir / f"{KIND}.json"
    entries = json.loads(path.read_text())
    for entry in entries.values():
        entry["dirs"] = dirs
    path.write_text(json.dumps(entries))
    assert _fresh() == first


def test_a_cache_others_can_write_is_not_used(cache_dir):
    need_compiler(get_abi("x86_64"))
    _fresh()
    os.chmod(cache_dir, 0o777)
    assert cache.cache_dir() is None and cache.load(KIND) == {}
    os.chmod(cache_dir, 0o700)
    os.chmod(cache_dir / f"{KIND}.json", 0o666)
    assert cache.load(KIND) == {}


def test_the_cache_can_be_turned_off(monkeypatch, tmp_path):
    monkeypatch.setenv("LAYOUTCHECK_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    cache.store(KIND, {"x": 1})
    assert cache.load(KIND) == {}


def test_threads_asking_for_one_abi_run_its_gcc_once(cache_dir, monkeypatch):
    need_compiler(get_abi("x86_64"))
    import threading

    runs = []
    real = preprocess._run_tool

    def counted(argv, **kw):
        runs.append(argv)
        return real(argv, **kw)

    monkeypatch.setattr(preprocess, "_run_tool", counted)
    preprocess._SEARCH_DIRS.clear()
    found = []
    threads = [threading.Thread(target=lambda: found.append(preprocess._gcc_search_dirs("x86_64")))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 1
    assert len(found) == 8 and len(set(found)) == 1 and found[0]


def test_every_abi_asked_at_once_is_kept(cache_dir):
    """Threads storing their ABI's answer at the same time lose none."""
    import threading

    from layoutcheck.abi import all_abis

    need_compiler(get_abi("x86_64"))
    need_compiler(get_abi("aarch64"))
    abis = [a for a in all_abis() if preprocess._compiler_available(a)]
    preprocess._SEARCH_DIRS.clear()
    threads = [threading.Thread(target=preprocess._gcc_search_dirs, args=(a.name,)) for a in abis]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = json.loads((cache_dir / f"{KIND}.json").read_text())
    assert len(entries) == len({" ".join(a.oracle) for a in abis})


def test_updates_from_several_processes_are_all_kept(cache_dir):
    cache.update("demo", "first", 0)
    children = []
    for n in range(6):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                for i in range(20):
                    cache.update("demo", f"p{n}-{i}", i)
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    entries = cache.load("demo")
    assert len(entries) == 1 + 6 * 20
    assert entries["p5-19"] == 19 and entries["first"] == 0


def test_an_update_does_not_wait_for_a_lock_held_forever(cache_dir):
    """A process stopped while it held the lock (Ctrl-Z in the middle of an
    update) delays an update by half a second, not forever; the entry is
    stored all the same."""
    import fcntl
    import time

    cache.update("demo", "first", 0)
    fd = os.open(cache_dir / ".demo.lock", os.O_RDWR)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child holds the lock
        fcntl.flock(fd, fcntl.LOCK_EX)
        time.sleep(30)
        os._exit(0)
    try:
        time.sleep(0.2)  # the child has the lock
        started = time.monotonic()
        cache.update("demo", "second", 1)
        assert time.monotonic() - started < 20  # (a wait for the holder: 30 s)
        assert cache.load("demo") == {"first": 0, "second": 1}
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def test_an_update_stores_when_the_lock_file_cannot_be_made(cache_dir):
    cache.update("demo", "first", 0)
    os.unlink(cache_dir / ".demo.lock")
    os.mkdir(cache_dir / ".demo.lock")  # no file can be opened there
    cache.update("demo", "second", 1)
    assert cache.load("demo") == {"first": 0, "second": 1}


def test_checked_entries_read_back_and_a_damaged_one_is_not_used(tmp_path, monkeypatch):
    from layoutcheck import cache

    monkeypatch.setenv("LAYOUTCHECK_CACHE_DIR", str(tmp_path / "c"))
    name = "ab" * 32
    cache.write_checked("layouts", name, ["[2]", '{"a": "\u00e9"}', "x"])
    assert cache.read_checked("layouts", name) == ["[2]", '{"a": "\u00e9"}', "x"]
    cache.write_checked("layouts", name, [])
    assert cache.read_checked("layouts", name) == []
    path = cache._blob_path("layouts", name, create=False)
    for damaged in (b"", b"no newline", b"0" * 64 + b"\n[1]\nx",
                    open(path, "rb").read() + b"more"):
        with open(path, "wb") as fh:
            fh.write(damaged)
        assert cache.read_checked("layouts", name) is None, damaged
    cache.write_checked("layouts", name, ["ok"])
    raw = open(path, "rb").read()
    with open(path, "wb") as fh:  # a sealed body that is not UTF-8
        body = b"\xff\n"
        fh.write(cache._seal("layouts", name, body) + b"\n" + body)
    assert cache.read_checked("layouts", name) is None
    assert raw.endswith(b"\nok")
