-- Claim due notices for sending. KEYS[1] due zset.
-- ARGV: now_ms, limit, lease_ms, rate_count, rate_window_ms, prefix, hold_ms, started_ms
-- A claimed notice is marked 'sending' and its due time pushed by the lease: if the process
-- dies mid-send, it comes back after the lease in doubt (the gateway may have it): doubt 2
-- if a delivery report confirmed the gateway had it (dlr.lua), else 1. With hold_ms > 0 an
-- unconfirmed one waits until hold_ms after its claim and after the sender started
-- (started_ms), so that a report the gateway retries while we were down can still arrive.
-- Per-number rate limit: a sliding window keyed by the number's HMAC; over the limit, the
-- notice waits until the window allows it.
local now, limit, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local rcount, rwindow, P = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local hold, started = tonumber(ARGV[7]), tonumber(ARGV[8])
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
    local ok, doubt = true, 0
    if state == 'sending' then
      doubt = 1
      if redis.call('HEXISTS', nk, 'dlr') == 1 then
        doubt = 2
      elseif hold > 0 then
        local since = math.max(tonumber(redis.call('HGET', nk, 'claimed_ms') or '0'), started)
        if now < since + hold then
          redis.call('ZADD', KEYS[1], since + hold, id)
          ok = false
        end
      end
      -- a resend counts as an attempt: a gateway that never answers ends in a dead letter
      if ok and doubt == 1 then redis.call('HINCRBY', nk, 'attempts', 1) end
    else
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
      redis.call('HSET', nk, 'state', 'sending', 'claimed_ms', now)
      redis.call('ZADD', KEYS[1], now + lease, id)
      local f = redis.call('HMGET', nk, 'ticket', 'kind', 'service_id', 'fields', 'number',
        'phone', 'event_ms', 'attempts')
      out[#out + 1] = {id, doubt, f[1], f[2], f[3], f[4], f[5], f[6],
        f[7], f[8]}
    end
  end
end
return {out, limited, redis.call('ZCARD', KEYS[1])}
