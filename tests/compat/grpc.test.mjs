// The official Qdrant JS gRPC client against a running VectorDb server (VECTORDB_GRPC_URL, e.g. http://127.0.0.1:6334).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-grpc';

const url = process.env.VECTORDB_GRPC_URL ?? 'http://127.0.0.1:6334';
const client = new QdrantClient({ url, checkCompatibility: false });
const collections = client.api('collections');
const points = client.api('points');
const name = `grpc_${process.pid}`;
const uuid = '5c56c793-69f3-4fbf-87e6-c4bf54c28c26';

const num = n => ({ pointIdOptions: { case: 'num', value: BigInt(n) } });
const dense = data => ({ vectorsOptions: { case: 'vector', value: { vector: { case: 'dense', value: { data } } } } });
const text = value => ({ kind: { case: 'stringValue', value } });
const integer = value => ({ kind: { case: 'integerValue', value: BigInt(value) } });
const keyword = (key, value) => ({ conditionOneOf: { case: 'field', value: { key, match: { matchValue: { case: 'keyword', value } } } } });
const nearest = data => ({ variant: { case: 'nearest', value: { variant: { case: 'dense', value: { data } } } } });
const ids = hits => hits.map(h => h.id.pointIdOptions.case === 'num' ? Number(h.id.pointIdOptions.value) : h.id.pointIdOptions.value);

test('health check and collection lifecycle', async () => {
  const health = await client.api('service').healthCheck({});
  assert.match(health.version, /^1\.19\./);
  const created = await collections.create({ collectionName: name, vectorsConfig: { config: { case: 'params', value: { size: 4n, distance: 1 /* Cosine */ } } } });
  assert.equal(created.result, true);
  assert.equal((await collections.collectionExists({ collectionName: name })).result.exists, true);
  const info = await collections.get({ collectionName: name });
  assert.equal(info.result.config.params.vectorsConfig.config.value.size, 4n);
  await assert.rejects(collections.create({ collectionName: name, vectorsConfig: { config: { case: 'params', value: { size: 4n, distance: 1 } } } }), e => e.code === 6 /* AlreadyExists */);
});

test('upsert with int and UUID ids, get, query with filters, batch, scroll, count', async () => {
  const upsert = await points.upsert({
    collectionName: name,
    wait: true,
    points: [
      { id: num(1), vectors: dense([0.05, 0.61, 0.76, 0.74]), payload: { city: text('Berlin'), n: integer(1) } },
      { id: num(2), vectors: dense([0.19, 0.81, 0.75, 0.11]), payload: { city: text('London'), n: integer(2) } },
      { id: num(3), vectors: dense([0.36, 0.55, 0.47, 0.94]), payload: { city: text('Moscow'), n: integer(3) } },
      { id: { pointIdOptions: { case: 'uuid', value: uuid } }, vectors: dense([0.18, 0.01, 0.85, 0.80]), payload: { city: text('London'), n: integer(4) } },
    ],
  });
  assert.equal(upsert.result.status, 2 /* Completed */);

  const got = await points.get({ collectionName: name, ids: [num(2), { pointIdOptions: { case: 'uuid', value: uuid } }], withPayload: { selectorOptions: { case: 'enable', value: true } } });
  assert.equal(got.result.length, 2);
  assert.equal(got.result.find(p => p.id.pointIdOptions.case === 'num').payload.city.kind.value, 'London');

  const query = await points.query({ collectionName: name, query: nearest([0.2, 0.1, 0.9, 0.7]), filter: { must: [keyword('city', 'London')] }, limit: 3n });
  assert.deepEqual(ids(query.result).sort(), [2, uuid].sort());
  assert.equal(ids(query.result)[0], uuid);

  const batch = await points.queryBatch({ collectionName: name, queryPoints: [
    { collectionName: name, query: nearest([0.2, 0.1, 0.9, 0.7]), limit: 1n },
    { collectionName: name, query: { variant: { case: 'nearest', value: { variant: { case: 'id', value: num(1) } } } }, limit: 2n },
  ] });
  assert.equal(batch.result.length, 2);
  assert.equal(batch.result[0].result.length, 1);
  assert.ok(!ids(batch.result[1].result).includes(1));

  const seen = [];
  let offset;
  do {
    const page = await points.scroll({ collectionName: name, limit: 3, offset });
    seen.push(...ids(page.result));
    offset = page.nextPageOffset;
  } while (offset);
  assert.equal(new Set(seen).size, 4);

  assert.equal((await points.count({ collectionName: name, filter: { must: [keyword('city', 'London')] } })).result.count, 2n);
});

test('payload and index operations, deletes by id and filter, errors', async () => {
  const selectIds = (...n) => ({ pointsSelectorOneOf: { case: 'points', value: { ids: n.map(num) } } });
  await points.setPayload({ collectionName: name, wait: true, payload: { visited: { kind: { case: 'boolValue', value: true } } }, pointsSelector: selectIds(1, 2) });
  await points.overwritePayload({ collectionName: name, wait: true, payload: { only: text('this') }, pointsSelector: selectIds(3) });
  await points.deletePayload({ collectionName: name, wait: true, keys: ['n'], pointsSelector: selectIds(1) });
  await points.clearPayload({ collectionName: name, wait: true, points: selectIds(2) });
  const got = await points.get({ collectionName: name, ids: [num(1), num(2), num(3)], withPayload: { selectorOptions: { case: 'enable', value: true } } });
  const byId = Object.fromEntries(got.result.map(p => [Number(p.id.pointIdOptions.value), Object.keys(p.payload).sort()]));
  assert.deepEqual(byId, { 1: ['city', 'visited'], 2: [], 3: ['only'] });

  await points.createFieldIndex({ collectionName: name, wait: true, fieldName: 'city', fieldType: 0 /* Keyword */ });
  const info = await collections.get({ collectionName: name });
  assert.equal(info.result.payloadSchema.city.dataType, 1 /* Keyword */);
  await points.deleteFieldIndex({ collectionName: name, wait: true, fieldName: 'city' });

  await points.delete({ collectionName: name, wait: true, points: selectIds(1) });
  await points.delete({ collectionName: name, wait: true, points: { pointsSelectorOneOf: { case: 'filter', value: { must: [keyword('city', 'London')] } } } });
  assert.equal((await points.count({ collectionName: name })).result.count, 2n); // 2 lost its city, 3 was overwritten

  await assert.rejects(points.count({ collectionName: 'no_such_collection' }), e => e.code === 5 /* NotFound */);
  await assert.rejects(
    points.upsert({ collectionName: name, wait: true, points: [{ id: num(9), vectors: dense([1, 2]) }] }),
    e => e.code === 3 /* InvalidArgument */ && /Wrong input/.test(e.rawMessage));
  assert.equal((await points.count({ collectionName: name })).result.count, 2n);

  assert.equal((await collections.delete({ collectionName: name })).result, true);
});
