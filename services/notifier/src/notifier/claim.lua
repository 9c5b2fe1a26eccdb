-- Claim due notices for sending. KEYS[1] due zset.
-- ARGV: now_ms, limit, lease_ms, rate_count, rate_window_ms, prefix
-- A claimed notice is marked 'sending' and its due time pushed by the lease: if the process
-- dies mid-send, it comes back after the lease flagged in_doubt (the gateway may have it).
-- Per-number rate limit: a sliding window keyed by the number's HMAC; over the limit, the
-- notice waits until the window allows it.
local now, limit, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local rcount, rwindow, P = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local out, limited = {}, 0
for _, id in ipairs(ids) do
  local nk = P .. 'notice:' .. id
  local state = redis.call('HGET', nk, 'state')
  if not state then
    -- expired with its TTL: let the ticket's next notice go
    redis.call('ZREM', KEYS[1], id)
    local tq = P .. 'tq:' .. string.match(id, '^(.-)|')
    redis.call('LREM', tq, 1, id)
    local nxt = redis.call('LINDEX', tq, 0)
    if nxt then redis.call('ZADD', KEYS[1], now, nxt) end
  else
    local ok = true
    if state ~= 'sending' then
      local rk = P .. 'rate:' .. redis.call('HGET', nk, 'phone_key')
      redis.call('ZREMRANGEBYSCORE', rk, '-inf', now - rwindow)
      if redis.call('ZCARD', rk) >= rcount and not redis.call('ZSCORE', rk, id) then
        local oldest = redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')
        redis.call('ZADD', KEYS[1], tonumber(oldest[2]) + rwindow, id)
        limited = limited + 1
        ok = false
      else
        -- member = notice id: retries of one SMS count once in the window
        redis.call('ZADD', rk, now, id)
        redis.call('PEXPIRE', rk, rwindow)
      end
    end
    if ok then
      redis.call('HSET', nk, 'state', 'sending')
      redis.call('ZADD', KEYS[1], now + lease, id)
      local f = redis.call('HMGET', nk, 'ticket', 'kind', 'service_id', 'fields', 'number',
        'phone', 'event_ms', 'attempts')
      out[#out + 1] = {id, state == 'sending' and 1 or 0, f[1], f[2], f[3], f[4], f[5], f[6],
        f[7], f[8]}
    end
  end
end
return {out, limited, redis.call('ZCARD', KEYS[1])}
