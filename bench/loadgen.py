"""A light open-loop HTTP/1.1 load generator (asyncio, raw sockets) and the CPU each side spends per request.

`requests` in threads costs about a millisecond of CPU and the GIL per request, on the same two cores as the
server: the figures measured the client as much as the app. Here each request is bytes built before the step,
one connection per request (gunicorn's sync workers close every connection), and the latency counts from the
moment the request was due.
"""

import asyncio
import json
import os
import time
from pathlib import Path
from urllib.parse import urlencode

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def request_bytes(method: str, path: str, *, host: str, headers: dict, params: dict | None = None,
                  body: dict | None = None) -> bytes:
    target = f"{path}?{urlencode(params)}" if params else path
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Accept: application/json", "Connection: close",
             *(f"{name}: {value}" for name, value in headers.items())]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def status_of(response: bytes) -> int | None:
    """The status code of a raw response ("HTTP/1.1 200 OK ..."), None if it is not one."""
    head = response.split(b"\r\n", 1)[0].split(b" ")
    return int(head[1]) if len(head) >= 2 and head[0].startswith(b"HTTP/") and head[1].isdigit() else None


async def exchange(host: str, port: int, raw: bytes, timeout: float) -> int | None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        try:
            writer.write(raw)
            response = await asyncio.wait_for(reader.read(-1), timeout)  # the server closes: read to the end
        finally:
            writer.close()
        return status_of(response)
    except (OSError, asyncio.TimeoutError):
        return None


async def open_loop(host: str, port: int, requests: list[bytes], rate: float, *, timeout: float = 10.0,
                    ok=(200, 201)) -> list[tuple[float, bool]]:
    """Send `requests` at `rate` per second whatever the answers; (latency from due time in ms, ok) per request."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    samples: list[tuple[float, bool]] = []

    async def one(due: float, raw: bytes):
        status = await exchange(host, port, raw, timeout)
        samples.append(((loop.time() - due) * 1000, status in ok))

    tasks = []
    for k, raw in enumerate(requests):
        due = start + k / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(due, raw)))
    await asyncio.gather(*tasks)
    return samples


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 if it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def processes_named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds spent by the app server (master and workers), PostgreSQL's processes and this client."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def reading(self) -> dict:
        server = [self.server_pid, *children_of(self.server_pid)]
        times = os.times()
        return {"app": sum(process_cpu_seconds(p) for p in server),
                "database": sum(process_cpu_seconds(p) for p in processes_named("postgres")),
                "client": times.user + times.system}

    @staticmethod
    def per_request_ms(before: dict, after: dict, answered: int) -> dict:
        if not answered:
            return {}
        return {part: round((after[part] - before[part]) * 1000 / answered, 2) for part in before}


def timed_step(host: str, port: int, requests: list[bytes], rate: float, meter: CpuMeter | None = None):
    """Run one open-loop step; the samples, its wall time and (with a meter) the CPU ms per answered request."""
    before = meter.reading() if meter else None
    started = time.perf_counter()
    samples = asyncio.run(open_loop(host, port, requests, rate))
    seconds = time.perf_counter() - started
    cpu = meter.per_request_ms(before, meter.reading(), sum(1 for _, ok in samples if ok)) if meter else {}
    return samples, seconds, cpu
