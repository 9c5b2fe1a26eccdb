#!lua name=antre_ticketing
--[[
Every change to a queue or counter is one function call here: the state change and the event
it emits (appended to the outbox stream) happen together or not at all.

Conventions
  KEYS[1]  the key prefix of this site, e.g. "{kutim}:tk" (one hash tag: cluster safe)
  ARGV[1]  op id: a repeated call with the same op id returns the first answer and changes
           nothing (redis-py may re-send a call after a timeout)
  ARGV[2]  now, ms since the epoch;  ARGV[3] now as ISO 8601;  ARGV[4] the site's local day
  The rest is per function, passed as one JSON object in ARGV[5].
Answers are JSON: {"ok": {...}} or {"err": "<code>", ...}.
]]

local OP_TTL = 86400
local DAY_TTL = 3 * 86400

local function ctx(keys, args)
  local c = {p = keys[1], op = args[1], now = tonumber(args[2]), iso = args[3], day = args[4]}
  c.a = cjson.decode(args[5] or '{}')
  for k, v in pairs(c.a) do
    if v == cjson.null then c.a[k] = nil end  -- JSON null is a truthy userdata in Lua
  end
  return c
end

-- The answer of an op already carried out, flagged as a replay (metrics count it once).
local function done_before(c)
  local prev = redis.call('GET', c.p .. ':op:' .. c.op)
  if not prev then return nil end
  local answer = cjson.decode(prev)
  answer.replay = true
  return cjson.encode(answer), answer
end

local function finish(c, answer)
  local out = cjson.encode({ok = answer})
  redis.call('SET', c.p .. ':op:' .. c.op, out, 'EX', OP_TTL)
  return out
end

-- A writing operation: a repeated op id answers as the first time and changes nothing.
local function once(op)
  return function(keys, args)
    local c = ctx(keys, args)
    local prev = done_before(c)
    if prev then return prev end
    return op(c, c.a)
  end
end

local function fail(code, extra)
  local e = extra or {}
  e.err = code
  return cjson.encode(e)
end

local function qkey(c, svc, kind) return c.p .. ':q:' .. c.day .. ':' .. svc .. ':' .. kind end
local function tkey(c, id) return c.p .. ':t:' .. id end
local function ckey(c, id) return c.p .. ':c:' .. id end

-- Event keys, as antre_contracts.topics.queue_key and counter_key make them.
local function queue_key(a, svc) return a.site .. ':' .. svc end

--[[
Epochs. Every partition key's events are numbered 1, 2, 3 ... within an epoch (the `epoch`
extension beside `sequence`; consumers apply them strictly in that order, see
antre_contracts.sequencing). An epoch is a time in ms (Redis's clock), so a later one is always
larger. The site begins a new one
  - when its day changes (the first operation of a day, or antre_open_day at midnight), and
  - when this Redis is not the process that began the current one (its run_id changed): after a
    restart, a failover, or a restore from a backup, whose sequences would repeat numbers that
    consumers have already applied. A restart that lost nothing costs one epoch_started event
    per key; a restore is recognised without anyone having to say so.
Each key enters the site's current epoch with its *_epoch_started event (sequence 1), which
carries the queue or counter as it is now; on a new day the queue's waiting tickets of the day
before expire, each with a ticket.expired event.
]]
local open_epoch  -- defined below, after the helpers it uses

local function current_epoch(c)
  if c.epoch then return c.epoch end
  local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
  local g = redis.call('HMGET', c.p .. ':gen', 'epoch', 'day', 'run')
  local epoch = tonumber(g[1] or '0')
  -- A clock a little behind near midnight does not take the site back to yesterday.
  if epoch == 0 or g[3] ~= run or c.day > g[2] then
    -- Redis's own clock: one clock for every replica, and a restore's new epoch is later
    -- than any before it however the replicas' clocks are set.
    local t = redis.call('TIME')
    epoch = math.max(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), epoch + 1)
    local day = c.day
    if g[2] and g[2] > day then day = g[2] end
    redis.call('HSET', c.p .. ':gen', 'epoch', epoch, 'day', day, 'run', run)
  end
  c.epoch = epoch
  return epoch
end

-- A key's epoch and the day it began: "<epoch> <day>".
local function key_epoch(c, pkey)
  local raw = redis.call('HGET', c.p .. ':epoch', pkey)
  if not raw then return 0, nil end
  local epoch, day = string.match(raw, '^(%d+) (%S+)$')
  return tonumber(epoch), day
end

-- Append an event to the outbox. `derived` names an event the operation adds to its own (an
-- epoch start, an expiry): its id is the op id with that name, so every id stays unique.
local function emit(c, etype, subject, pkey, data, derived)
  local epoch = current_epoch(c)
  local kept, day = key_epoch(c, pkey)
  if kept < epoch then
    open_epoch(c, pkey, epoch, day)
  else
    epoch = kept  -- (a key never goes back to an earlier epoch)
  end
  local seq = redis.call('HINCRBY', c.p .. ':seq', pkey, 1)
  local id = c.op
  if derived then id = c.op .. '/' .. derived end
  local ev = {specversion = '1.0', id = id, source = c.a.source, type = etype, time = c.iso,
              subject = subject, datacontenttype = 'application/json', partitionkey = pkey,
              sequence = seq, epoch = epoch, data = data}
  redis.call('XADD', c.p .. ':outbox', '*', 'k', pkey, 'e', cjson.encode(ev))
end

