-- RSS soak: four non-streaming chats then one 50-chunk stream, over and over, every request a different prompt (a
-- counter in the user message, as in distinct.lua: the memo of identical requests answers none of them, so what the
-- pipeline keeps per request is what grows); prints a summary line and exits as soon as BENCH_MAX_REQUESTS responses
-- have arrived (wrk's own -d would otherwise wait out the duration).
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000",
}
local limit = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "100000")
local counter = os.time() * 100000  -- an exact integer in Lua's doubles; written with %.0f
local i, n, bad = 0, 0, 0

function request()
  i = i % 5 + 1
  counter = counter + 1
  local prompt = '"messages":[{"role":"user","content":"Hello, request ' .. string.format("%.0f", counter) .. '"}]'
  if i == 5 then
    return wrk.format("POST", nil, headers, '{"model":"openai/gpt-5-chat",' .. prompt .. ',"stream":true}')
  end
  return wrk.format("POST", nil, headers, '{"model":"openai/gpt-5-mini",' .. prompt .. '}')
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
