"""wrk as the load client: the yardstick of issue 15 (`wrk -t1 -c32`, 10 s a phase).

wrk is written in C and runs one thread here, so it takes far less of the machine's CPU per
request than loadgen's threaded Python client. That matters on a 2-core machine, where the
client and the server share the cores: the Python client spends about 0.3 ms of CPU on
each request of the floor, which holds the floor at about 60 % of what the same gunicorn
serves to wrk and so flatters every ratio to it (bench/README.md, "Which client").

A phase runs for a fixed time rather than a fixed number of requests. A Lua script makes
each request (a scan: the next code of a list and a fresh nonce) and checks each answer
(the status, and for a scan its `result`); wrk reports the requests, their latency
distribution and socket errors, and the script the answers that were not as expected.
"""

from __future__ import annotations

import random
import re
import resource
import secrets
import shutil
import subprocess
import time
from pathlib import Path

from loadgen import BenchError, Client, Phase, Server, cpu_now, cpu_used

_SCRIPT = r"""
local codes = {}
%(codes)s
local count = #codes
local cycle = %(cycle)s
local path, method = "%(path)s", "%(method)s"
local want = %(want)s
local headers = {%(headers)s}
-- per thread (wrk runs request and response in each thread's own Lua state, and done in
-- the main one, which reads these globals from the threads)
sent, bad, ran_out, first_bad = 0, 0, 0, nil
local threads = {}
math.randomseed(%(seed)d)

setup = function(thread)
  threads[#threads + 1] = thread
end

request = function()
  sent = sent + 1
  if count == 0 then
    return wrk.format(method, path, headers)
  end
  if sent > count and not cycle then ran_out = ran_out + 1 end
  local code = codes[((sent - 1) %% count) + 1]
  -- a prefix of this script's own, so that no two phases can send the same nonce (one
  -- seen before is answered as it was the first time)
  local nonce = "%(prefix)s" .. string.format("%%08x%%08x", math.random(0, 0x7fffffff), sent)
  local body = '{"code": "' .. code .. '", "direction": "entry", "nonce": "' .. nonce ..
               '", "device": "bench"}'
  return wrk.format(method, path, headers, body)
end

response = function(status, hdrs, body)
  if status ~= 200 or not string.find(body, want) then
    bad = bad + 1
    if first_bad == nil then
      first_bad = status .. " " .. (string.match(body, '"result": ?"[^"]*"')
                                    or string.sub(body, 1, 120))
    end
  end
end

done = function(summary, latency, requests)
  local all_bad, all_ran_out, first = 0, 0, nil
  for _, thread in ipairs(threads) do
    all_bad = all_bad + thread:get("bad")
    all_ran_out = all_ran_out + thread:get("ran_out")
    first = first or thread:get("first_bad")
  end
  io.write(string.format("WUSHE bad=%%d ran_out=%%d\n", all_bad, all_ran_out))
  if first then io.write("WUSHE first_bad=" .. first .. "\n") end
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(number) * _UNITS[unit], 2)


def write_script(path: Path, *, url_path: str, headers: dict[str, str], want: str,
                 codes: list[str] | None = None, seed: int = 1, cycle: bool = False) -> Path:
    """The Lua script of a phase: GET url_path (no codes), or POST a scan of each code in
    turn, from the first again past the end of the list (counted as `ran_out` unless
    `cycle`: a phase of distinct codes must not scan one twice)."""
    read = ""
    if codes:  # one per line beside the script (a Lua chunk holds only so many constants)
        listed = path.with_suffix(".codes")
        listed.write_text("\n".join(codes) + "\n")
        read = f"for line in io.lines({_lua_string(str(listed))}) do codes[#codes + 1] = line end"
    fields = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
    # Lua patterns: a JSON member such as "result": "ok" (the space is optional)
    pattern = re.sub(r"([^\w ])", r"%\1", want).replace(" ", " ?")
    path.write_text(_SCRIPT % {
        "codes": read, "cycle": "true" if cycle else "false", "path": url_path,
        "prefix": secrets.token_hex(8),
        "method": "POST" if codes else "GET", "want": _lua_string(pattern),
        "headers": fields, "seed": seed})
    return path


def run_phase(name: str, server: Server, script: Path, *, seconds: float, connections: int,
              db_cpu=None) -> Phase:
    """One wrk run of `seconds` against the server; the figures as loadgen's phases have
    them (CPU in percent of one core: the client is wrk, measured by its rusage)."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",
           "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{server.port}/"]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = cpu_now(server, db_cpu)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    after = cpu_now(server, db_cpu)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped
    client = (waited.ru_utime + waited.ru_stime) - (children.ru_utime + children.ru_stime)
    before["client"], after["client"] = 0.0, client
    used = cpu_used(before, after, elapsed)
    out = done.stdout
    if done.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or out}")
    total = int(re.search(r"(\d+) requests in", out).group(1))
    wall = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    latency = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out)
    errors: dict[str, int] = {}
    found = re.search(r"WUSHE bad=(\d+) ran_out=(\d+)", out)
    bad, ran_out = (int(found.group(1)), int(found.group(2))) if found else (total, 0)
    if ran_out:
        errors["ran out of distinct codes (more --volunteers)"] = ran_out
    if bad - ran_out > 0:
        first = re.search(r"WUSHE first_bad=(.*)", out)
        errors[f"unexpected answer, the first: {first.group(1) if first else '?'}"] = (
            bad - ran_out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                        r"timeout (\d+)", out)
    if sockets and any(int(n) for n in sockets.groups()):
        errors["socket errors (connect, read, write, timeout): "
               + ", ".join(sockets.groups())] = sum(int(n) for n in sockets.groups())
    return Phase(
        name=name, requests=total, completed=total, errors=sum(errors.values()),
        seconds=wall, rps=round(total / wall, 1) if wall else 0.0,
        p50_ms=_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        p99_ms=_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        max_ms=_ms(latency.group(1)) if latency else 0.0, **used, error_kinds=errors)


