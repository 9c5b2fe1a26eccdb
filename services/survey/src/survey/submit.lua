-- One answer of a served ticket, given once (safe to run again: a repeat finds it answered).
-- KEYS[1]: the site's prefix "{site}:sv:".
-- ARGV: ticket, service (as read before), now_ms, answer (the reply, JSON), event (JSON),
--       event key, counter, tablet token ('' from the phone), aggregate fields...
-- Answers "ok"/"answered" with the answer's reply, or why not: "unknown" (never served
-- here, or long gone), "expired" (past its window), "changed" (served again meanwhile: read
-- again), "tablet" (the tablet's token no longer shows this ticket).
local p = KEYS[1]
local ticket, service, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local t = p .. 't:' .. ticket
local h = redis.call('HMGET', t, 'service', 'until', 'answer', 'day', 'counter')
if h[3] then return {'answered', h[3]} end
if not h[1] then return {'unknown', ''} end
if tonumber(h[2]) <= now then return {'expired', ''} end
if h[1] ~= service then return {'changed', ''} end
local c = p .. 'c:' .. h[5]
if ARGV[8] ~= '' then
  local shown = redis.call('HMGET', c, 'ticket', 'token')
  if shown[1] ~= ticket or shown[2] ~= ARGV[8] then return {'tablet', ''} end
end
redis.call('HSET', t, 'answer', ARGV[4])
local agg = p .. 'agg:' .. h[4]
for i = 9, #ARGV do
  redis.call('HINCRBY', agg, ARGV[i], 1)
end
redis.call('XADD', p .. 'outbox', '*', 'k', ARGV[6], 'e', ARGV[5])
if redis.call('HGET', c, 'ticket') == ticket then
  redis.call('DEL', c) -- answered: the tablet goes back to waiting
end
return {'ok', ARGV[4]}
