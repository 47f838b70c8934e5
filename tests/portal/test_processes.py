"""``portal.processes.Partitioned``: work spread over forked workers, by key."""

import multiprocessing
import os
import time

import pytest

from portal.processes import Partitioned, WorkerFailed


def where(items):
    """The work of these tests: say which process got which items, in which order."""
    return (os.getpid(), list(items)), []


def where_slowly(items):
    """``where``, slow enough that a worker cannot answer before the next item is given
    out (the least busy worker is the one without work)."""
    time.sleep(0.3)
    return where(items)


def holding_back_odd(items):
    """Do the even items; hold the odd ones back for the next call (as the import holds
    back a company's second row in a batch)."""
    done = [i for i in items if i % 2 == 0 or i < 0]
    later = [-i for i in items if i % 2 and i > 0]
    return (os.getpid(), done), later


def run(work, items_and_keys, **options):
    results = []
    with Partitioned(2, work=work, **options) as workers:
        for item, keys in items_and_keys:
            results.extend(workers.put(item, keys))
        results.extend(workers.finish())
        drains = workers.drains
    return results, drains


def by_process(results) -> dict[int, list]:
    done: dict[int, list] = {}
    for pid, items in results:
        done.setdefault(pid, []).extend(items)
    return done


def test_items_sharing_a_key_go_to_one_worker_in_their_order():
    items = [(n, {("company", n % 7)}) for n in range(200)]
    results, _drains = run(where, items, batch=5)

    done = by_process(results)
    assert len(done) == 2  # both workers worked
    assert sorted(n for items in done.values() for n in items) == list(range(200))
    for items in done.values():
        assert items == sorted(items)  # the file's order
    owner = {n % 7: pid for pid, items in done.items() for n in items}
    assert all(owner[n % 7] == pid for pid, items in done.items() for n in items)


def test_an_item_joining_two_workers_keys_waits_until_the_other_finished():
    """Item 100 shares a key with item 0 and one with item 1, which went to different
    workers: the other worker finishes its items (they are done, and visible, before
    item 100 is worked on), and the later items of both keys follow item 100."""
    items = [(0, {"a"}), (1, {"b"}), (100, {"a", "b"}), (101, {"a"}), (102, {"b"})]
    results, drains = run(where_slowly, items, batch=1)

    done = by_process(results)
    assert drains == 2  # the one for item 100, and the finish
    [together] = [items for items in done.values() if 100 in items]
    assert together[together.index(100) :] == [100, 101, 102]
    position = {n: i for i, (_pid, items) in enumerate(results) for n in items}
    assert position[0] < position[100] and position[1] < position[100]


def test_held_back_items_are_done_before_the_worker_finishes():
    items = [(n, {n}) for n in range(1, 40)]
    results, _drains = run(holding_back_odd, items, batch=4)

    done = sorted(abs(n) for _pid, items in results for n in items)
    assert done == list(range(1, 40))


def test_the_key_map_is_forgotten_when_full_after_every_worker_finished():
    items = [(n, {n, n + 1000}) for n in range(30)]
    results, drains = run(where, items, batch=4, max_keys=10)

    assert drains >= 5  # every 5 items, and the finish
    assert sorted(n for _pid, items in results for n in items) == list(range(30))


def failing(items):
    if 13 in items:
        raise ValueError("row 13 is cursed")
    return (os.getpid(), items), []


def dying(items):
    os._exit(3)


def test_a_worker_that_raises_stops_the_work_with_its_traceback():
    with pytest.raises(WorkerFailed, match="row 13 is cursed"):
        run(failing, [(n, {n}) for n in range(20)], batch=2)


def test_a_worker_that_dies_stops_the_work():
    with pytest.raises(WorkerFailed, match="exit code 3"):
        run(dying, [(n, {n}) for n in range(20)], batch=2)


def test_one_process_is_not_partitioned():
    with pytest.raises(ValueError):
        Partitioned(1, work=where, batch=10)


def abandon_workers(pids):
    """Start workers, tell their ids, and die without stopping them (killed)."""
    workers = Partitioned(2, work=where, batch=5)
    pids.put([worker.pid for worker in workers.workers])
    pids.close()
    pids.join_thread()  # (the queue's thread sends it)
    os._exit(0)


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:\tZ") for line in status)
    except FileNotFoundError:
        return False


def test_workers_stop_when_their_parent_was_killed():
    context = multiprocessing.get_context("fork")
    pids = context.Queue()
    parent = context.Process(target=abandon_workers, args=(pids,))
    parent.start()
    workers = pids.get(timeout=10)
    parent.join()
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(pid) for pid in workers)


def test_a_worker_whose_parent_died_before_it_first_ran_stops():
    """CI once left a worker running: its parent was killed before the worker first ran,
    so the worker took its new parent for the one that forked it. The forking process's
    id is now taken before the fork."""
    from portal.processes import POLL, _serve

    context = multiprocessing.get_context("fork")
    inbox, answers = context.Queue(), context.Queue()
    not_my_parent = os.getppid() + 1_000_000  # (no process has it)
    started = time.monotonic()
    _serve(where, inbox, answers, 0, not_my_parent)  # returns: nobody waits for it
    assert time.monotonic() - started < POLL * 3


def stubborn(items):
    """Work that ignores SIGTERM and never ends."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(3600)


def test_a_worker_that_does_not_stop_is_ended():
    workers = Partitioned(2, work=stubborn, batch=1)
    list(workers.put(1, {1}))
    list(workers.put(2, {2}))
    time.sleep(0.5)  # both are in their work now, SIGTERM ignored
    started = time.monotonic()
    for worker in workers.workers:
        worker.join(timeout=0.5)
    assert time.monotonic() - started < 5
    assert [worker.exitcode for worker in workers.workers] == [-9, -9]
    workers.close()


def test_a_forked_worker_does_not_publish_on_its_parents_broker_connection():
    """The parent's publishing connection (``portal.queue``) is its socket: a forked
    worker that published on it would garble the parent's frames."""
    from portal import queue as outbox

    parents = object()
    outbox._local.connection = parents
    try:
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child says what it would publish on, and ends
            os.write(
                writing,
                b"none" if getattr(outbox._local, "connection", None) is None else b"inherited",
            )
            os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(reading, 20) == b"none"
        assert outbox._local.connection is parents  # the parent's stays its own
    finally:
        outbox._local.connection = None
        os.close(reading)
        os.close(writing)
