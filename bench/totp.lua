-- wrk script for bench/run.sh target (g): protected writes, each with a
-- fresh app code (no grace window: every request's token is another
-- account's, and every code is new).  BENCH_TOTP_FILE lists the requests,
-- "path token code" per line (bench/totp_setup.py); thread n of
-- BENCH_THREADS sends lines n, n + T, n + 2T, ... in order, so each
-- account's codes go out in step order.  A thread that has sent all of its
-- lines stops (wrk still counts the whole duration: the rate is then a
-- lower bound, and exhausted=N says so).  Prints the BENCH line of wrk.lua, counting only answers to
-- the listed requests: ok (200) and bad (anything else).

local threads = {}
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local body = '{"data":{"type":"customers","attributes":{"lastName":"Wagner"}}}'

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   mine, i, ok, bad, exhausted = {}, 0, 0, 0, 0
   local n = 0
   for line in io.lines(os.getenv("BENCH_TOTP_FILE")) do
      if n % nthreads == id then
         local path, token, code = line:match("^(%S+) (%S+) (%S+)$")
         table.insert(mine, wrk.format("PATCH", path, {
            ["Authorization"] = "Bearer " .. token,
            ["Accept"] = "application/vnd.api+json",
            ["Content-Type"] = "application/vnd.api+json",
            ["X-MFA-Code"] = code }, body))
      end
      n = n + 1
   end
end

function request()
   i = i + 1
   if i > #mine then
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/bench/hello")
   end
   return mine[i]
end

-- The listed requests' answers, not the closing GETs' (type "hello").
function response(status, headers, body)
   if not body:find('"type":"hello"', 1, true) then
      if status == 200 then ok = ok + 1 else bad = bad + 1 end
   end
end

function done(summary, latency, requests)
   local o, b, x = 0, 0, 0
   for _, t in ipairs(threads) do
      o = o + t:get("ok")
      b = b + t:get("bad")
      x = x + t:get("exhausted")
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d errors=%d exhausted=%d\n",
      o + b, summary.duration, latency:percentile(50), latency:percentile(99),
      b, e.connect + e.read + e.write + e.timeout, x))
end
