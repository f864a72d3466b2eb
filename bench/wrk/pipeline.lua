-- Classic wrk HTTP pipelining script: each connection sends a batch of
-- DEPTH (default 16) pipelined `GET /` requests, then waits for all
-- responses before sending the next batch. wrk counts every response, so
-- "Requests/sec" is responses per second.
--   wrk -t1 -c64 -d10s -s bench/wrk/pipeline.lua http://127.0.0.1:PORT/ -- 16
init = function(args)
   local depth = tonumber(args[1]) or 16
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format(nil, "/")
   end
   req = table.concat(r)
end

request = function()
   return req
end
