-- `GET /` with `Connection: close`: one request per TCP connection.
-- Measures accept + connection setup/teardown cost on the server.
wrk.method = "GET"
wrk.headers["Connection"] = "close"
