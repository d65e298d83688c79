"""Catalog API latency with 2,000 courses and 10,000 prices in the database.

Fills a scratch database (demo data, then 2,000 more published courses with 4 modules each and
5 prices per course: two ended USD prices, the USD price in force, EUR and JPY), serves the API
with granian and loads the public catalog routes with wrk, against the bare liveness endpoint in
the same run. Writes benchmarks/results/catalog_api.json.

Every request is a full GET without validators (wrk sends no If-None-Match), so the figures
are what a server answers when no CDN or browser cache stands in front of it; one case
revalidates with the ETag of its first answer (304), as a browser or CDN does after max-age.

    .venv/bin/python benchmarks/catalog_api.py [--runs 5] [--seconds 5] [--concurrency 32]

Uses a scratch Postgres database when DATABASE_URL names a server, else a SQLite file.
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta

from harness import api_server, cli, measure, report, scratch_database

COURSES = 2000
WORDS = ["Python", "Data", "Cloud", "Finance", "Health", "Leadership", "Security", "Design",
         "Analytics", "Marketing", "Statistics", "Networks", "Ethics", "Research", "Writing"]


def fill(url: str) -> dict[str, int]:
    """Bulk rows through SQLAlchemy Core: this is set-up, not the code under test."""
    from sqlalchemy import func, insert, select

    from commerce_dash.db import build_engine
    from commerce_dash.models.catalog import Course, CourseModule, Department
    from commerce_dash.models.pricing import Price

    engine = build_engine(url)
    rng = random.Random(7)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        departments = [d for (d,) in conn.execute(select(Department.id))]
        course_rows = [
            {"code": f"BENCH-{i:04d}", "title": f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}",
             "description": " ".join(rng.choice(WORDS).lower() for _ in range(40)),
             "category": rng.choice(WORDS), "department_id": rng.choice(departments),
             "published": True, "thumbnail_url": "", "estimated_minutes": rng.randint(60, 1800),
             "created_at": now, "updated_at": now}
            for i in range(COURSES)
        ]
        conn.execute(insert(Course), course_rows)
        ids = conn.execute(
            select(Course.id, Course.department_id).where(Course.code.like("BENCH-%"))
        ).all()
        conn.execute(insert(CourseModule), [
            {"course_id": cid, "position": p, "title": f"Module {p}", "summary": "",
             "estimated_minutes": 60}
            for cid, _ in ids for p in range(1, 5)
        ])
        prices = []
        for cid, dept in ids:
            base = rng.randint(19, 299) * 100 - 1
            start = now - timedelta(days=90)
            for step, amount in enumerate((base + 2000, base + 1000)):
                prices.append({"item_type": "course", "item_id": cid, "department_id": dept,
                               "price_type": "one_time", "interval": "", "trial_days": 0,
                               "currency": "USD", "amount": amount,
                               "effective_from": start + timedelta(days=30 * step),
                               "effective_until": start + timedelta(days=30 * (step + 1)),
                               "deactivated_reason": "", "created_at": now})
            for currency, amount in (("USD", base), ("EUR", base * 92 // 100),
                                     ("JPY", base * 150 // 100)):
                prices.append({"item_type": "course", "item_id": cid, "department_id": dept,
                               "price_type": "one_time", "interval": "", "trial_days": 0,
                               "currency": currency, "amount": amount,
                               "effective_from": start + timedelta(days=60),
                               "effective_until": None, "deactivated_reason": "",
                               "created_at": now})
        conn.execute(insert(Price), prices)
        counts = {
            "courses": conn.execute(select(func.count()).select_from(Course)).scalar_one(),
            "prices": conn.execute(select(func.count()).select_from(Price)).scalar_one(),
        }
    # The rows above bypassed the session, whose flushes keep the prices in force ready:
    # write them once, as the migration's backfill does.
    from sqlmodel import Session

    from commerce_dash.services import catalog as catalog_area

    with Session(engine) as session:
        counts["prices_in_force"] = catalog_area.rebuild_prices_in_force(session=session)
    if engine.dialect.name == "postgresql":
        # Fresh statistics, as autovacuum would have gathered on a live database.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-kept-answers", action="store_true",
                        help="build every answer afresh (no answers kept by ETag in the "
                             "process): what the prices kept ready alone give")
    args = parser.parse_args()
    with scratch_database() as url:
        cli(url, "migrate")
        cli(url, "seed", "--if-empty")
        counts = fill(url)
        print(f"database holds {counts['courses']} courses and {counts['prices']} prices")
        env = {"COMMERCE_CATALOG_ANSWERS_KEPT": "0"} if args.no_kept_answers else {}
        with api_server(url, args.workers, extra_env=env) as base:
            import httpx

            etag = httpx.get(base + "/api/v2/catalog/courses?page_size=24").headers["etag"]
            cases = [
                ("bare: GET /api/health/live", "/api/health/live", {}),
                ("list: page 1 by title", "/api/v2/catalog/courses?page_size=24", {}),
                ("search: q=python", "/api/v2/catalog/courses?q=python&page_size=24", {}),
                ("filter: department + price ascending",
                 "/api/v2/catalog/courses?department_id=1&sort=price_asc&page_size=24", {}),
                ("deep page: page 60, EUR", "/api/v2/catalog/courses?page=60&page_size=24"
                 "&currency=EUR", {}),
                ("detail: GET /courses/BENCH-0042", "/api/v2/catalog/courses/BENCH-0042", {}),
                ("programs: page 1", "/api/v2/catalog/programs", {}),
                ("revalidate: list page 1, If-None-Match (304)",
                 "/api/v2/catalog/courses?page_size=24", {"If-None-Match": etag}),
            ]
            results = measure(cases, base, runs=args.runs, seconds=args.seconds,
                              connections=args.concurrency)
        report("catalog_api_fresh" if args.no_kept_answers else "catalog_api", results, {"database": url.split(":")[0], **counts,
                                        "workers": args.workers,
                                        "answers_kept": not args.no_kept_answers,
                                        "connections": args.concurrency,
                                        "seconds_per_run": args.seconds, "runs": args.runs},
               baseline=cases[0][0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
