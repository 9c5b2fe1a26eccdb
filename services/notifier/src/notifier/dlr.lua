-- Kannel's delivery report for a notice: remember on the notice that the gateway had it.
-- KEYS[1] notice hash. ARGV[1] DLR status. Only a notice still 'sending' (not finished) keeps
-- it, so a report after the normal finish leaves no key behind.
if redis.call('HGET', KEYS[1], 'state') ~= 'sending' then return 0 end
redis.call('HSET', KEYS[1], 'dlr', ARGV[1])
return 1
