-- wrk script for target (g) of bench/run.sh: protected PATCHes, each with
-- a recovery code that was never sent before (a code works once, so every
-- request needs its own).
--
-- BENCH_PAIRS: a file of lines "PATH TOKEN CODE" (bench/recovery.py writes
-- it, one account's codes far apart so that parallel requests rarely wait
-- for the same account's lock).  BENCH_THREADS: wrk's -t.  Thread i of n
-- sends lines i, i + n, ...  A thread that runs out of codes stops and the
-- BENCH line says so (exhausted=1): wrk still counts the whole duration,
-- so run.sh refuses the numbers and asks for more accounts.

local body = '{"data":{"type":"customers","attributes":{"lastName":"Wagner"}}}'
local threads_list = {}

function setup(thread)
   thread:set("id", #threads_list)
   table.insert(threads_list, thread)
end

function init(args)
   local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
   mine, k, exhausted = {}, 0, 0
   local i = 0
   for line in io.lines(os.getenv("BENCH_PAIRS")) do
      if i % threads == id then
         local path, token, code = line:match("^(%S+) (%S+) (%S+)$")
         table.insert(mine, { path, token, code })
      end
      i = i + 1
   end
end

function request()
   k = k + 1
   if k > #mine then
      exhausted = 1
      wrk.thread:stop()
      k = #mine
   end
   local p = mine[k]
   return wrk.format("PATCH", p[1], {
      ["Authorization"] = "Bearer " .. p[2],
      ["X-MFA-Code"] = p[3],
      ["Accept"] = "application/vnd.api+json",
      ["Content-Type"] = "application/vnd.api+json",
   }, body)
end

function response(status, headers, resp)
   if k + 8 >= #mine then
      exhausted = 1
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local ex = 0
   for _, t in ipairs(threads_list) do
      ex = ex + (t:get("exhausted") or 0)
   end
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d errors=%d"
      .. " exhausted=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99),
      e.status, e.connect + e.read + e.write + e.timeout, ex))
end
