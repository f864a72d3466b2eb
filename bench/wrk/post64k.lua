-- `POST /echo` with a 65536-byte body over 16 keep-alive connections: a body
-- large enough that the server sends it without copying it (mini: 16 KiB+).
wrk.method = "POST"
wrk.path   = "/echo"
wrk.body   = string.rep("x", 65536)
wrk.headers["Content-Type"] = "application/octet-stream"
