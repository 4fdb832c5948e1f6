-- wrk script: GET /healthz; with RATE_DELAY_MS set, each connection waits that long between
-- requests (fixed offered rate = connections × 1000 / delay).
local pause = tonumber(os.getenv("RATE_DELAY_MS") or "0")

function request()
    return wrk.format("GET", "/healthz")
end

if pause > 0 then
    function delay() return pause end
end

dofile("ops/bench/wrk_report.lua")
