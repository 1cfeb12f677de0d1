-- Admit one call: check the limits in the order of rule.first_refusal and, when all pass, reserve them all.
-- One script, so no other client's command runs between the check and the reservation.
-- Every key is the tenant's and carries its hash tag {acct:<id>}: one hash slot, so it runs on Redis Cluster.
-- KEYS: 1 meta (hash: present, seq)  2 calls (hash: call_id -> profile)  3 ports (hash: profile -> held calls)
--       4 the profile's CPS log (zset: a sequence number scored by time)  5 profiles with a CPS log (set)
--       6 stamps (hash: call_id -> the stamp of its reservation, new each time it is made or taken over)
--       7 the per-number count of this window occurrence (string; only when a per-number limit applies)
-- ARGV: 1 call_id  2 profile  3 now_ms  4 cutoff (now_ms - 1000)  5 cps  6 ports (-1: none)
--       7 account ports (-1: none)  8 per-number limit (-1: none)  9 CPS log ttl ms  10 per-number ttl ms
if redis.call('HEXISTS', KEYS[1], 'present') == 0 then
  return 'lost'  -- restarted or emptied: the caller restores the tenant from the database first
end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  -- Taken over by a retry: a new stamp, so a reconcile that saw the old one frees nothing now.
  redis.call('HSET', KEYS[6], ARGV[1], ARGV[3] .. ':' .. redis.call('HINCRBY', KEYS[1], 'seq', 1))
  return 'held'
end
local profile = ARGV[2]
local cld_limit = tonumber(ARGV[8])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[4])
local cld_used = 0
if cld_limit >= 0 then
  cld_used = tonumber(redis.call('GET', KEYS[7]) or '0')
  if cld_used >= cld_limit then
    return 'calls_per_cld_exceeded'
  end
end
if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[5]) then
  return 'cps_limit_exceeded'
end
local ports = tonumber(ARGV[6])
if ports >= 0 and tonumber(redis.call('HGET', KEYS[3], profile) or '0') >= ports then
  return 'profile_ports_exhausted'
end
local account_ports = tonumber(ARGV[7])
if account_ports >= 0 and redis.call('HLEN', KEYS[2]) >= account_ports then
  return 'account_ports_exhausted'
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('ZADD', KEYS[4], ARGV[3], seq)
redis.call('PEXPIRE', KEYS[4], ARGV[9])
redis.call('SADD', KEYS[5], profile)
if cld_limit >= 0 then
  redis.call('INCR', KEYS[7])
  redis.call('PEXPIRE', KEYS[7], ARGV[10])
end
redis.call('HSET', KEYS[2], ARGV[1], profile)
redis.call('HSET', KEYS[6], ARGV[1], ARGV[3] .. ':' .. seq)
redis.call('HINCRBY', KEYS[3], profile, 1)
return 'ok'
