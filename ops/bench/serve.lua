-- wrk script for ops/bench/serve: GET /items/<random item>/similar; with RATE_DELAY_MS set, each
-- connection waits that long between requests (fixed offered rate = connections × 1000 / delay).
local n = tonumber(os.getenv("ITEMS") or "100000")
local id_format = os.getenv("ID_FORMAT") or "p%06d"
local pause = tonumber(os.getenv("RATE_DELAY_MS") or "0")
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("seed", counter)
end

function init(args)
    math.randomseed(seed * 7919)
end

function request()
    return wrk.format("GET", "/items/" .. string.format(id_format, math.random(0, n - 1)) .. "/similar")
end

if pause > 0 then
    function delay() return pause end
end

dofile("ops/bench/wrk_report.lua")
