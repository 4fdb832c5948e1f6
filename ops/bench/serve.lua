-- wrk script for ops/bench/serve: GET /items/<random item>/similar; with RATE_DELAY_MS set, each
-- connection waits that long between requests (fixed offered rate = connections × 1000 / delay).
local n = tonumber(os.getenv("ITEMS") or "100000")
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
    return wrk.format("GET", string.format("/items/p%06d/similar", math.random(0, n - 1)))
end

if pause > 0 then
    function delay() return pause end
end

function done(summary, latency, requests)
    local bad = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
    io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000, bad))
end
