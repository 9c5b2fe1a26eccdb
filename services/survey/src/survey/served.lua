-- A served ticket may answer: record it once per ticket and service (safe to run again).
-- KEYS[1]: the site's prefix "{site}:sv:".
-- ARGV: ticket, number, service, agency, counter, day, completed_ms, now_ms, window_ms,
--       tablet_ms, tablet_token.
-- Keys: t:<ticket> (hash: done:<service> markers; service/agency/counter/day/until of the
-- service it may answer on; answer once given), pop:<day> (served per agency/service: the
-- population of the Permen's sample size), c:<counter> (what the counter's tablet offers).
-- Rule: each (ticket, service) counts once in the population; a ticket that has not answered
-- answers on its latest service; the tablet offers the counter's latest served ticket.
local p = KEYS[1]
local ticket, number, service, agency, counter, day =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local completed, now = tonumber(ARGV[7]), tonumber(ARGV[8])
local window, tablet = tonumber(ARGV[9]), tonumber(ARGV[10])
local t = p .. 't:' .. ticket
if redis.call('HSETNX', t, 'done:' .. service, completed) == 0 then
  return 0 -- a copy (redelivery)
end
redis.call('HINCRBY', p .. 'pop:' .. day, agency .. '/' .. service, 1)
redis.call('ZADD', p .. 'days', 0, day)
local open_until = completed + window
if not redis.call('HGET', t, 'answer') then
  -- Past its window too: it then answers "closed" (410), not "never served" (404).
  redis.call('HSET', t, 'number', number, 'service', service, 'agency', agency,
    'counter', counter, 'day', day, 'until', open_until)
  local c = p .. 'c:' .. counter
  local shown = tonumber(redis.call('HGET', c, 'completed') or '0')
  if completed + tablet > now and completed > shown then
    redis.call('DEL', c)
    redis.call('HSET', c, 'ticket', ticket, 'number', number, 'service', service,
      'token', ARGV[11], 'completed', completed)
    redis.call('PEXPIREAT', c, completed + tablet)
  end
end
-- The ticket's marks outlive its window by a day: a copy read later is still known.
redis.call('PEXPIREAT', t, math.max(open_until, now) + 86400000)
return 1
