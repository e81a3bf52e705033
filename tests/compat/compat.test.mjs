// The official Qdrant JS client against a running VectorDb server (VECTORDB_URL, e.g. http://127.0.0.1:6333).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';

const url = process.env.VECTORDB_URL ?? 'http://127.0.0.1:6333';

// The client checks the server's version at connect and only warns when it is incompatible: collect the warnings.
const warnings = [];
const warn = console.warn;
console.warn = (...args) => { warnings.push(args.join(' ')); warn(...args); };
const client = new QdrantClient({ url });
const name = `compat_${process.pid}`;
const uuid = '5c56c793-69f3-4fbf-87e6-c4bf54c28c26';

test('the client finds the server version compatible', async () => {
  const info = await (await fetch(`${url}/`)).json();
  assert.match(info.version, /^1\.19\./);
  await client.getCollections();
  await new Promise(resolve => setTimeout(resolve, 200)); // the client's own check runs in the background
  assert.deepEqual(warnings.filter(w => /version/i.test(w)), []);
});

test('collection lifecycle', async () => {
  assert.equal(await client.createCollection(name, { vectors: { size: 4, distance: 'Cosine' }, hnsw_config: { m: 16, ef_construct: 64 } }), true);
  assert.deepEqual(await client.collectionExists(name), { exists: true });
  const info = await client.getCollection(name);
  assert.equal(info.config.params.vectors.size, 4);
  assert.equal(info.config.params.vectors.distance, 'Cosine');
  const { collections } = await client.getCollections();
  assert.ok(collections.some(c => c.name === name));
  await assert.rejects(client.createCollection(name, { vectors: { size: 4, distance: 'Cosine' } }), e => e.status === 409);
});

test('upsert, retrieve, query, search, scroll, count, delete', async () => {
  const result = await client.upsert(name, {
    wait: true,
    points: [
      { id: 1, vector: [0.05, 0.61, 0.76, 0.74], payload: { city: 'Berlin', n: 1 } },
      { id: 2, vector: [0.19, 0.81, 0.75, 0.11], payload: { city: 'London', n: 2 } },
      { id: uuid, vector: [0.36, 0.55, 0.47, 0.94], payload: { city: 'Moscow', n: 3 } },
    ],
  });
  assert.equal(result.status, 'completed');
  await client.upsert(name, { wait: true, batch: { ids: [4, 5], vectors: [[0.18, 0.01, 0.85, 0.8], [0.24, 0.18, 0.22, 0.44]], payloads: [{ city: 'NY' }, { city: 'Beijing' }] } });

  const records = await client.retrieve(name, { ids: [1, uuid], with_vector: true });
  assert.deepEqual(records.map(r => r.id).sort(), [1, uuid].sort());
  assert.equal(records.find(r => r.id === 1).payload.city, 'Berlin');
  assert.equal(records[0].vector.length, 4);

  const { points } = await client.query(name, { query: [0.2, 0.1, 0.9, 0.7], limit: 3, with_payload: true });
  assert.equal(points.length, 3);
  assert.equal(points[0].id, 4);
  assert.ok(points[0].score >= points[1].score);

  const byId = await client.query(name, { query: 1, limit: 10 });
  assert.equal(byId.points.length, 4);
  assert.ok(!byId.points.some(p => p.id === 1), 'a query by id leaves that point out');

  const hits = (await client.query(name, { query: [0.2, 0.1, 0.9, 0.7], limit: 2, with_payload: ['city'], params: { hnsw_ef: 32 } })).points;
  assert.deepEqual(Object.keys(hits[0].payload), ['city']);
  const exact = (await client.query(name, { query: { nearest: [0.2, 0.1, 0.9, 0.7] }, limit: 2, params: { exact: true } })).points;
  assert.deepEqual(exact.map(h => h.id), hits.map(h => h.id));

  const batch = await client.queryBatch(name, { searches: [{ query: [0.2, 0.1, 0.9, 0.7], limit: 1 }, { query: [0.19, 0.81, 0.75, 0.11], limit: 1 }] });
  assert.deepEqual(batch.map(b => b.points[0].id), [4, 2]);

  const page = await client.scroll(name, { limit: 2, with_payload: true });
  assert.deepEqual(page.points.map(p => p.id), [1, 2]);
  assert.equal(page.next_page_offset, 4);

  const filtered = await client.query(name, {
    query: [0.2, 0.1, 0.9, 0.7], limit: 5, with_payload: true,
    filter: { must: [{ key: 'city', match: { any: ['London', 'Moscow'] } }], must_not: [{ key: 'n', range: { gte: 3 } }] },
  });
  assert.deepEqual(filtered.points.map(p => p.payload.city), ['London']);
  assert.deepEqual(await client.count(name, { filter: { must: [{ key: 'n', range: { gte: 2 } }] }, exact: true }), { count: 2 });

  assert.deepEqual(await client.count(name, { exact: true }), { count: 5 });
  await client.delete(name, { wait: true, points: [2] });
  assert.deepEqual(await client.count(name, { exact: true }), { count: 4 });
  assert.equal((await client.retrieve(name, { ids: [2] })).length, 0);
  await client.delete(name, { wait: true, filter: { must: [{ key: 'city', match: { value: 'NY' } }] } });
  assert.deepEqual(await client.count(name, { exact: true }), { count: 3 });
});

