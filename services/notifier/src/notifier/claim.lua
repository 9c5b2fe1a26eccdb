-- Claim due notices for sending. KEYS[1] due zset.
-- ARGV: now_ms, limit, lease_ms, prefix, hold_ms, started_ms, ttl_s, limits (JSON:
-- rate_count, rate_ms, day, per_number, per_site, max_age_ms {kind: ms}).
-- Returns {claimed, rate limited, due depth, dropped}; dropped rows are {id, kind, reason}.
--
-- The rules, in the order they apply (README, "Limits"):
-- 1. Lease: a claimed notice is marked 'sending' and its due time pushed by the lease: if the
--    process dies mid-send, it comes back after the lease in doubt (the gateway may have it):
--    doubt 2 if a delivery report says the gateway had it, 3 if one says the SMS centre
--    refused it (dlr.lua), else 1. With hold_ms > 0 an unreported one waits until hold_ms
--    after its claim and after the sender started (started_ms), so that a report the gateway
--    retries while we were down can still arrive.
-- 2. Stale: a notice older than its kind's max age (from its event's time) is never sent,
--    also not when it comes back in doubt; finished 'stale'. Before the caps: a replay of old
--    events must not use up today's budget.
-- 3. Daily caps, the SMS bill ceiling: a notice counts once against its site's day and its
--    number's day (`day` is the site's local date, from the caller). One that would go
--    beyond `per_site` or `per_number` is never sent, not retried: finished 'capped'. A count
--    is keyed by the notice id (a set member) and remembered on the notice (`day`), so a retry
--    after a gateway failure, an in-doubt resend, this script re-run by a client retry or a
--    redelivered event never counts twice.
-- 4. Rate window: a sliding window per number (its HMAC); over `rate_count` in `rate_ms` the
--    notice waits until the window allows it (delayed, not dropped; counted once per notice).
local now, limit, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local P, hold, started = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local ttl, L = tonumber(ARGV[7]), cjson.decode(ARGV[8])
local site_day = P .. 'day:' .. L.day
local DAY_KEEP_S = 2 * 86400 -- a local day, seen from any time zone, and a margin

local out, dropped, limited = {}, {}, 0

-- Out of the outbox; the ticket's next notice becomes due.
local function release(id)
  redis.call('ZREM', KEYS[1], id)
  local tq = P .. 'tq:' .. string.match(id, '^(.-)|')
  redis.call('LREM', tq, 1, id)
  local nxt = redis.call('LINDEX', tq, 0)
  if nxt then redis.call('ZADD', KEYS[1], now, nxt) end
end

-- Finished without sending (as finish.lua does for a sent one).
local function drop(id, nk, kind, outcome, reason)
  redis.call('DEL', nk)
  redis.call('SET', P .. 'once:' .. id, outcome, 'EX', ttl)
  release(id)
  dropped[#dropped + 1] = {id, kind, reason}
end

local function stale(nk, kind)
  local max_age = L.max_age_ms[kind]
  return max_age ~= nil and now - tonumber(redis.call('HGET', nk, 'event_ms')) > max_age
end

-- Rule 3: nil if the notice may go (counted already, or both days have room), else the cap.
local function over_cap(nk, number_day)
  if redis.call('HEXISTS', nk, 'day') == 1 then return nil end
  if redis.call('SCARD', site_day) >= L.per_site then return 'site_daily_budget' end
  if redis.call('SCARD', number_day) >= L.per_number then return 'number_daily_cap' end
  return nil
end

local function count(id, nk, number_day)
  if redis.call('HEXISTS', nk, 'day') == 1 then return end
  for _, k in ipairs({site_day, number_day}) do
    redis.call('SADD', k, id)
    redis.call('EXPIRE', k, DAY_KEEP_S)
  end
  redis.call('HSET', nk, 'day', L.day)
end

local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
  local nk = P .. 'notice:' .. id
  local state = redis.call('HGET', nk, 'state')
  if not state then
    release(id) -- expired with its TTL: let the ticket's next notice go
  else
    local kind = redis.call('HGET', nk, 'kind')
    local ok, doubt = true, 0
    if state == 'sending' then
      doubt = 1
      if redis.call('HEXISTS', nk, 'dlr') == 1 then
        doubt = 2
      elseif redis.call('HEXISTS', nk, 'dlr_failed') == 1 then
        doubt = 3 -- reported failed: provably not sent, no need to wait for a report
      elseif hold > 0 then
        local since = math.max(tonumber(redis.call('HGET', nk, 'claimed_ms') or '0'), started)
        if now < since + hold then
          redis.call('ZADD', KEYS[1], since + hold, id)
          ok = false
        end
      end
      if ok and doubt ~= 2 then
        if stale(nk, kind) then
          drop(id, nk, kind, 'stale', 'stale')
          ok = false
        else
          -- a resend counts as an attempt: a gateway that never answers ends in a dead letter
          redis.call('HINCRBY', nk, 'attempts', 1)
        end
      end
    elseif stale(nk, kind) then
      drop(id, nk, kind, 'stale', 'stale')
      ok = false
    else
      local pkey = redis.call('HGET', nk, 'phone_key')
      local number_day = site_day .. ':' .. pkey
      local cap = over_cap(nk, number_day)
      if cap then
        drop(id, nk, kind, 'capped', cap)
        ok = false
      else
        local rk = P .. 'rate:' .. pkey
        redis.call('ZREMRANGEBYSCORE', rk, '-inf', now - L.rate_ms)
        if redis.call('ZCARD', rk) >= L.rate_count and not redis.call('ZSCORE', rk, id) then
          local oldest = redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')
          redis.call('ZADD', KEYS[1], tonumber(oldest[2]) + L.rate_ms, id)
          limited = limited + 1
          ok = false
        else
          -- member = notice id: retries of one SMS count once in the window
          redis.call('ZADD', rk, now, id)
          redis.call('PEXPIRE', rk, L.rate_ms)
          count(id, nk, number_day)
        end
      end
    end
    if ok then
      redis.call('HSET', nk, 'state', 'sending', 'claimed_ms', now)
      redis.call('HDEL', nk, 'dlr_failed') -- a report on this send is yet to come
      redis.call('ZADD', KEYS[1], now + lease, id)
      local f = redis.call('HMGET', nk, 'ticket', 'service_id', 'fields', 'number', 'phone',
        'event_ms', 'attempts')
      out[#out + 1] = {id, doubt, f[1], kind, f[2], f[3], f[4], f[5], f[6], f[7]}
    end
  end
end
return {out, limited, redis.call('ZCARD', KEYS[1]), dropped}
