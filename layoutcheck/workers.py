"""Work split across two cores: a matrix of configs (or of files) is cut in
two, the later half computed by a forked copy of the process.

Python runs one thread at a time, and reading a header in ten configs is
Python work (parsing, laying out, checking) between short preprocessor
runs.  A forked child shares everything imported and read so far; it
computes its half, sends the results back through a pipe (``pickle``: the
data are the child's own results, never input) and exits.  The parent
computes the first half meanwhile, then reads the child's.  Results come
back in item order, and so does the first error: an error in the parent's
half is raised before anything from the child's is looked at.

Work in two phases (``in_two_phased``: read every header, then lay them
out) keeps one process's order across both: the child reports its reading
(notes, or the error) before its layouts, and the parent raises a reading
error of the child's before any layout error of its own.

One process works beside the command's at a time: while a child works,
neither forks again (a big text's records, which ``api`` splits when its
ABIs were not, are then laid out where they are).

Only the command line turns this on (``enable()``), and only where it is
safe: on a system with ``fork``, more than one core, no other thread
running, and not in a child already.  ``LAYOUTCHECK_JOBS=1`` turns it off.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, TypeVar

from .errors import LayoutError

T = TypeVar("T")
R = TypeVar("R")

_ENABLED = False
_IN_CHILD = False
_BUSY = False  # a child is working: no second one (two cores, two processes)

# Preprocessed text (characters, all texts of a header together) below
# which a header's ABIs are not split: forking and sending the results back
# cost more than laying out a few structs (a struct page cdef is 4 KB for
# 18 ABIs; the 55-header UAPI unit, 6 MB).
BIG_TEXT = 256 * 1024


# The process ends after one command (the command line): what a parse
# made is left frozen (parser.gc_paused), never to be collected.
KEEP_FROZEN = False


def keep_frozen(on: bool = True) -> None:
    """Say that this process ends after one command (the command line)."""
    global KEEP_FROZEN
    KEEP_FROZEN = on


def enable(on: bool = True) -> None:
    """Let ``in_two`` fork (the command line does; a library call is left
    in its caller's process)."""
    global _ENABLED
    _ENABLED = on


def can_fork(count: int) -> bool:
    return (_ENABLED and not _IN_CHILD and not _BUSY and count >= 2 and hasattr(os, "fork")
            and (os.cpu_count() or 1) > 1 and threading.active_count() == 1
            and os.environ.get("LAYOUTCHECK_JOBS", "").strip() != "1")


def threaded(fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """``fn(item)`` for each item, in item order, the calls overlapping in
    threads (one per core): for work that mostly waits on a preprocessor
    process.  The first error, in item order, is raised where the caller's
    loop reaches it; once the caller stops, no further item is started,
    and the calls already running are waited for.

    Plain threads, not ``concurrent.futures``: importing that module
    imports ``logging`` and ``traceback``, 4 ms of every command's start."""
    items = list(items)
    count = len(items)
    results: list = [None] * count
    failed: list = [None] * count
    done = [threading.Event() for _ in items]
    taken = [0]  # the next item to start
    lock = threading.Lock()
    stopped = False

    def worker() -> None:
        while True:
            with lock:
                if stopped or taken[0] >= count:
                    return
                i = taken[0]
                taken[0] += 1
            try:
                results[i] = fn(items[i])
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                failed[i] = exc
            finally:
                done[i].set()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(count, os.cpu_count() or 1))]
    for thread in threads:
        thread.start()
    try:
        for i in range(count):
            done[i].wait()
            if failed[i] is not None:
                raise failed[i]
            result, results[i] = results[i], None
            yield result
    finally:
        with lock:
            stopped = True
        for thread in threads:
            thread.join()


def in_two(work: Callable[[List[T]], List[R]], items: Sequence[T]) -> List[R]:
    """``work(items)``: the first half in this process, the second half in
    a forked child, side by side, when ``can_fork``; else all here."""
    return list(in_two_stream(lambda part: iter(work(part)), items))


def in_two_stream(work: Callable[[List[T]], Iterator[R]], items: Sequence[T],
                  ahead: Optional[Callable[[List[T]], None]] = None) -> Iterator[R]:
    """What ``work(items)`` yields, in order: the first half's results as
    this process makes them, then those of the second half, made meanwhile
    by a forked child (when ``can_fork``; else all here).  An error stops
    the results where one process would have stopped: after the first
    half's, and after what the second half made before it.  ``ahead``, when
    given, is called with the first half just before the child is forked:
    work of this process's that the child then has too (nothing it must
    not do twice: without a child it is not called)."""
    return in_two_phased(lambda part: ((None, item) for item in part), work, items,
                         lambda item, note: None, ahead)


def in_two_phased(read: Callable[[List[T]], Iterator[Tuple[Optional[str], object]]],
                  write: Callable[[list], Iterator[R]], items: Sequence[T],
                  note: Callable[[T, str], None],
                  ahead: Optional[Callable[[List[T]], None]] = None) -> Iterator[R]:
    """``read`` every item (it yields a note for stderr, or None, and what
    was read, per item, in order), then what ``write`` yields for what was
    read, as one process would: every note and reading error in item order
    before the first result; the later half read and written by a forked
    child when ``can_fork`` (``ahead`` as in ``in_two_stream``)."""
    items = list(items)
    if not can_fork(len(items)):
        yield from write(_read_here(read, items, note))
        return
    # the odd item goes to the child: this process also writes the output
    # and takes the child's results in (struct page, 9 files: 0.229 s
    # against 0.239 s, medians of 11 runs alternating)
    cut = len(items) // 2
    if ahead is not None:
        ahead(items[:cut])
    # (an aside child still writing a cache entry goes on meanwhile: the
    # UAPI row's entries take 0.3 s of one core, which waiting for them
    # left idle; 2.65 s -> 2.48 s)
    sys.stdout.flush()  # nothing buffered is written twice
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        _child(read, write, items[cut:], read_end, write_end)
    os.close(write_end)
    pipe = os.fdopen(read_end, "rb")
    global _BUSY
    _BUSY = True
    try:
        yield from _parent_half(read, write, items, cut, note, pid, pipe)
    finally:
        _BUSY = False


