// Qdrant's universal query through the official JS client: prefetch and fusion (hybrid search), recommend, discover,
// context, relevance feedback, order by, sample, MMR, lookup_from and batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';

const client = new QdrantClient({ url: process.env.VECTORDB_URL ?? 'http://127.0.0.1:6333', checkCompatibility: false });
const name = `query_${process.pid}`;
const bm25 = text => ({ text, model: 'qdrant/bm25' });
const glosses = ['chocolate chip cookies', 'chocolate cake with cherries', 'change a bicycle tyre', 'bake bread at home',
  'fix a flat tyre fast', 'cherry pie recipe', 'oil a bicycle chain', 'cookies without sugar'];
const ids = result => result.points.map(p => p.id);

test('a hybrid collection', async () => {
  await client.createCollection(name, {
    vectors: { text: { size: 3, distance: 'Cosine' }, pos: { size: 2, distance: 'Euclid' } },
    sparse_vectors: { bm25: { modifier: 'idf' } },
  });
  await client.upsert(name, {
    wait: true,
    points: glosses.map((gloss, i) => ({
      id: i + 1,
      vector: { text: [Math.cos(i * 0.4), Math.sin(i * 0.4), 0.1 * i], pos: [i, 0], bm25: bm25(gloss) },
      payload: { kind: i % 2 === 0 ? 'recipe' : 'howto', rank: 10 * ((i * 3) % 8) },
    })),
  });
  await client.createPayloadIndex(name, { field_name: 'rank', field_schema: 'integer', wait: true });
});

test('prefetch and fusion: rrf, rrf with parameters, dbsf', async () => {
  const prefetch = [
    { query: [1, 0.2, 0], using: 'text', limit: 4 },
    { query: bm25('bicycle tyre'), using: 'bm25', limit: 4 },
  ];
  const rrf = await client.query(name, { prefetch, query: { fusion: 'rrf' }, limit: 3 });
  assert.equal(rrf.points.length, 3);
  assert.ok(ids(rrf).includes(1) && ids(rrf).includes(3));

  const weighted = await client.query(name, {
    prefetch: [{ query: [1, 0, 0], using: 'text', limit: 1 }, { query: [7, 0], using: 'pos', limit: 1 }],
    query: { rrf: { k: 2, weights: [1, 3] } },
  });
  assert.deepEqual(ids(weighted), [8, 1]);
  assert.ok(Math.abs(weighted.points[0].score - 0.75) < 1e-6);

  const dbsf = await client.query(name, { prefetch, query: { fusion: 'dbsf' }, limit: 2, with_payload: ['kind'] });
  assert.equal(dbsf.points.length, 2);
  assert.deepEqual(Object.keys(dbsf.points[0].payload), ['kind']);

  // A prefetch re-scored by another vector, under a filter that reaches the prefetch.
  const rescored = await client.query(name, {
    prefetch: { query: [1, 0, 0], using: 'text', limit: 6 },
    query: [0, 0], using: 'pos',
    filter: { must: [{ key: 'kind', match: { value: 'recipe' } }] },
  });
  assert.deepEqual(ids(rescored), [1, 3, 5, 7]);
  await assert.rejects(client.query(name, { query: { fusion: 'rrf' } }), e => e.status === 400);
});

test('recommend, discover, context and relevance feedback', async () => {
  for (const strategy of ['average_vector', 'best_score', 'sum_scores']) {
    const hits = await client.query(name, { query: { recommend: { positive: [1], negative: [5], strategy } }, using: 'text', limit: 3 });
    assert.equal(hits.points.length, 3);
    assert.ok(!ids(hits).includes(1) && !ids(hits).includes(5));
  }

  const discover = await client.query(name, { query: { discover: { target: [7, 0], context: [{ positive: 6, negative: 2 }] } }, using: 'pos', limit: 2 });
  assert.deepEqual(ids(discover), [8, 7]);

  const context = await client.query(name, { query: { context: [{ positive: 8, negative: 1 }] }, using: 'pos', limit: 8 });
  assert.equal(context.points.find(p => p.id === 7).score, 0);

  const feedback = await client.query(name, {
    query: { relevance_feedback: { target: [1, 0, 0], feedback: [{ example: 2, score: 1 }, { example: 6, score: 0 }], strategy: { naive: { a: 1, b: 1, c: 1 } } } },
    using: 'text', limit: 3,
  });
  assert.equal(feedback.points.length, 3);
});

