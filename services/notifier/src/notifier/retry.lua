-- Put a notice back after a gateway failure. KEYS[1] due zset.
-- ARGV: prefix, id, due_ms, error. Returns the attempts so far, or 0 if not ours any more.
local nk = ARGV[1] .. 'notice:' .. ARGV[2]
if redis.call('HGET', nk, 'state') ~= 'sending' then return 0 end
redis.call('HSET', nk, 'state', 'queued', 'last_error', ARGV[4])
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[2])
return redis.call('HINCRBY', nk, 'attempts', 1)
