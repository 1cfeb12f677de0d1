-- Give back all that admit.lua reserved for one call just now, when it was not allowed after all: its ports,
-- its CPS slot (an entry of the profile's log at the admission's time) and its per-number slot.
-- Nothing changes if the call holds no port (withdrawn or released already), so it is idempotent.
-- KEYS: 1 calls (hash: call_id -> profile)  2 ports (hash: profile -> held calls)  3 the profile's CPS log
--       4 stamps (hash: call_id -> stamp)
--       5 the per-number count of the admission's window occurrence (only when a per-number limit applies)
-- ARGV: 1 call_id  2 the admission's now_ms
local profile = redis.call('HGET', KEYS[1], ARGV[1])
if not profile then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if redis.call('HINCRBY', KEYS[2], profile, -1) <= 0 then
  redis.call('HDEL', KEYS[2], profile)
end
local admitted = redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[2], ARGV[2], 'LIMIT', 0, 1)
if admitted[1] then
  redis.call('ZREM', KEYS[3], admitted[1])
end
if KEYS[5] and tonumber(redis.call('GET', KEYS[5]) or '0') > 0 then
  redis.call('DECR', KEYS[5])  -- keeps the key's expiry
end
return 1
