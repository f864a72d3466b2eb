-- Classic wrk HTTP pipelining script: each connection sends a batch of
-- DEPTH (default 16) pipelined `GET /` requests, then waits for all
-- responses before sending the next batch. wrk counts every response, so
-- "Requests/sec" is responses per second.
--   wrk -t1 -c64 -d10s -s bench/wrk/pipeline.lua http://127.0.0.1:PORT/ -- 16
-- With `distinct` after the depth (compare.sh's pipe16v), each request of a
-- batch carries its own `X-Request-Id: N` (as a proxy adding a request id
-- would), so that no head repeats the one before it.
--   wrk -t1 -c64 -d10s -s bench/wrk/pipeline.lua http://127.0.0.1:PORT/ -- 16 distinct
init = function(args)
   local depth = tonumber(args[1]) or 16
   local distinct = args[2] == "distinct"
   local r = {}
   for i = 1, depth do
      if distinct then
         r[i] = wrk.format(nil, "/", { ["X-Request-Id"] = tostring(i) })
      else
         r[i] = wrk.format(nil, "/")
      end
   end
   req = table.concat(r)
end

request = function()
   return req
end
