-- Release one call's ports; its CPS and per-number slots stay counted. Releasing twice changes nothing.
-- A release while the tenant's state is lost is remembered until the restore to come, which leaves the
-- call out: that restore may have read the database's active calls before the call ended.
-- KEYS: 1 calls (hash: call_id -> profile)  2 ports (hash: profile -> held calls)  3 meta  4 released (set)
-- ARGV: 1 call_id  2 how long a remembered release is kept, ms
if redis.call('HEXISTS', KEYS[3], 'present') == 0 then
  redis.call('SADD', KEYS[4], ARGV[1])
  redis.call('PEXPIRE', KEYS[4], ARGV[2])
  return 0
end
local profile = redis.call('HGET', KEYS[1], ARGV[1])
if not profile then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HINCRBY', KEYS[2], profile, -1) <= 0 then
  redis.call('HDEL', KEYS[2], profile)
end
return 1
