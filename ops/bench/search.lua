-- wrk script for ops/bench/search: POST /search/image with the photos in QUERY_FILES
-- (colon-separated JPEG paths), round robin.
local bodies = {}
for path in string.gmatch(os.getenv("QUERY_FILES"), "[^:]+") do
    local f = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
end
local next = 0

function request()
    next = next % #bodies + 1
    return wrk.format("POST", "/search/image?limit=20", {["Content-Type"] = "image/jpeg"}, bodies[next])
end

dofile("ops/bench/wrk_report.lua")
