-- etc/rate-limit.lua: requests per client address under lighttpd
-- (contract §9.7), for mod_magnet (Debian package lighttpd-modules-lua):
--
--   server.modules += ( "mod_magnet" )
--   magnet.attract-raw-url-to = ( "/path/to/rate-limit.lua" )
--
-- The same limit as nginx.conf.example's limit_req (zone rate=200r/s,
-- burst=1000 nodelay), by the same rule: each address has an "excess" that
-- drains at RATE requests a second; a request that would take it above
-- BURST is refused, the others pass at once.  So a client gets up to BURST
-- requests at once and then RATE a second.  Refused: 429 with the JSON:API
-- document of www/errors/429.json (code 124), Retry-After and the headers
-- of lighttpd's other own answers (www/errors/answer.sh); nothing reaches
-- a program.
--
-- The counters live in this lighttpd process (a table mod_magnet keeps
-- between requests: package.loaded, which it does not reset as it does the
-- script's globals), so they start empty when lighttpd starts or restarts
-- and are per process with server.max-worker above 1.  Addresses whose
-- excess has drained are dropped every PRUNE_SECONDS.  The address is
-- lighttpd's idea of the client's (request.remote-addr): behind a proxy
-- every client has the proxy's, so let mod_extforward set it first, or
-- move the limit to the proxy.  The script runs in lighttpd's one event
-- loop, so it does a table look-up and a little arithmetic per request,
-- never anything that waits.

local RATE = 200            -- requests a second, per address (nginx: rate=200r/s)
local BURST = 1000          -- requests at once above the rate (nginx: burst=1000)
local RETRY_AFTER = "1"     -- seconds, as nginx.conf.example's map sends
local PRUNE_SECONDS = 10
local BODY = '{"errors":[{"status":"429","code":"124","detail":"Too many requests from this address."}]}'

local state = package.loaded["glue-mfa rate-limit"]
if not state then
	state = { addresses = {}, pruned = 0 }
	package.loaded["glue-mfa rate-limit"] = state
end

local r = lighty.r
local sec, nsec = lighty.c.hrtime()
local now = sec + nsec / 1e9
local addresses = state.addresses

if now - state.pruned >= PRUNE_SECONDS then
	for addr, e in pairs(addresses) do
		if e.excess - (now - e.last) * RATE <= 0 then
			addresses[addr] = nil
		end
	end
	state.pruned = now
end

local addr = r.req_attr["request.remote-addr"] or ""
local e = addresses[addr]
if not e then
	addresses[addr] = { excess = 0, last = now }
	return 0
end
-- (a clock stepped back drains nothing, it adds nothing either)
local elapsed = now - e.last
if elapsed < 0 then
	elapsed = 0
end
local excess = e.excess - elapsed * RATE
if excess < 0 then
	excess = 0
end
excess = excess + 1
if excess > BURST then
	-- Refused: the address's excess stays as it was (nginx likewise).
	local h = r.resp_header
	h["Content-Type"] = "application/vnd.api+json"
	h["Retry-After"] = RETRY_AFTER
	h["Cache-Control"] = "no-store"
	h["X-Content-Type-Options"] = "nosniff"
	r.resp_body:set({ BODY })
	return 429
end
e.excess = excess
e.last = now
return 0
