-- `POST /echo` with a 4096-byte body over keep-alive connections; the
-- server must read the whole body and send it back.
wrk.method = "POST"
wrk.path   = "/echo"
wrk.body   = string.rep("x", 4096)
wrk.headers["Content-Type"] = "application/octet-stream"
