// Named dense vectors, sparse vectors and server-side BM25 through the official Qdrant JS client's own methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';

const client = new QdrantClient({ url: process.env.VECTORDB_URL ?? 'http://127.0.0.1:6333', checkCompatibility: false });
const name = `vectors_${process.pid}`;
const bm25 = text => ({ text, model: 'qdrant/bm25' });

test('a collection of named dense and sparse vectors', async () => {
  assert.equal(await client.createCollection(name, {
    vectors: { text: { size: 3, distance: 'Cosine' }, image: { size: 2, distance: 'Euclid' } },
    sparse_vectors: { bm25: { modifier: 'idf' }, splade: {} },
  }), true);
  const info = await client.getCollection(name);
  assert.equal(info.config.params.vectors.text.size, 3);
  assert.equal(info.config.params.sparse_vectors.bm25.modifier, 'idf');

  await client.upsert(name, {
    wait: true,
    points: [
      { id: 1, vector: { text: [1, 0, 0], image: [0, 0], bm25: bm25('Recipe for baking chocolate chip cookies') }, payload: { kind: 'recipe' } },
      { id: 2, vector: { text: [0, 1, 0], bm25: bm25('Chocolate cake with cherries'), splade: { indices: [7, 3], values: [0.5, 2] } }, payload: { kind: 'recipe' } },
      { id: 3, vector: { text: [0, 0, 1], image: [5, 5], bm25: bm25('How to change a bicycle tyre') }, payload: { kind: 'howto' } },
    ],
  });
  assert.equal((await client.count(name, { exact: true })).count, 3);
});

test('queries choose their vector with `using`', async () => {
  const dense = await client.query(name, { query: [0.1, 0.9, 0], using: 'text', limit: 1, with_vector: ['text'] });
  assert.equal(dense.points[0].id, 2);
  assert.deepEqual(Object.keys(dense.points[0].vector), ['text']);

  const text = await client.query(name, { query: bm25('chocolate cookies'), using: 'bm25', with_payload: true });
  assert.deepEqual(text.points.map(p => p.id), [1, 2]);

  const sparse = await client.query(name, { query: { indices: [3], values: [1] }, using: 'splade' });
  assert.deepEqual(sparse.points.map(p => [p.id, p.score]), [[2, 2]]);

  const filtered = await client.query(name, { query: [4, 4], using: 'image', filter: { must: [{ key: 'kind', match: { value: 'recipe' } }] } });
  assert.deepEqual(filtered.points.map(p => p.id), [1]);

  const batch = await client.queryBatch(name, { searches: [{ query: [0, 0, 1], using: 'text', limit: 1 }, { query: bm25('bicycle'), using: 'bm25', limit: 1 }] });
  assert.deepEqual(batch.map(r => r.points[0].id), [3, 3]);
  await assert.rejects(client.query(name, { query: [1, 0, 0], using: 'nope' }), e => e.status === 400);
});

test('vectors are updated and deleted without touching payloads', async () => {
  await client.updateVectors(name, { wait: true, points: [{ id: 3, vector: { text: [0, 1, 0.1], splade: { indices: [1], values: [1] } } }] });
  let [point] = await client.retrieve(name, { ids: [3], with_vector: true });
  assert.equal(point.payload.kind, 'howto');
  assert.deepEqual(point.vector.splade.indices, [1]);
  assert.equal(point.vector.image.length, 2);

  await client.deleteVectors(name, { wait: true, points: [3], vector: ['image'] });
  [point] = await client.retrieve(name, { ids: [3], with_vector: true });
  assert.equal(point.vector.image, undefined);
  assert.equal(point.vector.text.length, 3);
});

test('named vectors are added to and removed from an existing collection', async () => {
  await client.createVectorName(name, 'v2', { dense: { size: 2, distance: 'Dot' } });
  await client.updateVectors(name, { wait: true, points: [{ id: 1, vector: { v2: [1, 2] } }] });
  const { points } = await client.query(name, { query: [1, 1], using: 'v2' });
  assert.deepEqual(points.map(p => [p.id, p.score]), [[1, 3]]);
  await client.createVectorName(name, 'keywords', { sparse: { modifier: 'idf' } });
  await client.deleteVectorName(name, 'v2');
  const info = await client.getCollection(name);
  assert.equal(info.config.params.vectors.v2, undefined);
  assert.equal(info.config.params.sparse_vectors.keywords.modifier, 'idf');
  assert.equal(await client.deleteCollection(name), true);
});

