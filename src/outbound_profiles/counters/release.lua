-- Release one call's ports; its CPS and per-number slots stay counted. Releasing twice changes nothing.
-- With a stamp, only the reservation that carries it is released (the reconcile's: one taken over or made
-- anew since it looked is not).
-- KEYS: 1 calls (hash: call_id -> profile)  2 ports (hash: profile -> held calls)  3 stamps (call_id -> stamp)
-- ARGV: 1 call_id  2 the stamp (optional)
local profile = redis.call('HGET', KEYS[1], ARGV[1])
if not profile then
  redis.call('HDEL', KEYS[3], ARGV[1])  -- a stamp of no held call (an older version's release left it)
  return 0
end
if ARGV[2] and redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('HINCRBY', KEYS[2], profile, -1) <= 0 then
  redis.call('HDEL', KEYS[2], profile)
end
return 1
