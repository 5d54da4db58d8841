"""SIGKILL on PostgreSQL (the SQLite runs are tests/test_delivery_faults.py and
tests/test_imports_cli.py): ``huddle run`` killed in the middle of a fan-out, and
``huddle completions import`` killed in the middle of a large import.

After the fan-out's restart, Slack received every message exactly once (rows the dead
process held are found in Slack's history or sent again once). After the import's,
the database holds exactly the groups the killed run finished, counted as such, no
pair twice; running the file again completes it with nothing doubled.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import Engine, text

from bench.dataset import fill
from bot.content import Content
from bot.db import make_engine, upgrade
from tests.processes import huddle, start_huddle
from tests.reliability.running import until
from tests.slack_fake import FakeSlack
from tests.test_delivery_faults import kill_in_the_middle_of_a_fanout
from tests.test_imports_cli import _big_export

PEOPLE = 22_000
ROWS = 130_000  # a group of RECORD_ROWS (100,000) and some: the kill comes between the two


@pytest.fixture
def engine(database: str) -> Iterator[Engine]:
    found = make_engine(database)
    upgrade(found)
    yield found
    found.dispose()


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


async def test_sigkill_in_the_middle_of_a_fanout_on_postgresql(
    fake: FakeSlack, sample_content: Content, database: str, engine: Engine, tmp_path: Path
) -> None:
    await kill_in_the_middle_of_a_fanout(fake, sample_content, database, engine, tmp_path)


def import_state(engine: Engine) -> tuple[int, int, str, int]:
    """(completions, distinct pairs, the last run's status, its added count)."""
    with engine.connect() as conn:
        completions, pairs = conn.execute(
            text("SELECT count(*), count(DISTINCT (person_id, course_id)) FROM completion")
        ).one()
        run = conn.execute(
            text("SELECT status, added FROM import_run ORDER BY id DESC LIMIT 1")
        ).one_or_none()
    return completions, pairs, run[0] if run else "", run[1] if run else 0


#: The advisory lock the test holds to stop the import at its second group.
HOLD = 4877123
#: A trigger in the test's own database: a statement writing completions once a group has
#: been recorded (the run's count committed) waits for the test's lock. The first group's
#: own writes come before its count, so they never wait; the second group's always do, on
#: any machine, so the kill lands between the two whatever the speed.
STOP_AT_SECOND_GROUP = f"""
CREATE FUNCTION huddle_test_hold() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM import_run WHERE added > 0) THEN
    PERFORM pg_advisory_xact_lock_shared({HOLD});
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER huddle_test_hold BEFORE INSERT ON completion
  FOR EACH STATEMENT EXECUTE FUNCTION huddle_test_hold();
"""
WAITING = text(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
)


async def test_sigkill_in_the_middle_of_a_large_import_on_postgresql(
    database: str, engine: Engine, tmp_path: Path
) -> None:
    fill(engine, people=PEOPLE, teams=20, completions=0, platform="slack")
    export = tmp_path / "big.csv"
    pairs = _big_export(export, [f"p{n}@example.org" for n in range(1, PEOPLE + 1)], ROWS)
    env = {"HUDDLE_DATABASE_URL": database}
    with engine.begin() as conn:
        conn.execute(text(STOP_AT_SECOND_GROUP))
    holder = engine.connect()
    holder.execute(text(f"SELECT pg_advisory_lock({HOLD})"))
    child = await start_huddle(
        "completions", "import", str(export), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def second_group_waiting() -> bool:
            with engine.connect() as conn:
                return bool(conn.execute(WAITING).all())

        await until(
            lambda: child.returncode is not None or second_group_waiting(),
            300,
            "the first group of the import recorded and the second one begun",
        )
        assert child.returncode is None, "the import ended before its second group"
        child.send_signal(signal.SIGKILL)
        await child.wait()
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
        # The killed import's server side may still be waiting: end it (its transaction
        # rolls back), then let go of the lock and take the trigger away.
        with engine.connect() as conn:
            for (pid,) in conn.execute(WAITING).all():
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        holder.execute(text(f"SELECT pg_advisory_unlock({HOLD})"))
        holder.close()
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER huddle_test_hold ON completion"))
            conn.execute(text("DROP FUNCTION huddle_test_hold()"))
    completions, distinct, status, added = import_state(engine)
    assert completions == distinct == added and status == "running"
    assert 0 < completions < len(pairs)
    code, out, err = await huddle(
        "completions", "import", str(export), cwd=tmp_path, env=env, timeout=600
    )
    assert code == 0, out + err
    completions, distinct, status, added_again = import_state(engine)
    assert completions == distinct == len(pairs) and status == "done"
    assert added + added_again == len(pairs)
