-- Finish notices (sent, dead, stale, in_doubt): forget the payload, keep the outcome on the
-- once-key, and release the ticket's next notice. KEYS[1] due zset.
-- ARGV: now_ms, prefix, ttl_s, then id, outcome pairs. A notice not in 'sending' is skipped
-- (another sender finished it already).
local now, P, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local done = 0
for i = 4, #ARGV, 2 do
  local id, outcome = ARGV[i], ARGV[i + 1]
  local nk = P .. 'notice:' .. id
  if redis.call('HGET', nk, 'state') == 'sending' then
    local ticket = redis.call('HGET', nk, 'ticket')
    redis.call('DEL', nk)
    redis.call('SET', P .. 'once:' .. id, outcome, 'EX', ttl)
    redis.call('ZREM', KEYS[1], id)
    local tq = P .. 'tq:' .. ticket
    redis.call('LREM', tq, 1, id)
    local nxt = redis.call('LINDEX', tq, 0)
    if nxt then redis.call('ZADD', KEYS[1], now, nxt) end
    done = done + 1
  end
end
return done
