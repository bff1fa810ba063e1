-- Streaming chat completion, every request a different prompt (see chat_distinct.lua): the 50-word stub for
-- openai/gpt-5-chat answers (50 content chunks + finish + usage + [DONE], --time-scale 0), through the full pipeline.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000"
local counter = os.time() * 100000

request = function()
  counter = counter + 1
  local body = '{"model":"openai/gpt-5-chat","messages":[{"role":"user","content":"Hello, request ' .. counter .. '"}],"stream":true}'
  return wrk.format(nil, nil, nil, body)
end
