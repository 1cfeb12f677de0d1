-- Release one call's ports; its CPS and per-number slots stay counted. Releasing twice changes nothing.
-- KEYS: 1 calls (hash: call_id -> profile)  2 ports (hash: profile -> held calls)
-- ARGV: 1 call_id
local profile = redis.call('HGET', KEYS[1], ARGV[1])
if not profile then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HINCRBY', KEYS[2], profile, -1) <= 0 then
  redis.call('HDEL', KEYS[2], profile)
end
return 1
