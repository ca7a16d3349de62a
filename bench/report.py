"""The bench's one table: printed, and written as JSON and Markdown under bench/results/."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from bench.loadgen import LoadResult

RESULTS_DIR = Path(__file__).with_name("results")


@dataclass
class Row:
    target: str
    workers: int
    load: str  # "closed, 64 conn" or "open, 5000/s"
    result: LoadResult
    clicks_captured: int | None = None
    clicks_served: int | None = None
    ratio_a: float | None = None
    ratio_c: float | None = None

    def cells(self) -> list[str]:
        r = self.result
        rate = f"{r.rps:,.0f}"
        if r.target_rate is not None and r.rps < 0.95 * r.target_rate:
            rate += " (behind)"  # the server could not keep the offered rate: latencies understate
        clicks = "" if self.clicks_captured is None else f"{self.clicks_captured:,}/{self.clicks_served:,}"
        return [
            self.target,
            str(self.workers),
            self.load,
            rate,
            f"{r.p50:.2f}",
            f"{r.p90:.2f}",
            f"{r.p99:.2f}",
            f"{r.p999:.2f}",
            f"{r.max:.1f}",
            f"{r.unexpected:,}",
            "" if r.cpu_us_per_request is None else f"{r.cpu_us_per_request:.0f}",
            clicks,
            "" if self.ratio_a is None else f"{self.ratio_a:.2f}",
            "" if self.ratio_c is None else f"{self.ratio_c:.2f}",
        ]


HEADERS = [
    "target",
    "workers",
    "load",
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
    "errors",
    "CPU µs/req",
    "clicks captured/served",
    "÷ (a)",
    "÷ (c)",
]


def text_table(rows: list[Row]) -> str:
    cells = [HEADERS, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]
    lines = [
        "  ".join(value.ljust(widths[i]) if i < 3 else value.rjust(widths[i]) for i, value in enumerate(line))
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join("---" for _ in HEADERS) + "|"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def write_results(rows: list[Row], *, meta: dict[str, object], notes: list[str], stem: str = "latest") -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    payload = {
        "meta": meta,
        "notes": notes,
        "rows": [
            {
                **asdict(row),
                "result": {
                    **asdict(row.result),
                    "rps": row.result.rps,
                    "unexpected": row.result.unexpected,
                    "cpu_us_per_request": row.result.cpu_us_per_request,
                },
            }
            for row in rows
        ],
    }
    (RESULTS_DIR / f"{stem}.json").write_bytes(
        orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    )
    markdown = [f"# Hop edge benchmark ({meta.get('finished_at', '')})", "", markdown_table(rows), ""]
    markdown += [f"- {note}" for note in notes]
    markdown += ["", "```", orjson.dumps(meta, option=orjson.OPT_INDENT_2).decode(), "```", ""]
    path = RESULTS_DIR / f"{stem}.md"
    path.write_text("\n".join(markdown))
    return path
