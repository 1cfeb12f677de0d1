-- Rebuild a tenant's lost state from the database's active calls and mark it present. A state that is
-- present is left alone: another worker rebuilt it first, and admissions since then are in it.
-- The CPS logs are rebuilt from the calls started after the cutoff; per-number counts are kept.
-- KEYS: 1 meta  2 calls  3 ports  4 profiles with a CPS log (set)  5 stamps  6.. the CPS log of each profile in ARGV
-- ARGV: 1 cutoff (now_ms - 1000)  2 CPS log ttl ms  3 now_ms  4 n, the number of profiles  5..4+n the profiles
--       then per call: call_id, profile, started_ms
-- Returns 'retry' when a profile has a CPS log that the caller did not name (its key must be declared).
if redis.call('HEXISTS', KEYS[1], 'present') == 1 then
  return 'ok'
end
local n = tonumber(ARGV[4])
local log_of = {}
for i = 1, n do
  log_of[ARGV[4 + i]] = KEYS[5 + i]
end
for _, profile in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  if not log_of[profile] then
    return 'retry'
  end
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
for i = 1, n do
  redis.call('DEL', KEYS[5 + i])
end
local cutoff = tonumber(ARGV[1])
for i = 5 + n, #ARGV, 3 do
  local profile = ARGV[i + 1]
  local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('HSET', KEYS[2], ARGV[i], profile)
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[3] .. ':' .. seq)
  redis.call('HINCRBY', KEYS[3], profile, 1)
  if tonumber(ARGV[i + 2]) > cutoff then
    redis.call('ZADD', log_of[profile], ARGV[i + 2], seq)
    redis.call('PEXPIRE', log_of[profile], ARGV[2])
    redis.call('SADD', KEYS[4], profile)
  end
end
redis.call('HSET', KEYS[1], 'present', 1)
return 'ok'
