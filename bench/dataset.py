"""The benchmark data set: a big roster with enrolments, identities and completions.

Loaded with the drivers' bulk paths (executemany on SQLite, COPY on PostgreSQL),
because the point is to measure answering, not loading.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from bot import content as content_mod
from bot.models import DISCIPLINES
from bot.settings import PROJECT_ROOT

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def fill(
    engine: Engine,
    people: int,
    teams: int,
    completions: int,
    seed: int = 7,
    platform: str = "bench",
    conversation: Callable[[str], dict[str, Any]] | None = None,
) -> float:
    """Bulk-load the roster, enrolments, identities and completions. Returns seconds.

    With ``conversation`` (user id -> saved reference), each person also gets a saved
    personal conversation ``a:personal-<user id>``, as everyone who has used the bot has.
    """
    content = content_mod.load(PROJECT_ROOT / "content")
    rng = random.Random(seed)
    started = time.perf_counter()
    ts = NOW.isoformat()
    team_rows = [(i + 1, f"team-{i + 1}", f"Team {i + 1}", ts) for i in range(teams)]
    person_rows = []
    enrol_rows = []
    ident_rows = []
    course_pool: list[list[str]] = []
    for pid in range(1, people + 1):
        discipline = DISCIPLINES[pid % len(DISCIPLINES)]
        person_rows.append(
            (pid, f"p{pid}@example.org", f"Person {pid}", discipline, (pid % teams) + 1, ts, ts, ts)
        )
        open_paths = [p for p in content.pathways.values() if p.open_to(discipline)]
        chosen = rng.sample(open_paths, k=min(2, len(open_paths)))
        courses: list[str] = []
        for p in chosen:
            enrol_rows.append((pid, p.id, ts, "bench"))
            courses += [c for c in p.courses if c not in courses]
        course_pool.append(courses)
        ident_rows.append((platform, f"U{pid}", pid, ts))
    # Spread COMPLETIONS over people, each finishing a prefix of their own courses.
    per_person = completions / people
    completion_rows = []
    for pid, courses in enumerate(course_pool, start=1):
        n = min(len(courses), int(per_person) + (1 if rng.random() < per_person % 1 else 0))
        completion_rows += [(pid, c, ts, ts, "import", True, "bench") for c in courses[:n]]
    # Top up with other courses if prefixes were too short to reach the target.
    all_courses = list(content.courses)
    seen = {(r[0], r[1]) for r in completion_rows}
    while len(completion_rows) < completions:
        pid = rng.randint(1, people)
        cid = rng.choice(all_courses)
        if (pid, cid) not in seen:
            seen.add((pid, cid))
            completion_rows.append((pid, cid, ts, ts, "import", True, "bench"))
    tables = [
        ("team", "id, key, name, created_at", team_rows),
        (
            "person",
            "id, email, name, discipline, team_id, account_confirmed_at, created_at, updated_at",
            person_rows,
        ),
        (
            "person_role",
            "person_id, role, granted_at, granted_by",
            [(r[0], "clinician", ts, "bench") for r in person_rows],
        ),
        ("platform_identity", "platform, external_id, person_id, linked_at", ident_rows),
        ("enrolment", "person_id, pathway_id, enrolled_at, enrolled_by", enrol_rows),
        (
            "conversation",
            "platform, conversation_id, kind, person_id, reference, updated_at, unreachable_reason",
            [
                (
                    platform,
                    f"a:personal-U{r[0]}",
                    "personal",
                    r[0],
                    json.dumps(conversation(f"U{r[0]}"), sort_keys=True),
                    ts,
                    "",
                )
                for r in person_rows
            ]
            if conversation
            else [],
        ),
        (
            "completion",
            "person_id, course_id, completed_at, recorded_at, source, verified, recorded_by",
            completion_rows,
        ),
    ]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            # Huddle's engine leaves transactions to SQLAlchemy (driver autocommit), so a raw
            # bulk load must open its own, or every row would be committed on its own.
            cur.execute("BEGIN")
            for name, cols, rows in tables:
                marks = ", ".join("?" for _ in cols.split(","))
                cur.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", rows)
        else:
            for name, cols, rows in tables:
                with cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
            for seq_table in ("team", "person"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{seq_table}', 'id'), "
                    f"(SELECT max(id) FROM {seq_table}))"
                )
            cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started
