"""New request ids: random, drawn from the OS in batches, never the same in two processes."""

import os

from entrypoints.http.edge import new_request_id


def test_a_forked_child_draws_its_own_ids() -> None:
    new_request_id()  # the batch is started: a child that kept it would go on from here
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        os.write(write, new_request_id())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(child, 0)
    childs = os.read(read, 64)
    os.close(read)

    assert status == 0
    assert len(childs) == 32 and childs != new_request_id()


def test_ids_are_32_hex_digits_and_never_repeat_across_batches() -> None:
    ids = [new_request_id() for _ in range(1000)]  # several batches of 128

    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
