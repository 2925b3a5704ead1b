-- wrk script for bench/run.sh.
--
-- BENCH_TOKEN (optional): sent as "Authorization: Bearer <token>".
-- At the end prints one line that run.sh parses instead of wrk's human
-- output (whose units change between us, ms and s):
--   BENCH requests=N duration_us=N p50_us=N p99_us=N non2xx=N errors=N

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.headers["Accept"] = "application/vnd.api+json"

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99),
      e.status, e.connect + e.read + e.write + e.timeout))
end
