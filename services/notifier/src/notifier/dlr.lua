-- Kannel's delivery report for a notice still 'sending' (in doubt, or about to be finished).
-- KEYS[1] notice hash. ARGV[1] 'sent' (status 1 or 8: the gateway had it) or 'failed' (2 or
-- 16: it did not go out), ARGV[2] the status. 'sent' is kept as `dlr`, 'failed' as
-- `dlr_failed`; claim.lua reads them, a success first. A notice already finished keeps
-- nothing, so a report after the normal finish leaves no key behind. Returns 1 if kept.
if redis.call('HGET', KEYS[1], 'state') ~= 'sending' then return 0 end
local field = ARGV[1] == 'sent' and 'dlr' or 'dlr_failed'
redis.call('HSET', KEYS[1], field, ARGV[2])
return 1