test('payload operations', async () => {
  await client.setPayload(name, { payload: { visited: true }, points: [1], wait: true });
  assert.deepEqual((await client.retrieve(name, { ids: [1] }))[0].payload, { city: 'Berlin', n: 1, visited: true });
  await client.overwritePayload(name, { payload: { city: 'Bonn' }, points: [1], wait: true });
  assert.deepEqual((await client.retrieve(name, { ids: [1] }))[0].payload, { city: 'Bonn' });
  await client.deletePayload(name, { keys: ['n'], filter: { must: [{ key: 'city', match: { value: 'Moscow' } }] }, wait: true });
  assert.deepEqual((await client.retrieve(name, { ids: [uuid] }))[0].payload, { city: 'Moscow' });
  await client.clearPayload(name, { points: [uuid], wait: true });
  assert.deepEqual((await client.retrieve(name, { ids: [uuid] }))[0].payload, {});
});

test('payload indexes', async () => {
  const created = await client.createPayloadIndex(name, { field_name: 'city', field_schema: 'keyword', wait: true });
  assert.equal(created.status, 'completed');
  const info = await client.getCollection(name);
  assert.equal(info.payload_schema.city.data_type, 'keyword');
  const { points } = await client.query(name, { query: [0.2, 0.1, 0.9, 0.7], limit: 5, filter: { must: [{ key: 'city', match: { any: ['Bonn', 'London'] } }] } });
  assert.ok(points.length >= 1);
  await client.deletePayloadIndex(name, 'city', { wait: true });
  assert.equal((await client.getCollection(name)).payload_schema.city, undefined);
});

test('conditional upserts: update_mode and update_filter', async () => {
  const other = `${name}_cond`;
  await client.createCollection(other, { vectors: { size: 2, distance: 'Euclid' }, metadata: { owner: 'compat' } });
  assert.deepEqual((await client.getCollection(other)).config.metadata, { owner: 'compat' });
  await client.upsert(other, { wait: true, points: [{ id: 1, vector: [1, 1], payload: { version: 1 } }, { id: 2, vector: [2, 2], payload: { version: 5 } }] });
  await client.upsert(other, { wait: true, update_mode: 'update_only', points: [{ id: 3, vector: [3, 3], payload: { version: 1 } }] });
  assert.equal((await client.retrieve(other, { ids: [3] })).length, 0);
  await client.upsert(other, { wait: true, update_mode: 'insert_only', points: [{ id: 1, vector: [9, 9], payload: { version: 9 } }] });
  assert.equal((await client.retrieve(other, { ids: [1] }))[0].payload.version, 1);
  await client.upsert(other, {
    wait: true, update_filter: { must: [{ key: 'version', range: { lt: 3 } }] },
    points: [{ id: 1, vector: [1, 1], payload: { version: 3 } }, { id: 2, vector: [2, 2], payload: { version: 3 } }],
  });
  const versions = (await client.retrieve(other, { ids: [1, 2] })).map(p => p.payload.version);
  assert.deepEqual(versions, [3, 5]);

  await client.createPayloadIndex(other, { field_name: 'version', field_schema: 'integer', wait: true });
  const ordered = await client.scroll(other, { order_by: { key: 'version', direction: 'desc' }, limit: 10 });
  assert.deepEqual(ordered.points.map(p => p.id), [2, 1]);
  assert.equal(ordered.next_page_offset ?? null, null);
  assert.equal(await client.deleteCollection(other), true);
});

test('settings not implemented are refused by name, never ignored', async () => {
  await assert.rejects(
    client.createCollection(`${name}_pq`, { vectors: { size: 4, distance: 'Cosine' }, quantization_config: { product: { compression: 'x16' } } }),
    e => e.status === 400 && /quantization_config\.product/.test(JSON.stringify(e.data ?? e.message)));
  assert.deepEqual(await client.collectionExists(`${name}_pq`), { exists: false });
});

test('a scalar-quantized collection is created, described and searched with quantization params', async () => {
  const quantized = `${name}_int8`;
  await client.createCollection(quantized, { vectors: { size: 4, distance: 'Cosine' }, quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } } });
  const info = await client.getCollection(quantized);
  assert.deepEqual(info.config.quantization_config, { scalar: { type: 'int8', quantile: 0.99, always_ram: true } });
  await client.upsert(quantized, { wait: true, points: [{ id: 1, vector: [1, 0, 0, 0] }, { id: 2, vector: [0, 1, 0, 0] }] });
  const { points } = await client.query(quantized, { query: [1, 0.1, 0, 0], limit: 1, params: { quantization: { rescore: true, oversampling: 2 } } });
  assert.deepEqual(points.map(h => h.id), [1]);
  await client.updateCollection(quantized, { quantization_config: 'Disabled' });
  assert.equal((await client.getCollection(quantized)).config.quantization_config ?? null, null);
  assert.equal(await client.deleteCollection(quantized), true);
});

test('errors come back as client errors with Qdrant messages', async () => {
  await assert.rejects(
    client.upsert(name, { wait: true, points: [{ id: 9, vector: [1, 2] }] }),
    e => e.status === 400 && /expected dim: 4, got 2/.test(JSON.stringify(e.data ?? e.message)));
  await assert.rejects(client.getCollection('no_such_collection'), e => e.status === 404);
});

test('delete collection', async () => {
  assert.equal(await client.deleteCollection(name), true);
  assert.deepEqual(await client.collectionExists(name), { exists: false });
});
