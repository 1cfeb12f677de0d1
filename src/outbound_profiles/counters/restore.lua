-- Rebuild a tenant's lost state from the database's active calls and mark it present. A state that is
-- present is left alone: another worker rebuilt it first, and admissions since then are in it.
-- The CPS logs are rebuilt from the calls started after the cutoff; per-number counts are kept.
-- KEYS: 1 meta  2 calls  3 ports  4 profiles with a CPS log (set)  5.. the CPS log of each profile in ARGV
-- ARGV: 1 cutoff (now_ms - 1000)  2 CPS log ttl ms  3 n, the number of profiles  4..3+n the profiles
--       then per call: call_id, profile, started_ms
-- Returns 'retry' when a profile has a CPS log that the caller did not name (its key must be declared).
if redis.call('HEXISTS', KEYS[1], 'present') == 1 then
  return 'ok'
end
local n = tonumber(ARGV[3])
local log_of = {}
for i = 1, n do
  log_of[ARGV[3 + i]] = KEYS[4 + i]
end
for _, profile in ipairs(redis.call('SMEMBERS', KEYS[4])) do
  if not log_of[profile] then
    return 'retry'
  end
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
for i = 1, n do
  redis.call('DEL', KEYS[4 + i])
end
local cutoff = tonumber(ARGV[1])
for i = 4 + n, #ARGV, 3 do
  local profile = ARGV[i + 1]
  redis.call('HSET', KEYS[2], ARGV[i], profile)
  redis.call('HINCRBY', KEYS[3], profile, 1)
  if tonumber(ARGV[i + 2]) > cutoff then
    local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
    redis.call('ZADD', log_of[profile], ARGV[i + 2], seq)
    redis.call('PEXPIRE', log_of[profile], ARGV[2])
    redis.call('SADD', KEYS[4], profile)
  end
end
redis.call('HSET', KEYS[1], 'present', 1)
return 'ok'