test('a multivector is scored by MaxSim', async () => {
  const multi = `${name}_colbert`;
  await client.createCollection(multi, { vectors: { colbert: { size: 2, distance: 'Dot', multivector_config: { comparator: 'max_sim' } } } });
  await client.upsert(multi, { wait: true, points: [{ id: 1, vector: { colbert: [[1, 0], [0, 1]] } }, { id: 2, vector: { colbert: [[0.5, 0.5]] } }] });
  const { points } = await client.query(multi, { query: [[1, 0], [0, 1]], using: 'colbert', with_vector: true });
  assert.deepEqual(points.map(p => [p.id, p.score]), [[1, 2], [2, 1]]);
  assert.deepEqual(points[0].vector.colbert, [[1, 0], [0, 1]]);
  assert.equal(await client.deleteCollection(multi), true);
});

test('every kind of condition through the client: text, datetime, geo, values_count, nested, min_should, has_vector', async () => {
  const places = `${name}_places`;
  await client.createCollection(places, { vectors: { text: { size: 2, distance: 'Dot' } }, sparse_vectors: { bm25: {} } });
  await client.upsert(places, {
    wait: true,
    points: [
      { id: 1, vector: { text: [1, 0] }, payload: { about: 'a quick brown fox', at: { lon: 13.405, lat: 52.52 }, when: '2024-05-01T12:00:00Z', tags: ['a', 'b'], items: [{ sku: 'x', qty: 2 }] } },
      { id: 2, vector: { text: [0, 1], bm25: { indices: [1], values: [1] } }, payload: { about: 'the lazy dog', at: { lon: 2.35, lat: 48.86 }, when: '2023-01-01', tags: ['a'], items: [{ sku: 'x', qty: 9 }] } },
    ],
  });
  await client.createPayloadIndex(places, { field_name: 'about', field_schema: { type: 'text', tokenizer: 'word', phrase_matching: true }, wait: true });
  await client.createPayloadIndex(places, { field_name: 'when', field_schema: 'datetime', wait: true });
  await client.createPayloadIndex(places, { field_name: 'at', field_schema: 'geo', wait: true });
  const count = async filter => (await client.count(places, { filter, exact: true })).count;
  assert.equal(await count({ must: [{ key: 'about', match: { text: 'brown fox' } }] }), 1);
  assert.equal(await count({ must: [{ key: 'about', match: { text_any: 'fox dog' } }] }), 2);
  assert.equal(await count({ must: [{ key: 'about', match: { phrase: 'lazy dog' } }] }), 1);
  assert.equal(await count({ must: [{ key: 'when', range: { gte: '2024-01-01T00:00:00Z' } }] }), 1);
  assert.equal(await count({ must: [{ key: 'at', geo_radius: { center: { lon: 13.4, lat: 52.5 }, radius: 10000 } }] }), 1);
  assert.equal(await count({ must: [{ key: 'at', geo_bounding_box: { top_left: { lon: 0, lat: 60 }, bottom_right: { lon: 20, lat: 40 } } }] }), 2);
  assert.equal(await count({ must: [{ key: 'tags', values_count: { gte: 2 } }] }), 1);
  assert.equal(await count({ must: [{ nested: { key: 'items', filter: { must: [{ key: 'sku', match: { value: 'x' } }, { key: 'qty', range: { gt: 5 } }] } } }] }), 1);
  assert.equal(await count({ must: [{ has_vector: 'bm25' }] }), 1);
  assert.equal(await count({ min_should: { conditions: [{ has_vector: 'bm25' }, { key: 'tags', values_count: { gte: 2 } }, { key: 'about', match: { text: 'dog' } }], min_count: 2 } }), 1);
  assert.equal(await client.deleteCollection(places), true);
});