-- Three waiting lists per service and day: 'p' priority, 'r' regular (both by arrival) and
-- 'b' booked (checked in with an online booking, by the slot's start).
local function waiting(c, svc)
  return redis.call('ZCARD', qkey(c, svc, 'p')) + redis.call('ZCARD', qkey(c, svc, 'r'))
         + redis.call('ZCARD', qkey(c, svc, 'b'))
end

-- A booked ticket is due once its slot has begun: the earliest slot of the counter's services.
local function booked_due(c, services)
  local best, best_at = nil, nil
  for _, svc in ipairs(services) do
    local r = redis.call('ZRANGE', qkey(c, svc, 'b'), 0, 0, 'WITHSCORES')
    if r[1] and tonumber(r[2]) <= c.now and (not best_at or tonumber(r[2]) < best_at) then
      best, best_at = svc, tonumber(r[2])
    end
  end
  return best
end

local function head(c, svc, kind)
  local r = redis.call('ZRANGE', qkey(c, svc, kind), 0, 0)
  return r[1]
end

local function waited_since(c, id)
  return tonumber(redis.call('HGET', tkey(c, id), 'since'))
end

-- The ordering rule: priority first, `streak` priority calls then one regular, and a regular
-- ticket waiting `ageing_ms` or longer goes before any priority ticket.
local function pick(c, has_p, reg_head, streak, rules)
  if not has_p and not reg_head then return nil end
  if not has_p then return 'r' end
  if not reg_head then return 'p' end
  if c.now - waited_since(c, reg_head) >= rules.ageing_ms then return 'r' end
  if streak < rules.streak then return 'p' end
  return 'r'
end

local function streak_of(c, svc)
  return tonumber(redis.call('HGET', c.p .. ':streak', svc) or '0')
end

-- The next `n` waiting ids of a service in call order, by replaying the ordering rule: the
-- booked tickets due now, then priority and regular, then booked tickets not yet due (an
-- estimate: they go first once their slot begins).
local function upcoming(c, svc, rules, n)
  local due = redis.call('ZRANGEBYSCORE', qkey(c, svc, 'b'), '-inf', c.now, 'LIMIT', 0, n)
  local later = redis.call('ZRANGEBYSCORE', qkey(c, svc, 'b'), '(' .. c.now, '+inf',
                           'LIMIT', 0, n)
  local ps = redis.call('ZRANGE', qkey(c, svc, 'p'), 0, n - 1)
  local rs = redis.call('ZRANGE', qkey(c, svc, 'r'), 0, n - 1)
  local i, j, s, out = 1, 1, streak_of(c, svc), {}
  for _, id in ipairs(due) do out[#out + 1] = id end
  while #out < n and (ps[i] or rs[j]) do
    if pick(c, ps[i] ~= nil, rs[j], s, rules) == 'p' then
      out[#out + 1] = ps[i]; i = i + 1; s = s + 1
    else
      out[#out + 1] = rs[j]; j = j + 1; s = 0
    end
  end
  for _, id in ipairs(later) do
    if #out >= n then break end
    out[#out + 1] = id
  end
  return out
end

-- People called before a waiting ticket, in closed form (ageing ignored: an estimate).
local function ahead_of(c, svc, id, prio, rules)
  local s = math.min(streak_of(c, svc), rules.streak)
  if prio == 'regular' then
    local r = redis.call('ZRANK', qkey(c, svc, 'r'), id) or 0
    local np = redis.call('ZCARD', qkey(c, svc, 'p'))
    return r + math.min(np, rules.streak - s + r * rules.streak)
  end
  local q = redis.call('ZRANK', qkey(c, svc, 'p'), id) or 0
  local nr = redis.call('ZCARD', qkey(c, svc, 'r'))
  local regs = 0
  if q >= rules.streak - s then regs = 1 + math.floor((q - (rules.streak - s)) / rules.streak) end
  return q + math.min(nr, regs)
end

local function mean_service_s(c, svc, default_s)
  local xs = redis.call('LRANGE', c.p .. ':st:' .. svc, 0, -1)
  if #xs == 0 then return default_s end
  local sum = 0
  for _, x in ipairs(xs) do sum = sum + tonumber(x) end
  return sum / #xs
end

local function estimate_s(c, svc, ahead, default_s)
  local open = math.max(1, redis.call('SCARD', c.p .. ':open:' .. svc))
  return math.floor(ahead / open * mean_service_s(c, svc, default_s) + 0.5)
end

-- A walk-in's people ahead with the bookings that will be due before it is called: checked-in
-- booked tickets and bookings not yet checked in (still within their window) whose slot begins
-- before the walk-in's estimate without them.
local function with_bookings(c, svc, ahead, default_s, rules)
  local horizon = c.now + estimate_s(c, svc, ahead, default_s) * 1000
  local booked = redis.call('ZCOUNT', qkey(c, svc, 'b'), '-inf', horizon)
  local expected = redis.call('ZCOUNT', c.p .. ':bkz:' .. c.day .. ':' .. svc,
                              c.now - (rules.grace_ms or 0), horizon)
  return ahead + booked + expected
end

-- People ahead of a checked-in booked ticket: the booked tickets of earlier slots.
local function booked_ahead_of(c, svc, id)
  local score = redis.call('ZSCORE', qkey(c, svc, 'b'), id)
  if not score then return 0 end
  return redis.call('ZCOUNT', qkey(c, svc, 'b'), '-inf', '(' .. score)
end

-- The day's tickets by number (a chosen call finds its ticket by the number it shows).
local function index_number(c, number, id)
  redis.call('HSET', c.p .. ':nid:' .. c.day, number, id)
  redis.call('EXPIRE', c.p .. ':nid:' .. c.day, DAY_TTL)
end

--[[
Figures per officer and day (the coordinator's page, an officer's own figures), kept as the
events that carry them are emitted, so that they equal what those events say:
  of:<day>:<officer>   served, no_show, transferred, parked, calls (first calls from the
                       waiting lists), wait_s (their waits summed), chosen, out_of_order,
                       called_back (parked tickets called back), service_s (summed)
  ofs:<day>:<officer>  every served ticket's service time (s), for the p90
  ofd:<day>            the officers with figures that day
Kept FIG_TTL: a coordinator looks back over weeks.
]]
local FIG_TTL = 400 * 86400

-- Add `counts` (field -> increment) to an officer's figures of the day: one operation's
-- figures together, so its keys' TTLs and the day's officer set are written once.
local function figures_add(c, officer, counts)
  if not officer then return end
  local key = c.p .. ':of:' .. c.day .. ':' .. officer
  for field, by in pairs(counts) do redis.call('HINCRBY', key, field, by) end
  redis.call('EXPIRE', key, FIG_TTL)
  redis.call('SADD', c.p .. ':ofd:' .. c.day, officer)
  redis.call('EXPIRE', c.p .. ':ofd:' .. c.day, FIG_TTL)
end

-- A new ticket of the day for `svc`: its number (the service's next), id (with `rand`, 96
-- random bits: the status link) and hash, with `fields` beside the common ones. Not queued.
local function new_ticket(c, svc, prefix, rand, fields)
  local counts = c.p .. ':num:' .. c.day
  local n = redis.call('HINCRBY', counts, svc, 1)
  redis.call('EXPIRE', counts, DAY_TTL)
  local number = string.format('%s-%03d', prefix, n)
  local id = string.format('%s-%s%03d-%s', string.gsub(c.day, '-', ''), prefix, n, rand)
  local order = redis.call('INCR', c.p .. ':order')
  redis.call('HSET', tkey(c, id), 'id', id, 'svc', svc, 'num', number, 'status', 'waiting',
             'day', c.day, 'issued', c.now, 'since', c.now, 'order', order, 'calls', 0)
  for k, v in pairs(fields) do redis.call('HSET', tkey(c, id), k, v) end
  redis.call('EXPIRE', tkey(c, id), DAY_TTL)
  index_number(c, number, id)
  return id, number, order
end

local function enqueue(c, id, svc, prio, order)
  local kind = 'r'
  if prio ~= 'regular' then kind = 'p' end
  redis.call('ZADD', qkey(c, svc, kind), order, id)
  redis.call('EXPIRE', qkey(c, svc, kind), DAY_TTL)
end

-- Quota: a service with a daily quota sets part of it aside for the public channel (web,
-- phone). A public ticket counts against that share only; a kiosk ticket against the rest.
local function quota_refusal(c, a, issued)
  if not a.quota then return nil end
  local pub = tonumber(redis.call('HGET', c.p .. ':pub:' .. c.day, a.service) or '0')
  if a.public then
    if pub >= a.public_quota then
      return fail('public_quota_exhausted', {quota = a.public_quota})
    end
  elseif issued - pub >= a.quota - a.public_quota then
    return fail('quota_exhausted', {quota = a.quota})
  end
  return nil
end

-- ARGV[5]: service, prefix, prio, channel, public, phone, rand, quota, public_quota, default_s,
--          rules, source, fingerprint (with an Idempotency-Key)
local function issue(keys, args)
  local c = ctx(keys, args)
  local prev, answer = done_before(c)
  if prev then
    if c.a.fingerprint and answer.fp ~= c.a.fingerprint then return fail('idempotency_conflict') end
    return prev
  end
  local a = c.a
  local counts = c.p .. ':num:' .. c.day
  -- Booked tickets count against the booking quota, not the walk-ins' (a.quota).
  local issued = tonumber(redis.call('HGET', counts, a.service) or '0')
                 - tonumber(redis.call('HGET', c.p .. ':bkn:' .. c.day, a.service) or '0')
  local refusal = quota_refusal(c, a, issued)
  if refusal then return refusal end
  if a.public then
    redis.call('HINCRBY', c.p .. ':pub:' .. c.day, a.service, 1)
    redis.call('EXPIRE', c.p .. ':pub:' .. c.day, DAY_TTL)
  end
  local fields = {prio = a.prio, channel = a.channel, phone = a.phone or ''}
  if a.visit then fields.visit, fields.step = cjson.encode(a.visit), 1 end
  local id, number, order = new_ticket(c, a.service, a.prefix, a.rand, fields)
  enqueue(c, id, a.service, a.prio, order)
  local ahead = with_bookings(c, a.service, ahead_of(c, a.service, id, a.prio, a.rules),
                              a.default_s, a.rules)
  local wait_s = estimate_s(c, a.service, ahead, a.default_s)
  local count = waiting(c, a.service)
  emit(c, 'antre.ticket.issued', id, queue_key(a, a.service), {
    ticket_id = id, number = number, service_id = a.service, agency_id = a.agency,
    service_day = c.day, priority = a.prio, channel = a.channel, issued_at = c.iso,
    people_ahead = ahead, estimated_wait_s = wait_s, waiting_count = count,
    upcoming = upcoming(c, a.service, a.rules, 10), phone_encrypted = a.phone, visit = a.visit})
  local out = cjson.encode({ok = {ticket_id = id, number = number, people_ahead = ahead,
                                  estimated_wait_s = wait_s, issued_at = c.iso}, fp = a.fingerprint})
  redis.call('SET', c.p .. ':op:' .. c.op, out, 'EX', OP_TTL)
  return out
end

local function counter_state(c, cid)
  local st = redis.call('HMGET', ckey(c, cid), 'state', 'ticket', 'cseq', 'reason')
  return {state = st[1] or 'closed', ticket = st[2] or '', cseq = tonumber(st[3] or '0'),
          reason = st[4] or ''}
end

local function bump_counter(c, cid)
  return redis.call('HINCRBY', ckey(c, cid), 'cseq', 1)
end

-- The day's waiting tickets of a queue expire when its next day begins.
local function expire_day(c, svc, day)
  local key = queue_key(c.a, svc)
  for _, kind in ipairs({'p', 'r', 'b', 'k'}) do
    local q = c.p .. ':q:' .. day .. ':' .. svc .. ':' .. kind
    for _, id in ipairs(redis.call('ZRANGE', q, 0, -1)) do
      local num = redis.call('HGET', tkey(c, id), 'num')
      if num then
        redis.call('HSET', tkey(c, id), 'status', 'expired', 'done', c.now)
        emit(c, 'antre.ticket.expired', id, key, {
          ticket_id = id, number = num, service_id = svc, service_day = day,
          expired_at = c.iso, waiting_count = waiting(c, svc)}, 'expired:' .. id)
      end
    end
    redis.call('DEL', q)
  end
end

-- A key enters `epoch`: sequence 1 is an event with the queue or counter as it is now.
-- For a counter key, c.a.counter, counter_number and services describe the counter.
open_epoch = function(c, pkey, epoch, last_day)
  redis.call('HSET', c.p .. ':epoch', pkey, string.format('%d %s', epoch, c.day))
  redis.call('HSET', c.p .. ':seq', pkey, 0)
  local cause = 'restart'
  if last_day ~= c.day then cause = 'new_day' end
  local derived = 'epoch:' .. pkey
  local counter = string.match(pkey, ':counter:(.+)$')
  if counter then
    local cs = counter_state(c, counter)
    local ticket = nil
    if cs.ticket ~= '' then
      local t = redis.call('HMGET', tkey(c, cs.ticket), 'num', 'svc', 'status')
      ticket = {ticket_id = cs.ticket, number = t[1], service_id = t[2], status = t[3]}
    end
    local reason = nil
    if cs.reason ~= '' then reason = cs.reason end
    emit(c, 'antre.counter.epoch_started', counter, pkey, {
      counter_id = counter, counter_number = c.a.counter_number, service_day = c.day,
      cause = cause, state = cs.state, reason = reason, services = c.a.services,
      ticket = ticket, started_at = c.iso, counter_seq = bump_counter(c, counter)}, derived)
    return
  end
  local svc = string.sub(pkey, #c.a.site + 2)
  emit(c, 'antre.queue.epoch_started', svc, pkey, {
    service_id = svc, service_day = c.day, cause = cause, waiting_count = waiting(c, svc),
    started_at = c.iso}, derived)
  if cause == 'new_day' and last_day then expire_day(c, svc, last_day) end
end

-- The ticket call-next takes for a counter now, and its list: booked tickets due now first,
-- the earliest slot of any of the counter's services; then, service by service in the
-- counter's order, priority and regular by the streak and ageing rule; only when nobody else
-- waits for any of them, a booked ticket not yet due (rather than leave the counter idle).
-- Parked tickets are never taken: they are called back by number.
local function next_for(c, services, rules)
  local svc, kind = booked_due(c, services), 'b'
  if not svc then
    for _, s in ipairs(services) do
      kind = pick(c, head(c, s, 'p') ~= nil, head(c, s, 'r'), streak_of(c, s), rules)
      if kind then svc = s; break end
    end
  end
  if not svc then
    for _, s in ipairs(services) do
      if head(c, s, 'b') then svc, kind = s, 'b'; break end
    end
  end
  if not svc then return nil end
  return head(c, svc, kind), svc, kind
end

local function ready_to_call(c, a)
  local cs = counter_state(c, a.counter)
  if cs.state ~= 'open' then return fail('counter_not_open', {state = cs.state}) end
  if cs.ticket ~= '' then
    return fail('ticket_in_progress', {number = redis.call('HGET', tkey(c, cs.ticket), 'num')})
  end
  return nil
end

-- Take ticket `id` off list `kind` of `svc` (none: a no-show) to the counter: the call event
-- and the answer. `how`: next (call-next), number (an officer's chosen waiting ticket),
-- parked (a parked ticket called back) or returned (a no-show who came back).
-- `out_of_order`: a chosen ticket that call-next would not have taken.
local function take(c, a, id, svc, kind, how, out_of_order)
  if kind then redis.call('ZREM', qkey(c, svc, kind), id) end
  local t = redis.call('HMGET', tkey(c, id), 'num', 'since', 'phone', 'parks')
  redis.call('HSET', tkey(c, id), 'status', 'called', 'counter', a.counter,
             'officer', a.officer, 'called', c.now, 'calls', 1)
  redis.call('HSET', ckey(c, a.counter), 'ticket', id)
  local waited = math.max(0, math.floor((c.now - tonumber(t[2])) / 1000))
  local phone = t[3]
  if phone == '' then phone = nil end
  local parks = tonumber(t[4] or '0')
  local counts = {calls = 1, wait_s = waited}
  if how == 'parked' or how == 'returned' then counts = {called_back = 1} end
  if how ~= 'next' then counts.chosen = 1 end
  if out_of_order then counts.out_of_order = 1 end
  figures_add(c, a.officer, counts)
  emit(c, 'antre.ticket.called', id, queue_key(a, svc), {
    ticket_id = id, number = t[1], service_id = svc, counter_id = a.counter,
    counter_number = a.counter_number, officer_id = a.officer, recall = false,
    call_count = 1, called_at = c.iso, waited_s = waited,
    counter_seq = bump_counter(c, a.counter), waiting_count = waiting(c, svc),
    upcoming = upcoming(c, svc, a.rules, 10), phone_encrypted = phone, how = how,
    out_of_order = out_of_order, reason = a.reason, park_count = parks})
  return finish(c, {ticket_id = id, number = t[1], service_id = svc, waited_s = waited,
                    how = how, out_of_order = out_of_order})
end

-- ARGV[5]: counter, services (ordered), officer, rules, source
local function call_next(c, a)
  local refusal = ready_to_call(c, a)
  if refusal then return refusal end
  local id, svc, kind = next_for(c, a.services, a.rules)
  if not id then return fail('nothing_waiting') end
  -- Booked calls leave the priority streak as it is.
  if kind == 'p' then redis.call('HINCRBY', c.p .. ':streak', svc, 1)
  elseif kind == 'r' then redis.call('HSET', c.p .. ':streak', svc, 0) end
  return take(c, a, id, svc, kind, 'next', false)
end

--[[
A chosen call ("Panggil nomor…"): an officer calls a ticket of one of the counter's services
by its number, with a reason: a waiting ticket, a parked one, or today's no-show who came
back. Fairness: the streak is left as it is (the chosen ticket was called outside the
ordering rule, which goes on where it was). A waiting ticket or a returned no-show taken
while call-next would have taken someone else is an out-of-order call, counted and flagged in
its event for coordinators. A parked ticket keeps no place: it is called back only this way
(by any counter of its service), never by call-next, and that is not out of order (it is
what parking is for).
ARGV[5]: counter, counter_number, services, officer, number, reason, rules, site, source
]]
local function call_number(c, a)
  local refusal = ready_to_call(c, a)
  if refusal then return refusal end
  local id = redis.call('HGET', c.p .. ':nid:' .. c.day, a.number)
  if not id then return fail('unknown_number', {number = a.number}) end
  local t = redis.call('HMGET', tkey(c, id), 'status', 'svc', 'day')
  local served = false
  for _, s in ipairs(a.services) do
    if s == t[2] then served = true end
  end
  if not served then
    return fail('number_not_here', {number = a.number, service_id = t[2]})
  end
  local svc = t[2]
  if t[1] == 'parked' and redis.call('ZSCORE', qkey(c, svc, 'k'), id) then
    return take(c, a, id, svc, 'k', 'parked', false)
  end
  if t[1] == 'waiting' then
    for _, kind in ipairs({'b', 'p', 'r'}) do
      if redis.call('ZSCORE', qkey(c, svc, kind), id) then
        local expected = next_for(c, a.services, a.rules)
        return take(c, a, id, svc, kind, 'number', expected ~= id)
      end
    end
  end
  if t[1] == 'no_show' and t[3] == c.day then
    redis.call('HDEL', tkey(c, id), 'done')
    return take(c, a, id, svc, nil, 'returned', next_for(c, a.services, a.rules) ~= nil)
  end
  return fail('not_waiting', {number = a.number, status = t[1]})
end

--[[
Park ("Parkir"): the current ticket leaves the counter with a reason (a document to
photocopy, a form to fill in) and waits in its service's parked list, which every counter of
the service sees. It keeps no place in the queue and is not counted as waiting; it is called
back by number (call_number) and expires at the day's end with the waiting tickets.
ARGV[5]: counter, officer, reason, rules, site, source
]]
local function park(c, a)
  local cs = counter_state(c, a.counter)
  if cs.ticket == '' then return fail('no_current_ticket') end
  local t = redis.call('HMGET', tkey(c, cs.ticket), 'status', 'num', 'svc')
  if t[1] ~= 'called' and t[1] ~= 'serving' then
    return fail('wrong_state', {status = t[1], number = t[2]})
  end
  local id, svc = cs.ticket, t[3]
  local parks = redis.call('HINCRBY', tkey(c, id), 'parks', 1)
  redis.call('HSET', tkey(c, id), 'status', 'parked', 'since', c.now, 'parked', c.now,
             'park_reason', a.reason)
  redis.call('HDEL', tkey(c, id), 'counter', 'called', 'started')
  redis.call('HDEL', ckey(c, a.counter), 'ticket')
  redis.call('ZADD', qkey(c, svc, 'k'), c.now, id)
  redis.call('EXPIRE', qkey(c, svc, 'k'), DAY_TTL)
  figures_add(c, a.officer, {parked = 1})
  emit(c, 'antre.ticket.parked', id, queue_key(a, svc), {
    ticket_id = id, number = t[2], service_id = svc, counter_id = a.counter,
    officer_id = a.officer, reason = a.reason, parked_at = c.iso, park_count = parks,
    counter_seq = bump_counter(c, a.counter), waiting_count = waiting(c, svc),
    parked_count = redis.call('ZCARD', qkey(c, svc, 'k'))})
  return finish(c, {ticket_id = id, number = t[2], service_id = svc, reason = a.reason,
                    park_count = parks})
end

-- The counter's current ticket, if it is in one of the allowed states.
local function current(c, cid, allowed)
  local cs = counter_state(c, cid)
  if cs.ticket == '' then return nil, fail('no_current_ticket') end
  local t = redis.call('HMGET', tkey(c, cs.ticket), 'status', 'num', 'svc', 'calls', 'called',
                       'started', 'phone', 'since')
  if not allowed[t[1]] then return nil, fail('wrong_state', {status = t[1], number = t[2]}) end
  return {id = cs.ticket, status = t[1], num = t[2], svc = t[3], calls = tonumber(t[4]),
          called = tonumber(t[5]), started = tonumber(t[6] or ''), phone = t[7],
          since = tonumber(t[8])}
end

-- ARGV[5]: counter, counter_number, officer, rules, source
local function recall(c, a)
  local t, err = current(c, a.counter, {called = true})
  if not t then return err end
  local calls = redis.call('HINCRBY', tkey(c, t.id), 'calls', 1)
  local phone = t.phone
  if phone == '' then phone = nil end
  emit(c, 'antre.ticket.called', t.id, queue_key(a, t.svc), {
    ticket_id = t.id, number = t.num, service_id = t.svc, counter_id = a.counter,
    counter_number = a.counter_number, officer_id = a.officer, recall = true,
    call_count = calls, called_at = c.iso, waited_s = math.floor((t.called - t.since) / 1000),
    counter_seq = bump_counter(c, a.counter), waiting_count = waiting(c, t.svc),
    upcoming = upcoming(c, t.svc, a.rules, 10), phone_encrypted = phone})
  return finish(c, {ticket_id = t.id, number = t.num, service_id = t.svc, call_count = calls})
end

-- ARGV[5]: counter, officer, source
local function start(c, a)
  local t, err = current(c, a.counter, {called = true})
  if not t then return err end
  redis.call('HSET', tkey(c, t.id), 'status', 'serving', 'started', c.now)
  emit(c, 'antre.ticket.service_started', t.id, queue_key(a, t.svc), {
    ticket_id = t.id, number = t.num, service_id = t.svc, counter_id = a.counter,
    officer_id = a.officer, started_at = c.iso, counter_seq = bump_counter(c, a.counter)})
  return finish(c, {ticket_id = t.id, number = t.num, service_id = t.svc})
end

--[[
A visit across agencies: a ticket may carry `visit` (its services in order, JSON) and `step`
(the one it is at, from 1). When a step is served the ticket joins the next step's queue at
once, keeping its number and its arrival (`order`), as a transfer does; its
antre.ticket.transferred has reason "visit". A no-show ends the visit.
]]
local function visit_of(c, id, svc)
  local raw = redis.call('HMGET', tkey(c, id), 'visit', 'step')
  if not raw[1] then return {svc}, 1 end
  return cjson.decode(raw[1]), tonumber(raw[2])
end

local function next_step(c, a, t)
  local steps, step = visit_of(c, t.id, t.svc)
  if step >= #steps then return nil end
  local to = steps[step + 1]
  local h = redis.call('HMGET', tkey(c, t.id), 'prio', 'order')
  local prio, order = h[1], tonumber(h[2])
  redis.call('HSET', tkey(c, t.id), 'status', 'waiting', 'svc', to, 'since', c.now, 'calls', 0,
             'from', t.svc, 'step', step + 1)
  redis.call('HDEL', tkey(c, t.id), 'counter', 'called', 'started', 'done')
  enqueue(c, t.id, to, prio, order)
  local default_s = a.default_by[to]
  local ahead = with_bookings(c, to, ahead_of(c, to, t.id, prio, a.rules), default_s, a.rules)
  local phone = t.phone
  if phone == '' then phone = nil end
  emit(c, 'antre.ticket.transferred', t.id, queue_key(a, to), {
    ticket_id = t.id, number = t.num, from_service_id = t.svc, service_id = to,
    counter_id = a.counter, officer_id = a.officer, transferred_at = c.iso,
    counter_seq = bump_counter(c, a.counter), people_ahead = ahead,
    estimated_wait_s = estimate_s(c, to, ahead, default_s), waiting_count = waiting(c, to),
    upcoming = upcoming(c, to, a.rules, 10), phone_encrypted = phone, reason = 'visit',
    visit = steps, step = step + 1}, 'next')
  return to
end

-- A step added to (or removed from) the current ticket's visit, by its counter's officer.
-- ARGV[5]: counter, officer, service, agencies (by service), max_steps, site, source
local function add_step(c, a)
  local t, err = current(c, a.counter, {called = true, serving = true})
  if not t then return err end
  local steps, step = visit_of(c, t.id, t.svc)
  if #steps >= a.max_steps then return fail('visit_full', {max_steps = a.max_steps}) end
  for _, s in ipairs(steps) do
    if a.agencies[s] == a.agencies[a.service] then
      return fail('same_agency_in_visit', {number = t.num})
    end
  end
  steps[#steps + 1] = a.service
  redis.call('HSET', tkey(c, t.id), 'visit', cjson.encode(steps), 'step', step)
  emit(c, 'antre.visit.step_added', t.id, queue_key(a, t.svc), {
    ticket_id = t.id, number = t.num, service_id = t.svc, step_service_id = a.service,
    visit = steps, step = step, counter_id = a.counter, officer_id = a.officer,
    changed_at = c.iso})
  return finish(c, {ticket_id = t.id, number = t.num, service_id = t.svc, visit = steps,
                    step = step})
end

local function remove_step(c, a)
  local t, err = current(c, a.counter, {called = true, serving = true})
  if not t then return err end
  local steps, step = visit_of(c, t.id, t.svc)
  local kept, found = {}, false
  for i, s in ipairs(steps) do
    if i > step and s == a.service and not found then found = true
    else kept[#kept + 1] = s end
  end
  if not found then return fail('not_in_visit', {number = t.num}) end
  redis.call('HSET', tkey(c, t.id), 'visit', cjson.encode(kept), 'step', step)
  emit(c, 'antre.visit.step_removed', t.id, queue_key(a, t.svc), {
    ticket_id = t.id, number = t.num, service_id = t.svc, step_service_id = a.service,
    visit = kept, step = step, counter_id = a.counter, officer_id = a.officer,
    changed_at = c.iso})
  return finish(c, {ticket_id = t.id, number = t.num, service_id = t.svc, visit = kept,
                    step = step})
end

-- ARGV[5]: counter, officer, outcome, window, default_by (by service), source
local function complete(c, a)
  local allowed = {called = true, serving = true}
  if a.outcome == 'no_show' then allowed = {called = true} end
  local t, err = current(c, a.counter, allowed)
  if not t then return err end
  local service_s = nil
  if a.outcome == 'served' then
    service_s = math.floor((c.now - (t.started or t.called)) / 1000)
    local st = c.p .. ':st:' .. t.svc
    redis.call('LPUSH', st, service_s)
    redis.call('LTRIM', st, 0, a.window - 1)
  end
  redis.call('HSET', tkey(c, t.id), 'status', a.outcome, 'done', c.now)
  redis.call('HDEL', ckey(c, a.counter), 'ticket')
  local counts = {[a.outcome] = 1}
  if service_s then counts.service_s = service_s end
  figures_add(c, a.officer, counts)
  if service_s then
    local key = c.p .. ':ofs:' .. c.day .. ':' .. a.officer
    redis.call('RPUSH', key, service_s)
    redis.call('EXPIRE', key, FIG_TTL)
  end
  emit(c, 'antre.ticket.completed', t.id, queue_key(a, t.svc), {
    ticket_id = t.id, number = t.num, service_id = t.svc, counter_id = a.counter,
    officer_id = a.officer, outcome = a.outcome, completed_at = c.iso,
    service_time_s = service_s, counter_seq = bump_counter(c, a.counter),
    waiting_count = waiting(c, t.svc)})
  local nxt = nil
  if a.outcome == 'served' then nxt = next_step(c, a, t) end
  return finish(c, {ticket_id = t.id, number = t.num, service_id = t.svc, outcome = a.outcome,
                    service_time_s = service_s, next_service_id = nxt})
end

-- ARGV[5]: counter, officer, to (service), default_s, rules, source
local function transfer(c, a)
  local t, err = current(c, a.counter, {called = true, serving = true})
  if not t then return err end
  if t.svc == a.to then return fail('same_service') end
  local prio = redis.call('HGET', tkey(c, t.id), 'prio')
  local order = tonumber(redis.call('HGET', tkey(c, t.id), 'order'))
  redis.call('HSET', tkey(c, t.id), 'status', 'waiting', 'svc', a.to, 'since', c.now,
             'calls', 0, 'from', t.svc)
  local steps, step = visit_of(c, t.id, t.svc)
  if #steps > 1 then  -- the visit's current step is now the new service
    steps[step] = a.to
    redis.call('HSET', tkey(c, t.id), 'visit', cjson.encode(steps))
  end
  redis.call('HDEL', tkey(c, t.id), 'counter', 'called', 'started')
  redis.call('HDEL', ckey(c, a.counter), 'ticket')
  figures_add(c, a.officer, {transferred = 1})
  -- It keeps its place by arrival (order), ahead of those who came later.
  enqueue(c, t.id, a.to, prio, order)
  local ahead = with_bookings(c, a.to, ahead_of(c, a.to, t.id, prio, a.rules), a.default_s,
                              a.rules)
  local phone = t.phone
  if phone == '' then phone = nil end
  emit(c, 'antre.ticket.transferred', t.id, queue_key(a, a.to), {
    ticket_id = t.id, number = t.num, from_service_id = t.svc, service_id = a.to,
    counter_id = a.counter, officer_id = a.officer, transferred_at = c.iso,
    counter_seq = bump_counter(c, a.counter), people_ahead = ahead,
    estimated_wait_s = estimate_s(c, a.to, ahead, a.default_s),
    waiting_count = waiting(c, a.to), upcoming = upcoming(c, a.to, a.rules, 10),
    phone_encrypted = phone})
  return finish(c, {ticket_id = t.id, number = t.num, from_service_id = t.svc,
                    service_id = a.to, people_ahead = ahead})
end

-- ARGV[5]: counter, counter_number, officer, state, reason, services, source
local function set_state(c, a)
  local cs = counter_state(c, a.counter)
  if a.state ~= 'open' and cs.ticket ~= '' then
    return fail('ticket_in_progress', {number = redis.call('HGET', tkey(c, cs.ticket), 'num')})
  end
  if cs.state == a.state and cs.reason == (a.reason or '') then
    return fail('already_in_state', {state = a.state})
  end
  redis.call('HSET', ckey(c, a.counter), 'state', a.state, 'reason', a.reason or '',
             'officer', a.officer, 'since', c.now)
  for _, svc in ipairs(a.services) do
    if a.state == 'open' then redis.call('SADD', c.p .. ':open:' .. svc, a.counter)
    else redis.call('SREM', c.p .. ':open:' .. svc, a.counter) end
  end
  emit(c, 'antre.counter.state_changed', a.counter, a.site .. ':counter:' .. a.counter, {
    counter_id = a.counter, counter_number = a.counter_number, state = a.state,
    reason = a.reason, officer_id = a.officer, services = a.services, changed_at = c.iso,
    counter_seq = bump_counter(c, a.counter)})
  return finish(c, {counter_id = a.counter, state = a.state, reason = a.reason})
end

-- The day begins for every queue and counter that has not begun it yet (at local midnight and
-- at start-up; an operation on a key begins it too). Safe to repeat: a key already in the
-- site's current epoch is left as it is. ARGV[5]: site, source, services, counters (id, number,
-- services)
local function open_day(keys, args)
  local c = ctx(keys, args)
  local epoch, opened = current_epoch(c), 0
  for _, svc in ipairs(c.a.services) do
    local pkey = queue_key(c.a, svc)
    local kept, day = key_epoch(c, pkey)
    if kept < epoch then open_epoch(c, pkey, epoch, day); opened = opened + 1 end
  end
  for _, k in ipairs(c.a.counters) do
    local pkey = c.a.site .. ':counter:' .. k.id
    local kept, day = key_epoch(c, pkey)
    if kept < epoch then
      c.a.counter_number, c.a.services = k.number, k.services
      open_epoch(c, pkey, epoch, day)
      opened = opened + 1
    end
  end
  return cjson.encode({ok = {epoch = epoch, opened = opened}})
end

-- Read-only: a ticket's place. ARGV[5]: rules, default_s (by service)
local function position(keys, args)
  local c = ctx(keys, args)
  local id = c.a.ticket
  local t = redis.call('HGETALL', tkey(c, id))
  if #t == 0 then return fail('unknown_ticket') end
  local h = {}
  for i = 1, #t, 2 do h[t[i]] = t[i + 1] end
  h.phone = nil
  if h.status == 'waiting' and h.day == c.day then
    local default_s = c.a.default_s[h.svc]
    if redis.call('ZSCORE', qkey(c, h.svc, 'b'), id) then
      h.people_ahead = booked_ahead_of(c, h.svc, id)
      h.estimated_wait_s = math.max(math.floor((tonumber(h.slot) - c.now) / 1000 + 0.5),
                                    estimate_s(c, h.svc, h.people_ahead, default_s))
    else
      h.people_ahead = with_bookings(c, h.svc, ahead_of(c, h.svc, id, h.prio, c.a.rules),
                                     default_s, c.a.rules)
      h.estimated_wait_s = estimate_s(c, h.svc, h.people_ahead, default_s)
    end
  end
  return cjson.encode({ok = h})
end

-- Read-only: per service waiting count, open counters and mean service time.
-- ARGV[5]: services, default_s (by service)
local function overview(keys, args)
  local c = ctx(keys, args)
  local out = {}
  for _, svc in ipairs(c.a.services) do
    out[svc] = {waiting = waiting(c, svc), open = redis.call('SCARD', c.p .. ':open:' .. svc),
                mean_s = mean_service_s(c, svc, c.a.default_s[svc]),
                issued = tonumber(redis.call('HGET', c.p .. ':num:' .. c.day, svc) or '0')}
  end
  return cjson.encode({ok = out})
end

-- Read-only: the waiting list of a service in call order (up to n).
local function queue(keys, args)
  local c = ctx(keys, args)
  local ids = upcoming(c, c.a.service, c.a.rules, c.a.n)
  local out = {}
  for i, id in ipairs(ids) do
    local t = redis.call('HMGET', tkey(c, id), 'num', 'prio', 'since')
    out[i] = {ticket_id = id, number = t[1], priority = t[2], since_ms = tonumber(t[3])}
  end
  return cjson.encode({ok = {tickets = out, waiting = waiting(c, c.a.service)}})
end

-- Read-only: the parked tickets of services, oldest first. ARGV[5]: services
local function parked(keys, args)
  local c = ctx(keys, args)
  local out = {}
  for _, svc in ipairs(c.a.services) do
    local ids = redis.call('ZRANGE', qkey(c, svc, 'k'), 0, 99)
    for _, id in ipairs(ids) do
      local t = redis.call('HMGET', tkey(c, id), 'num', 'parked', 'park_reason', 'officer',
                           'parks')
      out[#out + 1] = {ticket_id = id, number = t[1], service_id = svc,
                       parked_ms = tonumber(t[2]), reason = t[3], park_count = tonumber(t[5])}
    end
  end
  return cjson.encode({ok = {tickets = out}})
end

-- Read-only: the figures of a day's officers (all, or ARGV[5].officer).
local function figures(keys, args)
  local c = ctx(keys, args)
  local day = c.a.day or c.day
  local officers = {c.a.officer}
  if not c.a.officer then officers = redis.call('SMEMBERS', c.p .. ':ofd:' .. day) end
  local out = {}
  for _, officer in ipairs(officers) do
    local raw = redis.call('HGETALL', c.p .. ':of:' .. day .. ':' .. officer)
    local f = {officer_id = officer}
    for i = 1, #raw, 2 do f[raw[i]] = tonumber(raw[i + 1]) end
    f.service_times = redis.call('LRANGE', c.p .. ':ofs:' .. day .. ':' .. officer, 0, -1)
    out[#out + 1] = f
  end
  return cjson.encode({ok = {day = day, officers = out}})
end

--[[
Online bookings. A booking is `bk:<code>` (its service, day, slot, status: booked, cancelled,
checked_in or expired, the encrypted phone and its keyed hash). Per service and day:
  bks:<day>:<svc>  booked per slot label, and 'day' for the day's total (cancel and move free
                   a place; expiry does not)
  bkp:<day>:<svc>  keyed phone -> code: one active booking per phone, service and day
  bkz:<day>:<svc>  code -> slot start (ms), bookings not yet checked in: walk-ins' estimates
  bkx              code -> end of its check-in window (ms): the expiry sweep
  bkr              code -> when its reminder is due (ms): the day before, as booking closes
Booking events go under the service's queue key, in that queue's sequence.
]]
local function bkey(c, code) return c.p .. ':bk:' .. code end

-- Keep a booking key until DAY_TTL after `ends` (ms, the app's clock). A TTL, not EXPIREAT:
-- the app's clock (tests, benches) need not be Redis's, and an absolute time in the past would
-- delete the key at once.
local function keep_until(c, key, ends)
  redis.call('EXPIRE', key, math.max(0, math.floor((tonumber(ends) - c.now) / 1000)) + DAY_TTL)
end

local function booking(c, code)
  local raw = redis.call('HGETALL', bkey(c, code))
  if #raw == 0 then return nil end
  local b = {}
  for i = 1, #raw, 2 do b[raw[i]] = raw[i + 1] end
  return b
end

local function booking_data(b)
  return {booking_code = b.code, service_id = b.svc, agency_id = b.agency, service_day = b.day,
          slot_start = b.start_iso, slot_end = b.end_iso}
end

local function with_fields(data, more)
  for k, v in pairs(more) do data[k] = v end
  return data
end

-- The refusal of a place in slot `a.slot` of `a.day`, or nil.
local function place_refusal(c, a, code, same_day)
  local counts = c.p .. ':bks:' .. a.day .. ':' .. a.service
  if tonumber(redis.call('HGET', counts, a.slot) or '0') >= a.capacity then
    return fail('slot_full', {slot = a.slot, capacity = a.capacity})
  end
  if not same_day and tonumber(redis.call('HGET', counts, 'day') or '0') >= a.day_quota then
    return fail('booking_quota_exhausted', {quota = a.day_quota})
  end
  if a.phone_key and not same_day then
    local held = redis.call('HGET', c.p .. ':bkp:' .. a.day .. ':' .. a.service, a.phone_key)
    if held and held ~= code then return fail('booking_exists') end
  end
  return nil
end

local function take_place(c, b)
  local counts = c.p .. ':bks:' .. b.day .. ':' .. b.svc
  redis.call('HINCRBY', counts, b.slot, 1)
  redis.call('HINCRBY', counts, 'day', 1)
  keep_until(c, counts, b.ends)
  if b.pkey ~= '' then
    local phones = c.p .. ':bkp:' .. b.day .. ':' .. b.svc
    redis.call('HSET', phones, b.pkey, b.code)
    keep_until(c, phones, b.ends)
  end
  local due = c.p .. ':bkz:' .. b.day .. ':' .. b.svc
  redis.call('ZADD', due, b.start, b.code)
  keep_until(c, due, b.ends)
  redis.call('ZADD', c.p .. ':bkx', b.ends, b.code)
  if b.phone ~= '' and tonumber(b.remind) > c.now then
    redis.call('ZADD', c.p .. ':bkr', b.remind, b.code)
  end
end

-- Give the place back (cancel, move): `free` false keeps the slot counted (expiry).
local function leave_place(c, b, free)
  local counts = c.p .. ':bks:' .. b.day .. ':' .. b.svc
  if free then
    redis.call('HINCRBY', counts, b.slot, -1)
    redis.call('HINCRBY', counts, 'day', -1)
  end
  if b.pkey ~= '' and free then
    redis.call('HDEL', c.p .. ':bkp:' .. b.day .. ':' .. b.svc, b.pkey)
  end
  redis.call('ZREM', c.p .. ':bkz:' .. b.day .. ':' .. b.svc, b.code)
  redis.call('ZREM', c.p .. ':bkx', b.code)
  redis.call('ZREM', c.p .. ':bkr', b.code)
end

local function booking_answer(b)
  return {booking_code = b.code, service_id = b.svc, service_day = b.day, slot = b.slot,
          slot_start = b.start_iso, slot_end = b.end_iso, status = b.status,
          ticket_id = b.ticket, number = b.num}
end

-- ARGV[5]: code, service, agency, day, slot, start, start_iso, end_iso, ends (end of the
-- check-in window, ms), remind (ms), capacity, day_quota, phone, phone_key, site, source,
-- fingerprint
local function book(keys, args)
  local c = ctx(keys, args)
  local prev, answer = done_before(c)
  if prev then
    if c.a.fingerprint and answer.fp ~= c.a.fingerprint then return fail('idempotency_conflict') end
    return prev
  end
  local a = c.a
  if redis.call('EXISTS', bkey(c, a.code)) == 1 then return fail('code_taken') end
  local refusal = place_refusal(c, a, a.code, false)
  if refusal then return refusal end
  local b = {code = a.code, svc = a.service, agency = a.agency, day = a.day, slot = a.slot,
             start = a.start, start_iso = a.start_iso, end_iso = a.end_iso, ends = a.ends,
             remind = a.remind, status = 'booked', phone = a.phone or '', pkey = a.phone_key or '',
             created = c.now, ticket = '', num = ''}
  for k, v in pairs(b) do redis.call('HSET', bkey(c, a.code), k, v) end
  keep_until(c, bkey(c, a.code), a.ends)
  take_place(c, b)
  emit(c, 'antre.booking.created', a.code, queue_key(a, a.service), with_fields(
    booking_data(b), {created_at = c.iso, phone_encrypted = a.phone}))
  local out = cjson.encode({ok = booking_answer(b), fp = a.fingerprint})
  redis.call('SET', c.p .. ':op:' .. c.op, out, 'EX', OP_TTL)
  return out
end

-- A booking that may still change: booked, and its slot not begun.
local function changeable(c, code)
  local b = booking(c, code)
  if not b then return nil, fail('unknown_booking') end
  if b.status ~= 'booked' then return nil, fail('booking_' .. b.status, {status = b.status}) end
  if c.now >= tonumber(b.start) then return nil, fail('booking_started', {slot = b.slot}) end
  return b
end

-- ARGV[5]: code, site, source
local function cancel_booking(c, a)
  local b, err = changeable(c, a.code)
  if not b then return err end
  redis.call('HSET', bkey(c, a.code), 'status', 'cancelled', 'cancelled', c.now)
  leave_place(c, b, true)
  b.status = 'cancelled'
  emit(c, 'antre.booking.cancelled', a.code, queue_key(a, b.svc), with_fields(
    booking_data(b), {cancelled_at = c.iso}))
  return finish(c, booking_answer(b))
end

-- ARGV[5]: code, service (must be the booking's), day, slot, start, start_iso, end_iso, ends,
-- capacity, day_quota, site, source
local function move_booking(c, a)
  local b, err = changeable(c, a.code)
  if not b then return err end
  if b.svc ~= a.service then return fail('other_service') end
  if b.day == a.day and b.slot == a.slot then return fail('same_slot') end
  a.phone_key = b.pkey ~= '' and b.pkey or nil
  local refusal = place_refusal(c, a, a.code, b.day == a.day)
  if refusal then return refusal end
  leave_place(c, b, true)
  local from_day, from_start = b.day, b.start_iso
  b.day, b.slot, b.start, b.start_iso, b.end_iso, b.ends = a.day, a.slot, a.start, a.start_iso,
                                                            a.end_iso, a.ends
  b.remind = a.remind
  redis.call('HSET', bkey(c, a.code), 'day', b.day, 'slot', b.slot, 'start', b.start,
             'start_iso', b.start_iso, 'end_iso', b.end_iso, 'ends', b.ends, 'remind', b.remind)
  keep_until(c, bkey(c, a.code), a.ends)
  take_place(c, b)
  local phone = b.phone
  if phone == '' then phone = nil end
  emit(c, 'antre.booking.moved', a.code, queue_key(a, b.svc), with_fields(booking_data(b), {
    from_day = from_day, from_slot_start = from_start, moved_at = c.iso,
    phone_encrypted = phone}))
  return finish(c, booking_answer(b))
end

-- Check-in at a kiosk. ARGV[5]: code, early_ms, prefix, rand, rules, default_s, site, source.
-- Within the window the visitor gets a ticket in the booked list, called from the slot's
-- start; a repeat answers the same ticket. Past the window the booking expires (if the sweep
-- has not yet) and the answer is `late`: the kiosk issues a walk-in ticket instead.
local function check_in(c, a)
  local b = booking(c, a.code)
  if not b then return fail('unknown_booking') end
  if b.status == 'checked_in' then return finish(c, booking_answer(b)) end
  if b.status == 'cancelled' then return fail('booking_cancelled') end
  if b.day ~= c.day then return fail('booking_not_today', {day = b.day, slot = b.slot}) end
  local start = tonumber(b.start)
  if b.status == 'expired' or c.now > tonumber(b.ends) then
    if b.status == 'booked' then
      redis.call('HSET', bkey(c, a.code), 'status', 'expired', 'expired', c.now)
      leave_place(c, b, false)
      emit(c, 'antre.booking.expired', a.code, queue_key(a, b.svc), with_fields(
        booking_data(b), {expired_at = c.iso}))
    end
    return finish(c, {late = true, slot = b.slot, service_id = b.svc})
  end
  if c.now < start - a.early_ms then
    return fail('too_early', {slot = b.slot, opens_ms = start - a.early_ms})
  end
  local svc = b.svc
  redis.call('HINCRBY', c.p .. ':bkn:' .. c.day, svc, 1)
  redis.call('EXPIRE', c.p .. ':bkn:' .. c.day, DAY_TTL)
  local id, number = new_ticket(c, svc, a.prefix, a.rand, {
    prio = 'regular', channel = 'booking', phone = b.phone, booking = a.code, slot = start})
  redis.call('ZADD', qkey(c, svc, 'b'), start, id)
  redis.call('EXPIRE', qkey(c, svc, 'b'), DAY_TTL)
  redis.call('HSET', bkey(c, a.code), 'status', 'checked_in', 'checked', c.now, 'ticket', id,
             'num', number)
  leave_place(c, b, false)
  b.status, b.ticket, b.num = 'checked_in', id, number
  local ahead = booked_ahead_of(c, svc, id)
  local wait_s = math.max(math.floor((start - c.now) / 1000 + 0.5),
                          estimate_s(c, svc, ahead, a.default_s))
  local key = queue_key(a, svc)
  emit(c, 'antre.booking.checked_in', a.code, key, with_fields(booking_data(b), {
    ticket_id = id, number = number, checked_in_at = c.iso}))
  local phone = b.phone
  if phone == '' then phone = nil end
  emit(c, 'antre.ticket.issued', id, key, {
    ticket_id = id, number = number, service_id = svc, agency_id = b.agency,
    service_day = c.day, priority = 'regular', channel = 'booking', issued_at = c.iso,
    people_ahead = ahead, estimated_wait_s = wait_s, waiting_count = waiting(c, svc),
    upcoming = upcoming(c, svc, a.rules, 10), phone_encrypted = phone}, 'ticket')
  local out = booking_answer(b)
  out.people_ahead, out.estimated_wait_s, out.issued_at = ahead, wait_s, c.iso
  return finish(c, out)
end

-- Bookings whose check-in window has ended expire (their slot stays counted), and reminders
-- that are due go out as events. Safe to repeat and to run on every replica.
-- ARGV[5]: site, source, limit
local function expire_bookings(keys, args)
  local c = ctx(keys, args)
  local due = redis.call('ZRANGEBYSCORE', c.p .. ':bkx', '-inf', c.now, 'LIMIT', 0, c.a.limit)
  local expired = 0
  for _, code in ipairs(due) do
    local b = booking(c, code)
    if b and b.status == 'booked' then
      redis.call('HSET', bkey(c, code), 'status', 'expired', 'expired', c.now)
      leave_place(c, b, false)
      b.status = 'expired'
      emit(c, 'antre.booking.expired', code, queue_key(c.a, b.svc), with_fields(
        booking_data(b), {expired_at = c.iso}), 'expired:' .. code)
      expired = expired + 1
    end
    redis.call('ZREM', c.p .. ':bkx', code)
  end
  -- Reminders due: the day before, for bookings with a phone still booked.
  local remind = redis.call('ZRANGEBYSCORE', c.p .. ':bkr', '-inf', c.now, 'LIMIT', 0, c.a.limit)
  for _, code in ipairs(remind) do
    local b = booking(c, code)
    if b and b.status == 'booked' and b.phone ~= '' then
      emit(c, 'antre.booking.reminder_due', code, queue_key(c.a, b.svc), with_fields(
        booking_data(b), {phone_encrypted = b.phone, due_at = c.iso}), 'remind:' .. code)
    end
    redis.call('ZREM', c.p .. ':bkr', code)
  end
  return cjson.encode({ok = {expired = expired, seen = math.max(#due, #remind),
                             reminded = #remind}})
end

-- Read-only: a booking. ARGV[5]: code
local function read_booking(keys, args)
  local c = ctx(keys, args)
  local b = booking(c, c.a.code)
  if not b then return fail('unknown_booking') end
  return cjson.encode({ok = booking_answer(b)})
end

-- Read-only: booked per slot of a service's day. ARGV[5]: service, day
local function booked_slots(keys, args)
  local c = ctx(keys, args)
  local raw = redis.call('HGETALL', c.p .. ':bks:' .. c.a.day .. ':' .. c.a.service)
  local out = {}
  for i = 1, #raw, 2 do out[raw[i]] = tonumber(raw[i + 1]) end
  out['_'] = 0  -- never an empty table (cjson would write [])
  return cjson.encode({ok = out})
end

redis.register_function('antre_issue', issue)
redis.register_function('antre_call_next', once(call_next))
redis.register_function('antre_call_number', once(call_number))
redis.register_function('antre_park', once(park))
redis.register_function('antre_recall', once(recall))
redis.register_function('antre_start', once(start))
redis.register_function('antre_complete', once(complete))
redis.register_function('antre_transfer', once(transfer))
redis.register_function('antre_add_step', once(add_step))
redis.register_function('antre_remove_step', once(remove_step))
redis.register_function('antre_set_state', once(set_state))
redis.register_function('antre_open_day', open_day)
redis.register_function('antre_book', book)
redis.register_function('antre_booking_cancel', once(cancel_booking))
redis.register_function('antre_booking_move', once(move_booking))
redis.register_function('antre_check_in', once(check_in))
redis.register_function('antre_expire_bookings', expire_bookings)
redis.register_function{function_name = 'antre_booking', callback = read_booking,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'antre_booked_slots', callback = booked_slots,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'antre_position', callback = position,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'antre_overview', callback = overview,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'antre_queue', callback = queue, flags = {'no-writes'}}
redis.register_function{function_name = 'antre_parked', callback = parked, flags = {'no-writes'}}
redis.register_function{function_name = 'antre_figures', callback = figures,
                        flags = {'no-writes'}}