def _parent_half(read, write, items: list, cut: int, note, pid: int, pipe) -> Iterator:
    """``in_two_phased``'s parent, its child ``pid`` answering on ``pipe``.

    A child that ran out of Python frames is not taken at its word: it
    started cold where one process would have gone on with what it had
    computed (a record whose size depends on the one before, 3,000 deep,
    is laid out one level at a time in order, all at once from the
    middle).  Its half is then done here, after this one's, as one
    process does it: the same output, or the same error."""
    try:
        got = _read_here(read, items[:cut], note)
        kind, notes, *rest = _receive(pipe, pid)
        if kind == "recursion":
            _stop(pid, pipe)
            got += _read_here(read, items[cut:], note)
            yield from write(got)
            return
        for item, said in zip(items[cut:], notes, strict=False):  # up to an error
            if said:
                note(item, said)
        if kind != "ok":
            _raise(kind, rest)
        yield from write(got)
    except BaseException:  # an error, or the caller stopped reading
        _stop(pid, pipe)
        raise
    kind, made, *rest = _receive(pipe, pid)
    pipe.close()
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped by _receive, which found no answer
        pass
    if kind == "recursion":  # its notes were said: read again in silence
        yield from write(_read_here(read, items[cut:], lambda item, said: None))
        return
    yield from made
    if kind != "ok":
        _raise(kind, rest)


_ASIDE: List[int] = []  # children running ``aside`` work, not yet reaped


def aside(work: Callable[[], object]) -> bool:
    """``work()`` in a forked child that answers nothing (writing a cache
    entry), while this process goes on; False, having done nothing, where
    ``can_fork`` says no or an earlier such child still works (one child
    at a time: the caller does the work itself).  ``finish`` waits for it
    (the next ``in_two`` forks its second half meanwhile)."""
    if not can_fork(2) or _still_aside():
        return False
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        global _IN_CHILD
        _IN_CHILD = True
        code = 0
        try:
            work()
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    _ASIDE.append(pid)
    return True


def _still_aside() -> bool:
    """Whether an ``aside`` child still works (those done are reaped)."""
    for pid in list(_ASIDE):
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _ASIDE.remove(pid)
    return bool(_ASIDE)


def finish() -> None:
    """Wait for every ``aside`` child (a command does before it returns,
    so that what they write is there when it has)."""
    while _ASIDE:
        try:
            os.waitpid(_ASIDE.pop(), 0)
        except ChildProcessError:
            pass


def _read_here(read, items: list, note) -> list:
    """What ``read`` made of ``items`` in this process, each note said."""
    got = []
    for item, (said, obj) in zip(items, read(items), strict=True):
        if said:
            note(item, said)
        got.append(obj)
    return got


def _raise(kind: str, rest: list):
    if kind == "layout-error":
        raise LayoutError(rest[0], rest[1])
    if kind == "recursion":
        raise RecursionError("nested too deeply")
    raise LayoutError(f"the worker process for the second half of the work failed: {rest[0]} "
                      f"(LAYOUTCHECK_JOBS=1 does it all in one process)")


def _receive(pipe, pid: int) -> tuple:
    """One message of the child's (``_send``); a crash if there is none."""
    import pickle

    head = pipe.read(8)
    if len(head) == 8:
        data = pipe.read(int.from_bytes(head, "big"))
        try:
            return pickle.loads(data)
        except Exception:
            pass
    _, status = os.waitpid(pid, 0)
    return ("crash", [], f"no answer (exit status {os.waitstatus_to_exitcode(status)})")


def _send(pipe, payload: tuple) -> None:  # pragma: no cover - in the child
    import pickle

    try:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        data = pickle.dumps(("crash", [], f"results not sent back: {type(exc).__name__}: {exc}"))
    pipe.write(len(data).to_bytes(8, "big") + data)
    pipe.flush()


def _outcome(made: list, run: Callable[[], None]) -> tuple:  # pragma: no cover - in the child
    """("ok", made) after ``run()``, or how it failed, with what it made."""
    try:
        run()
        return ("ok", made)
    except LayoutError as exc:
        return ("layout-error", made, exc.message, exc.where)
    except RecursionError:
        return ("recursion", made)
    except BaseException as exc:  # reported by the parent
        return ("crash", made, f"{type(exc).__name__}: {exc}")


def _child(read, write, items, read_end: int, write_end: int) -> None:  # pragma: no cover
    global _IN_CHILD
    _IN_CHILD = True
    # the child's work runs one frame (this one) deeper than the parent's:
    # input nested to the limit fails or passes as in one process
    sys.setrecursionlimit(sys.getrecursionlimit() + 1)
    code = 0
    try:
        os.close(read_end)
        with os.fdopen(write_end, "wb") as pipe:
            notes: list = []
            got: list = []

            def read_all() -> None:
                for said, obj in read(items):
                    notes.append(said)
                    got.append(obj)

            first = _outcome(notes, read_all)
            _send(pipe, first)
            if first[0] == "ok":
                made: list = []
                _send(pipe, _outcome(made, lambda: made.extend(write(got))))
        sys.stderr.flush()
    except BaseException:
        code = 3
    finally:
        os._exit(code)


def _stop(pid: int, pipe) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except OSError:
        pass
    pipe.close()
