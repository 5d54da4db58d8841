"""Reading a learning-site export as it comes: CSV in the encodings and separators sites
write (UTF-8 with or without a BOM, UTF-16 with a BOM, Windows-1252; comma, semicolon,
tab or bar) or an XLSX workbook; the header row found among metadata rows above it,
and metadata rows under it (Canvas's "Points Possible") passed over; then the rows
streamed in batches of text cells, each row with its number in the file.

CSV rows are parsed by pyarrow's streaming reader (C++, constant memory); XLSX rows
by openpyxl in read-only mode.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.csv as pa_csv
from openpyxl import load_workbook

from bot.sources import Profile, fold

# Arrow's memory pool, for the whole process: jemalloc where this build of Arrow has it
# (Linux and macOS wheels), unless the operator chose one (ARROW_DEFAULT_MEMORY_POOL).
# The default, mimalloc, keeps the memory of batches already done: a million-row import
# peaked at about 280 MB of RSS with it and 205 MB with jemalloc (which Arrow sets up to
# give freed pages back at once), for the same CPU time.
if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
    with contextlib.suppress(NotImplementedError):  # a build without it (Windows)
        pa.set_memory_pool(pa.jemalloc_memory_pool())

#: How far down a file its header row may be.
HEADER_SEARCH_ROWS = 30
#: Metadata rows under the header before the first row about a person.
MAX_METADATA_ROWS = 10
HEAD_BYTES = 256 * 1024
#: The CSV reader's block: a batch is one block's rows (about 14,000 rows of a plain
#: export), and batches are recorded in bigger groups (running.RECORD_ROWS). Small, for
#: memory: Arrow's streaming reader reads up to 32 blocks ahead on its own I/O thread
#: (as Python bytes, outside Arrow's memory pool), and the parser's buffers grow with
#: the block. A 70 MB export took about 130 MB of RSS to read at 4 MB blocks, about
#: 60 MB at 1 MB, for the same speed.
BLOCK_BYTES = 1024 * 1024
XLSX_BATCH_ROWS = 20_000
DELIMITERS = (",", ";", "\t", "|")
XLSX_MAGIC = b"PK\x03\x04"


class ReadProblem(Exception):
    """The file cannot be imported as it is; ``key`` names the template that says why and
    ``values`` fill it in."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Layout:
    """What a file turned out to be."""

    kind: str  # csv or xlsx
    encoding: str  # a Python codec name, for CSV
    delimiter: str
    header_row: int  # 1-based
    header: tuple[str, ...]  # as written
    data_start: int  # 1-based row of the first row after the header and its metadata rows
    metadata_rows: int
    profile: Profile
    sheet: str = ""
    #: Other profiles whose layout the header also fits (a choice to offer).
    also: tuple[str, ...] = ()

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold(h) for h in self.header)

    def describe(self) -> str:
        if self.kind == "xlsx":
            return f"XLSX, sheet {self.sheet}"
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
        return f"CSV, {_ENCODING_NAMES.get(self.encoding, self.encoding)}, {names[self.delimiter]}"


_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
}


@dataclass
class Chunk:
    """Some rows: a table of text cells (columns ``c0``, ``c1`` ...), each row's number
    in the file, and rows the parser could not split into the header's cells."""

    table: pa.Table
    rows: pa.Array  # int64, one per table row
    invalid: list[tuple[int, str, int]] = field(default_factory=list)  # (row, text, cells)
    done: int = 0  # progress: bytes (CSV) or rows (XLSX) read so far
    total: int = 0


def sniff_encoding(head: bytes) -> str:
    """The codec a file's first bytes say it is in."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the sample's end
            return "cp1252"
    return "utf-8"


def inspect(
    path: Path,
    name: str,
    profiles: Sequence[Profile],
    wanted: Profile | None,
    fits: Callable[[Profile, Sequence[str], str], bool],
) -> Layout:
    """Find what the file is and where its header is, for ``wanted`` or for whichever
    profile fits; ``fits(profile, header cells, file name)``."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if not head.strip():
        raise ReadProblem("import.empty")
    if head.startswith(XLSX_MAGIC):
        return _inspect_xlsx(path, name, profiles, wanted, fits)
    encoding = sniff_encoding(head)
    text = head.decode(encoding, errors="replace")
    if len(head) == HEAD_BYTES:
        text = text[: text.rfind("\n") + 1] or text  # whole lines only
    ordered = sorted(DELIMITERS, key=lambda d: -_consistency(text, d))
    for delimiter in ordered:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        found = _find_header(rows, name, profiles, wanted, fits)
        if found is not None:
            index, profile, also = found
            skipped = _metadata_rows(rows, index, profile)
            return Layout(
                "csv",
                encoding,
                delimiter,
                index + 1,
                tuple(rows[index]),
                index + 2 + skipped,
                skipped,
                profile,
                also=also,
            )
    raise _no_header(wanted, profiles)


