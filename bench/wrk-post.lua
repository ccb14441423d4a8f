-- wrk script: POST the body in $BENCH_BODY (a file) with the key in $BENCH_KEY.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["content-type"] = "application/json"
local key = os.getenv("BENCH_KEY")
if key and #key > 0 then wrk.headers["authorization"] = "Bearer " .. key end


done = function(summary, latency, requests)
  io.write(string.format("BENCH rps=%.1f p50=%.1f p99=%.1f requests=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
