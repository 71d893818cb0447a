"""The attempts' claims: the in-memory twin of the embedded mode, and which one a broker
gets. (The Redis claims run against a real Redis in tests/test_scaleout_redis.py.)"""

from __future__ import annotations

import threading

from nas_core.service import MemoryClaims, RedisClaims, make_broker
from nas_core.service.claims import claims_for, holder_name


def test_memory_claims_tell_a_second_copy_from_a_first_delivery() -> None:
    claims = MemoryClaims()
    assert claims.check("s1", "m1", 1) == "free"
    assert claims.claim("s1", "m1", 1, "w1") is None
    assert claims.claim("s1", "m1", 1, "w2") == claims.value("w1")  # a second copy
    assert holder_name(claims.claim("s1", "m1", 1, "w1") or "") == "w1"
    assert claims.check("s1", "m1", 1) == "alive"  # its holder is this process
    assert claims.take_over("s1", "m1", 1) == ("alive", claims.value("w1"))
    assert claims.claim("s1", "m1", 2, "w1") is None  # another attempt, another claim
    assert claims.claim("s2", "m1", 1, "w1") is None  # another session's model


def test_an_ended_memory_claim_is_forgotten_so_the_attempt_may_be_sent_again() -> None:
    # cancelled before it started, then queued again: the same attempt number trains
    claims = MemoryClaims()
    assert claims.claim("s1", "m1", 1, "w1") is None
    claims.end("s1", "m1", 1)
    assert claims.check("s1", "m1", 1) == "free"
    assert claims.take_over("s1", "m1", 1) == ("taken", "")
    assert claims.claim("s1", "m1", 1, "w1") is None
    claims.release("s1", "m1", 1)
    assert claims.check("s1", "m1", 1) == "free"


def test_memory_claims_have_one_holder_among_threads() -> None:
    claims = MemoryClaims()
    won: list[str] = []
    start = threading.Barrier(8)

    def claim(worker: str) -> None:
        start.wait()
        if claims.claim("s1", "m1", 1, worker) is None:
            won.append(worker)

    threads = [threading.Thread(target=claim, args=(f"w{k}",)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert claims.claim("s1", "m1", 1, "late") == claims.value(won[0])


def test_each_broker_gets_its_claims() -> None:
    assert isinstance(claims_for(make_broker(None)), MemoryClaims)
    redis = claims_for(make_broker("redis://localhost:6379/0"))  # connecting is lazy
    assert isinstance(redis, RedisClaims)
    assert redis.key("s1", "m1", 2) == "dramatiq:remap-claim:s1:m1:2"
    assert redis.value("w1").endswith("|w1")
