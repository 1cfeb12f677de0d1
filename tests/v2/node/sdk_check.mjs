// The official Telnyx Node SDK against a running service: every v2 operation, auto-pagination,
// Telnyx's example calling window, and the SDK's error classes. Run by tests/v2/test_node_sdk.py
// with TELNYX_BASE_URL (the service's /v2) and TELNYX_TOKEN; exits non-zero on the first failure.
import assert from 'node:assert/strict';
import Telnyx from 'telnyx';

const client = new Telnyx({
  apiKey: process.env.TELNYX_TOKEN,
  baseURL: process.env.TELNYX_BASE_URL,
  maxRetries: 0,
  timeout: 10_000,
});

const group = (await client.billingGroups.create({ name: 'node' })).data;
assert.equal(group.record_type, 'billing_group');
assert.equal((await client.billingGroups.retrieve(group.id)).data.name, 'node');
assert.equal((await client.billingGroups.update(group.id, { name: 'node sdk' })).data.name, 'node sdk');

const made = (
  await client.outboundVoiceProfiles.create({
    name: 'office',
    billing_group_id: group.id,
    concurrent_call_limit: 10,
    tags: ['office-profile'],
    whitelisted_destinations: ['US', 'BR', 'AU'],
    calling_window: { calls_per_cld: 5, end_time: '20:00:00.00Z', start_time: '08:00:00.00Z' },
    call_recording: { call_recording_type: 'by_caller_phone_number', call_recording_caller_phone_numbers: ['+19705555098'] },
  })
).data;
assert.equal(made.record_type, 'outbound_voice_profile');
assert.deepEqual(made.calling_window, { start_time: '08:00:00.00Z', end_time: '20:00:00.00Z', calls_per_cld: 5 });
assert.deepEqual((await client.outboundVoiceProfiles.retrieve(made.id)).data, made);

const updated = (
  await client.outboundVoiceProfiles.update(made.id, { name: 'office hours', calling_window: { calls_per_cld: 0 } })
).data;
assert.equal(updated.name, 'office hours');
assert.deepEqual(updated.calling_window, { start_time: '08:00:00.00Z', end_time: '20:00:00.00Z', calls_per_cld: 0 });

for (let i = 0; i < 4; i += 1) {
  await client.outboundVoiceProfiles.create({ name: `profile ${i}` });
}
const names = [];
for await (const profile of client.outboundVoiceProfiles.list({ 'page[size]': 2, sort: 'name' })) {
  names.push(profile.name);
}
assert.deepEqual(names, ['office hours', 'profile 0', 'profile 1', 'profile 2', 'profile 3']);
const filtered = await client.outboundVoiceProfiles.list({ filter: { name: { contains: 'OFFICE' } } });
assert.deepEqual(filtered.data.map((p) => p.id), [made.id]);

await assert.rejects(client.billingGroups.delete(group.id), Telnyx.ConflictError);
await assert.rejects(client.outboundVoiceProfiles.create({ name: 'no' }), Telnyx.UnprocessableEntityError);
assert.equal((await client.outboundVoiceProfiles.delete(made.id)).data.id, made.id);
await assert.rejects(client.outboundVoiceProfiles.retrieve(made.id), Telnyx.NotFoundError);
assert.equal((await client.billingGroups.delete(group.id)).data.id, group.id);
const intruder = new Telnyx({ apiKey: 'KEY0_wrong', baseURL: process.env.TELNYX_BASE_URL, maxRetries: 0 });
await assert.rejects(intruder.outboundVoiceProfiles.list(), Telnyx.AuthenticationError);

console.log('node sdk: ok');
