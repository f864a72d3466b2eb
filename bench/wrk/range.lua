-- GET random 4 KiB ranges of the 64 MiB bench file (bench/compare.sh `range`).
local size = 64 * 1024 * 1024
local span = 4096
math.randomseed(os.time())
request = function()
    local first = math.random(0, size - span)
    return wrk.format("GET", "/file64m.bin", { ["Range"] = "bytes=" .. first .. "-" .. (first + span - 1) })
end
