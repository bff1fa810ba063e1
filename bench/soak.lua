-- RSS soak: four non-streaming chats then one 50-chunk stream, over and over; prints a summary line and exits
-- as soon as BENCH_MAX_REQUESTS responses have arrived (wrk's own -d would otherwise wait out the duration).
local chat = '{"model":"openai/gpt-5-mini","messages":[{"role":"user","content":"Hello"}]}'
local stream = '{"model":"openai/gpt-5-chat","messages":[{"role":"user","content":"Hello"}],"stream":true}'
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000",
}
local limit = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "100000")
local requests = {}
local i, n, bad = 0, 0, 0

function init(args)
  for k = 1, 4 do requests[k] = wrk.format("POST", nil, headers, chat) end
  requests[5] = wrk.format("POST", nil, headers, stream)
end

function request()
  i = i % 5 + 1
  return requests[i]
end

function response(status, hdrs, body)
  n = n + 1
  if status < 200 or status > 299 then bad = bad + 1 end
  if n >= limit then
    io.write(string.format("BENCH_DONE requests=%d non2xx=%d\n", n, bad))
    io.flush()
    os.exit(0)
  end
end
