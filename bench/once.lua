-- wrk script of bench/run.sh for requests that work once each (a refresh
-- token is used once; a trigger is counted against its account's caps):
-- every request is its own line of a file, sent once.
--
-- BENCH_LINES: a file of lines "METHOD PATH TOKEN BODY" (TOKEN "-": no
-- Authorization header; BODY the rest of the line, a JSON:API document).
-- BENCH_THREADS: wrk's -t.  Thread i of n sends lines i, i + n, ...  A
-- thread that runs out stops, and the BENCH line says so (exhausted=1):
-- wrk still counts the whole duration, so run.sh refuses the numbers.

local threads_list = {}

function setup(thread)
   thread:set("id", #threads_list)
   table.insert(threads_list, thread)
end

function init(args)
   local threads = tonumber(os.getenv("BENCH_THREADS") or "1")
   mine, k, exhausted = {}, 0, 0
   local i = 0
   for line in io.lines(os.getenv("BENCH_LINES")) do
      if i % threads == id then
         local m, path, token, body = line:match("^(%S+) (%S+) (%S+) (.*)$")
         local h = {
            ["Accept"] = "application/vnd.api+json",
            ["Content-Type"] = "application/vnd.api+json",
         }
         if token ~= "-" then
            h["Authorization"] = "Bearer " .. token
         end
         table.insert(mine, wrk.format(m, path, h, body))
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
   return mine[k]
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
