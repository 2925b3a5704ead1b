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

-- BENCH_METHOD, BENCH_BODY, BENCH_MFA_CODE (optional): a write request.
local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then
   wrk.method = method
end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
   wrk.body = body
   wrk.headers["Content-Type"] = "application/vnd.api+json"
end
local code = os.getenv("BENCH_MFA_CODE")
if code and code ~= "" then
   wrk.headers["X-MFA-Code"] = code
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99),
      e.status, e.connect + e.read + e.write + e.timeout))
end