test('order by, sample, mmr, no query, lookup_from and batches', async () => {
  const ordered = await client.query(name, { query: { order_by: { key: 'rank', direction: 'desc' } }, limit: 3 });
  assert.deepEqual(ordered.points.map(p => p.order_value), [70, 60, 50]);

  const sample = await client.query(name, { query: { sample: 'random' }, limit: 8 });
  assert.deepEqual(ids(sample).sort(), [1, 2, 3, 4, 5, 6, 7, 8]);

  const mmr = await client.query(name, { query: { nearest: [0, 0], mmr: { diversity: 1, candidates_limit: 8 } }, using: 'pos', limit: 2 });
  assert.deepEqual(ids(mmr), [1, 8]);

  const byId = await client.query(name, { limit: 2, offset: 1 });
  assert.deepEqual(ids(byId), [2, 3]);

  const source = `${name}_source`;
  await client.createCollection(source, { vectors: { size: 2, distance: 'Euclid' } });
  await client.upsert(source, { wait: true, points: [{ id: 1, vector: [2, 0] }] });
  const looked = await client.query(name, { query: 1, using: 'pos', lookup_from: { collection: source, vector: '' }, limit: 1 });
  assert.deepEqual(ids(looked), [3]);
  await client.deleteCollection(source);

  const batch = await client.queryBatch(name, { searches: [
    { prefetch: [{ query: [0, 0], using: 'pos' }], query: { fusion: 'rrf' }, limit: 1 },
    { query: { recommend: { positive: [1] } }, using: 'pos', limit: 1 },
  ] });
  assert.deepEqual(batch.map(r => r.points[0].id), [1, 2]);
});

test('query groups', async () => {
  await client.createPayloadIndex(name, { field_name: 'kind', field_schema: 'keyword', wait: true });
  const result = await client.queryGroups(name, { query: [2.2, 0], using: 'pos', group_by: 'kind', group_size: 2, limit: 2 });
  assert.deepEqual(result.groups.map(g => g.id), ['recipe', 'howto']);
  assert.deepEqual(result.groups.map(g => g.hits.map(h => h.id)), [[3, 5], [4, 2]]);
});

test('batch update', async () => {
  const results = await client.batchUpdate(name, {
    wait: true,
    operations: [
      { upsert: { points: [{ id: 100, vector: { text: [0, 0, 1], pos: [100, 0] }, payload: { kind: 'extra' } }] } },
      { set_payload: { payload: { checked: true }, points: [100] } },
      { delete: { points: [100] } },
    ],
  });
  assert.equal(results.length, 3);
  assert.equal((await client.retrieve(name, { ids: [100] })).length, 0);
});

test('aliases', async () => {
  await client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: name, alias_name: `${name}_live` } }] });
  assert.deepEqual((await client.getCollectionAliases(name)).aliases, [{ alias_name: `${name}_live`, collection_name: name }]);
  assert.ok((await client.getAliases()).aliases.some(a => a.alias_name === `${name}_live`));
  assert.equal((await client.count(`${name}_live`, { exact: true })).count, 8);
  await client.updateCollectionAliases({ actions: [{ delete_alias: { alias_name: `${name}_live` } }] });
  assert.deepEqual((await client.getCollectionAliases(name)).aliases, []);
});

test('facet and the distance matrix', async () => {
  const facet = await client.facet(name, { key: 'kind', limit: 5 });
  assert.deepEqual(facet.hits, [{ value: 'howto', count: 4 }, { value: 'recipe', count: 4 }]);
  const pairs = await client.searchMatrixPairs(name, { sample: 8, limit: 1, using: 'pos' });
  assert.equal(pairs.pairs.length, 8);
  const offsets = await client.searchMatrixOffsets(name, { sample: 4, limit: 2, using: 'pos' });
  assert.equal(offsets.ids.length, 4);
  assert.equal(offsets.scores.length, 8);
});

test('collection settings and strict mode', async () => {
  assert.equal(await client.updateCollection(name, { metadata: { owner: 'compat' }, strict_mode_config: { enabled: true, max_query_limit: 4 } }), true);
  const info = await client.getCollection(name);
  assert.equal(info.config.metadata.owner, 'compat');
  assert.equal(info.config.strict_mode_config.max_query_limit, 4);
  await assert.rejects(client.query(name, { query: [0, 0], using: 'pos', limit: 5 }), e => e.status === 403);
  await client.updateCollection(name, { strict_mode_config: { enabled: false } });
  assert.equal((await client.query(name, { query: [0, 0], using: 'pos', limit: 5 })).points.length, 5);
});

test('formula rescoring', async () => {
  const boosted = await client.query(name, {
    prefetch: { query: [0, 0], using: 'pos', limit: 8 },
    query: { formula: { sum: [{ neg: '$score' }, { mult: [10, { key: 'kind', match: { value: 'howto' } }] }, { div: { left: 'rank', right: 100 } }] } },
    limit: 3,
  });
  assert.deepEqual(ids(boosted), [2, 4, 6]);
  await assert.rejects(client.query(name, { prefetch: { query: [0, 0], using: 'pos' }, query: { formula: 'missing_key' } }), e => e.status === 400);
});

test('clean up', async () => {
  assert.equal(await client.deleteCollection(name), true);
});
