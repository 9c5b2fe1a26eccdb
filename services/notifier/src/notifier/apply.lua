-- Apply one queue event's plan: sequence check, ticket info, skips, notices. Atomic.
-- KEYS[1] position hash ("epoch:sequence" per partition key), KEYS[2] due zset. Other keys
-- are built from the site prefix ARGV[5] ("{site}:notifier:"), so they share KEYS[1]'s slot.
-- ARGV: partitionkey, sequence, ttl_s, now_ms, prefix, plan_json, epoch
-- Returns {verdict, notices queued}: "applied", or "copy" / "stale" (dropped) or "gap" (not
-- applied: the consumer holds it until the events before it arrive). The sequencing rule is
-- antre_contracts.sequencing's, in its words: an earlier epoch is stale; in the same epoch
-- last + 1 is applied, at or below last is a copy, beyond is a gap; a later epoch begins at
-- sequence 1, anything beyond is a gap.
-- A notice is queued only once ever (SET NX on its once-key); only the head notice of each
-- ticket's list sits in the due set, so one ticket's SMS go out in the order they were made.
local P = ARGV[5]
local seq, epoch = tonumber(ARGV[2]), tonumber(ARGV[7])
local kept_epoch, last = 0, 0
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local e, s = string.match(raw, '^(%d+):(%d+)$')
  if e then kept_epoch, last = tonumber(e), tonumber(s) else last = tonumber(raw) end
end
if epoch < kept_epoch then return {'stale', 0} end
if epoch == kept_epoch then
  if seq <= last then return {'copy', 0} end
  if seq ~= last + 1 then return {'gap', 0} end
elseif seq ~= 1 then
  return {'gap', 0}
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d:%d', epoch, seq))
local ttl = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local plan = cjson.decode(ARGV[6])

local t = plan.ticket
if t ~= cjson.null then
  local k = P .. 'ticket:' .. t.id
  redis.call('HSET', k, 'number', t.number, 'service_id', t.service_id,
    'phone', t.phone, 'phone_key', t.phone_key)
  redis.call('EXPIRE', k, ttl)
end
for _, id in ipairs(plan.skips) do
  redis.call('SET', P .. 'once:' .. id, 'skipped', 'NX', 'EX', ttl)
end

local queued = 0
for _, n in ipairs(plan.notices) do
  local phone, pkey, number = nil, nil, ''
  if n.phone == 'event' then
    if plan.event_phone ~= cjson.null then
      phone, pkey = plan.event_phone.phone, plan.event_phone.phone_key
    end
  else
    local info = redis.call('HMGET', P .. 'ticket:' .. n.ticket,
      'phone', 'phone_key', 'number', 'service_id')
    -- near turn: only while the ticket still waits for that service (not moved on by a transfer)
    if info[1] and (n.kind ~= 'near_turn' or info[4] == n.service_id) then
      phone, pkey, number = info[1], info[2], info[3]
    end
  end
  if phone and redis.call('SET', P .. 'once:' .. n.id, 'queued', 'NX', 'EX', ttl) then
    local nk = P .. 'notice:' .. n.id
    redis.call('HSET', nk, 'ticket', n.ticket, 'kind', n.kind, 'service_id', n.service_id,
      'fields', n.fields, 'number', number, 'phone', phone, 'phone_key', pkey,
      'event_ms', n.event_ms, 'attempts', 0, 'state', 'queued')
    redis.call('EXPIRE', nk, ttl)
    local tq = P .. 'tq:' .. n.ticket
    if redis.call('RPUSH', tq, n.id) == 1 then
      redis.call('ZADD', KEYS[2], now, n.id)
    end
    redis.call('EXPIRE', tq, ttl)
    queued = queued + 1
  end
end
return {'applied', queued}