def _consistency(text: str, delimiter: str) -> int:
    """How well ``delimiter`` splits the sample into rows of one width (0: not at all)."""
    widths = [len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
    widths = [w for w in widths if w > 1]
    if not widths:
        return 0
    common = max(set(widths), key=widths.count)
    return widths.count(common) * common


def _find_header(
    rows: Sequence[Sequence[str]],
    name: str,
    profiles: Sequence[Profile],
    wanted: Profile | None,
    fits: Callable[[Profile, Sequence[str], str], bool],
) -> tuple[int, Profile, tuple[str, ...]] | None:
    candidates = [wanted] if wanted is not None else list(profiles)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [str(c) for c in row]
        matched = [p for p in candidates if fits(p, cells, name)]
        if matched:
            # The most particular layout first: the one that names the most of the header.
            matched.sort(key=lambda p: -_particularity(p, cells))
            best = matched[0]
            also = tuple(
                p.id for p in matched[1:] if _particularity(p, cells) == _particularity(best, cells)
            )
            return index, best, also
    return None


def _particularity(profile: Profile, cells: Sequence[str]) -> int:
    folded = {fold(c) for c in cells}
    named = [*profile.recognise, *(p.column for p in profile.people)]
    named += [profile.course.column, profile.status_column, profile.date_column]
    return sum(1 for n in named if n and n in folded) + profile.header_starts_empty


def _metadata_rows(rows: Sequence[Sequence[str]], index: int, profile: Profile) -> int:
    """Rows under the header before the first one about a person: no person in them (as
    Canvas's "Points Possible"), or matching the profile's ``skip`` patterns."""
    folded = [fold(c) for c in rows[index]]
    key = next((p for p in profile.people if p.column in folded), None)
    person = folded.index(key.column) if key is not None else None
    skipped = 0
    for row in rows[index + 1 : index + 1 + MAX_METADATA_ROWS]:
        cell = row[person].strip() if person is not None and person < len(row) else ""
        first = next((c.strip() for c in row if c.strip()), "")
        if _names_someone(cell, key.by if key else "") and not any(
            re.search(p, first) for p in profile.skip
        ):
            break
        skipped += 1
    return skipped


def _names_someone(cell: str, by: str) -> bool:
    """Whether a cell could name a person: an email has an @, a username no spaces (so
    "Points Possible" under the header is not somebody)."""
    if not cell:
        return False
    if by == "email":
        return "@" in cell
    return not any(ch.isspace() for ch in cell)


def _no_header(wanted: Profile | None, profiles: Sequence[Profile]) -> ReadProblem:
    if wanted is not None:
        columns = [*wanted.recognise, *(p.column for p in wanted.people[:1])]
        return ReadProblem(
            "import.no_header_for",
            profile=wanted.id,
            columns=", ".join(c for c in columns if c) or "-",
            rows=str(HEADER_SEARCH_ROWS),
        )
    return ReadProblem(
        "import.unrecognised",
        profiles=", ".join(p.id for p in profiles),
        rows=str(HEADER_SEARCH_ROWS),
    )


# --- CSV rows ------------------------------------------------------------------------------


class _Counting(io.RawIOBase):
    """A file that counts the bytes read from it (for a progress bar)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


def chunks(path: Path, layout: Layout) -> Iterator[Chunk]:
    """The file's rows after the header (and its metadata rows), in batches."""
    if layout.kind == "xlsx":
        yield from _xlsx_chunks(path, layout)
        return
    width = len(layout.header)
    names = [f"c{i}" for i in range(width)]
    invalid: list[tuple[int, str, int]] = []

    def bad_row(row: Any) -> str:
        invalid.append((row.number or 0, row.text, row.actual_columns))
        return "skip"

    total = path.stat().st_size
    counting = _Counting(path.open("rb"))
    source = pa.PythonFile(counting, mode="r")
    reader = pa_csv.open_csv(
        source,
        read_options=pa_csv.ReadOptions(
            column_names=names,
            skip_rows_after_names=layout.data_start - 1,
            block_size=BLOCK_BYTES,
            use_threads=False,  # rows keep their numbers (for the error file)
            encoding="utf8" if layout.encoding.startswith("utf-8") else layout.encoding,
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=layout.delimiter,
            ignore_empty_lines=False,
            newlines_in_values=True,
            invalid_row_handler=bad_row,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    next_row = layout.data_start
    try:
        for batch in reader:
            found, invalid[:] = list(invalid), []
            count = batch.num_rows
            skipped = sorted(n for n, _, _ in found if n)
            if skipped and skipped[0] < next_row + count + len(skipped):
                numbers = _numbers_around(next_row, count, set(skipped))
            else:
                numbers = pa.array(range(next_row, next_row + count), pa.int64())
            if count:
                next_row = numbers[-1].as_py() + 1
            yield Chunk(
                pa.Table.from_batches([batch]), numbers, found, done=counting.count, total=total
            )
    finally:
        source.close()


def _numbers_around(start: int, count: int, skipped: set[int]) -> pa.Array:
    numbers: list[int] = []
    row = start
    while len(numbers) < count:
        if row not in skipped:
            numbers.append(row)
        row += 1
    return pa.array(numbers, pa.int64())


# --- XLSX ----------------------------------------------------------------------------------


def _open_workbook(path: Path) -> Any:
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML or openpyxl errors: the file is not a workbook
        raise ReadProblem("import.bad_xlsx", reason=str(exc)[:200]) from exc


def _inspect_xlsx(
    path: Path,
    name: str,
    profiles: Sequence[Profile],
    wanted: Profile | None,
    fits: Callable[[Profile, Sequence[str], str], bool],
) -> Layout:
    book = _open_workbook(path)
    try:
        for sheet in book.worksheets:
            rows = [
                [cell_text(v) for v in row]
                for row in sheet.iter_rows(
                    max_row=HEADER_SEARCH_ROWS + MAX_METADATA_ROWS + 1, values_only=True
                )
            ]
            found = _find_header(rows, name, profiles, wanted, fits)
            if found is None:
                continue
            index, profile, also = found
            header = rows[index]
            while header and not header[-1].strip():
                header = header[:-1]
            skipped = _metadata_rows(rows, index, profile)
            return Layout(
                "xlsx",
                "",
                "",
                index + 1,
                tuple(header),
                index + 2 + skipped,
                skipped,
                profile,
                sheet=sheet.title,
                also=also,
            )
    finally:
        book.close()
    raise _no_header(wanted, profiles)


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_chunks(path: Path, layout: Layout) -> Iterator[Chunk]:
    book = _open_workbook(path)
    try:
        sheet = book[layout.sheet]
        width = len(layout.header)
        total = sheet.max_row or 0
        names = [f"c{i}" for i in range(width)]
        columns: list[list[str]] = [[] for _ in range(width)]
        numbers: list[int] = []
        invalid: list[tuple[int, str, int]] = []
        for number, row in enumerate(
            sheet.iter_rows(min_row=layout.data_start, values_only=True), start=layout.data_start
        ):
            cells = [cell_text(v) for v in row]
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                invalid.append((number, ",".join(cells), len(cells)))
            else:
                cells += [""] * (width - len(cells))
                for i in range(width):
                    columns[i].append(cells[i])
                numbers.append(number)
            if len(numbers) >= XLSX_BATCH_ROWS:
                yield _xlsx_chunk(names, columns, numbers, invalid, number, total)
                columns, numbers, invalid = [[] for _ in range(width)], [], []
        if numbers or invalid:
            yield _xlsx_chunk(names, columns, numbers, invalid, total, total)
    finally:
        book.close()


def _xlsx_chunk(
    names: list[str],
    columns: list[list[str]],
    numbers: list[int],
    invalid: list[tuple[int, str, int]],
    done: int,
    total: int,
) -> Chunk:
    table = pa.table({n: pa.array(col, pa.string()) for n, col in zip(names, columns, strict=True)})
    return Chunk(table, pa.array(numbers, pa.int64()), invalid, done=done, total=total)


def head_rows(path: Path) -> list[list[str]]:
    """The first rows of a file (CSV or XLSX), as cells: enough to tell what it is."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if not head.strip():
        raise ReadProblem("import.empty")
    if head.startswith(XLSX_MAGIC):
        book = _open_workbook(path)
        try:
            sheet = book.worksheets[0]
            limit = HEADER_SEARCH_ROWS
            return [
                [cell_text(v) for v in r] for r in sheet.iter_rows(max_row=limit, values_only=True)
            ]
        finally:
            book.close()
    text = head.decode(sniff_encoding(head), errors="replace")
    if len(head) == HEAD_BYTES:
        text = text[: text.rfind("\n") + 1] or text
    delimiter = max(DELIMITERS, key=lambda d: _consistency(text, d))
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))[:HEADER_SEARCH_ROWS]


# --- small files as text -------------------------------------------------------------------


def as_text(path: Path, limit: int) -> str:
    """A small file (a roster) as CSV text, whatever its encoding, separator or format."""
    with path.open("rb") as f:
        head = f.read(limit + 1)
    if len(head) > limit:
        raise ReadProblem("import.too_large", limit=f"{limit // (1024 * 1024)} MB")
    if head.startswith(XLSX_MAGIC):
        book = _open_workbook(path)
        try:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            for row in book.worksheets[0].iter_rows(values_only=True):
                writer.writerow([cell_text(v) for v in row])
            return out.getvalue()
        finally:
            book.close()
    text = head.decode(sniff_encoding(head), errors="replace")
    delimiter = max(DELIMITERS, key=lambda d: _consistency(text[:HEAD_BYTES], d))
    if delimiter == ",":
        return text
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        csv.reader(io.StringIO(text), delimiter=delimiter)
    )
    return out.getvalue()


def count_rows(path: Path) -> int:
    """About how many rows a file holds (its lines, less one for the header), quickly."""
    with path.open("rb") as f:
        head = f.read(len(XLSX_MAGIC))
        if head == XLSX_MAGIC:
            return 0  # unknown without reading the workbook
        f.seek(0)
        wide = sniff_encoding(f.read(4)) == "utf-16"
        f.seek(0)
        lines = 0
        while block := f.read(1024 * 1024):
            lines += block.count(b"\n\x00" if wide else b"\n")
    return max(lines - 1, 0)
