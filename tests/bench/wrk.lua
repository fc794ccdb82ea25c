-- tests/bench/wrk.lua: one wrk case of make bench (tests/bench/run).
--
-- BENCH_METHOD (GET), BENCH_BODY (none) and BENCH_KEY (sent as X-API-Key) come from the
-- environment; done() prints one line the runner reads:
--   BENCH requests duration_us p50_us p99_us non2xx socket_errors
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
end
local key = os.getenv("BENCH_KEY")
if key and key ~= "" then
    wrk.headers["X-API-Key"] = key
end

-- No response() callback: it would make wrk parse every reply in Lua. Statuses of 400
-- and above are counted by wrk itself (summary.errors.status).
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("BENCH %d %d %d %d %d %d\n", summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99), e.status,
        e.connect + e.read + e.write + e.timeout))
end
