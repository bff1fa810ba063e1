-- Non-streaming chat completion through the mock's full pipeline (auth, validation, planning, generation,
-- accounting, journal). Used by bench/run.py against the mock and the bare Starlette baseline alike.
wrk.method = "POST"
wrk.body = '{"model":"openai/gpt-5-mini","messages":[{"role":"user","content":"Hello"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-or-v1-bench0000000000000000000000000000000000000000000000000000000000"