def measure(args, name: str, server: Server, script: Path, db_cpu=None) -> Phase:
    """One phase of the benchmark's (`args`: its options); wrk failing stops the run."""
    try:
        measured = run_phase(name, server, script, seconds=args.duration,
                             connections=args.concurrency, db_cpu=db_cpu)
    except (RuntimeError, subprocess.SubprocessError) as exc:
        raise BenchError(f"{name}: {exc}") from exc
    return measured


def scan_phases(args, workdir: Path, server: Server, client: Client, scans: str,
                codes: list[str], db_cpu) -> list[Phase]:
    """The trivial endpoint and the two scan phases, each `--duration` seconds of wrk with
    the organiser's cookies and CSRF token. Repeated codes are those the distinct phase
    scanned, again, in another order (cycling). Left out: the first code (wrk calls the
    script's `request` once before the run to check it, and sends nothing) and the last,
    one a connection, which may have been made but not sent when wrk stopped."""
    headers = client.headers(True)
    health = write_script(workdir / "health.lua", url_path="/api/v1/health",
                          headers=client.headers(False), want='"status": "ok"')
    distinct = write_script(workdir / "distinct.lua", url_path=scans, headers=headers,
                            want='"result": "ok"', codes=codes, seed=args.seed)
    measured = [measure(args, "trivial (health)", server, health, db_cpu),
                measure(args, "scan: distinct codes", server, distinct, db_cpu)]
    scanned = codes[1:max(min(measured[-1].completed, len(codes)) - args.concurrency, 2)]
    again = random.Random(args.seed + 1).sample(scanned, len(scanned))
    repeated = write_script(workdir / "repeated.lua", url_path=scans, headers=headers,
                            want='"result": "already_checked_in"', codes=again,
                            seed=args.seed + 1, cycle=True)
    measured.append(measure(args, "scan: repeated codes", server, repeated, db_cpu))
    return measured
