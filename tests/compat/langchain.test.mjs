// LangChain's Qdrant vector store (@langchain/qdrant, over the official JS client) against a running VectorDb server
// (VECTORDB_URL): what an application built on it sends by default must work unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Embeddings } from '@langchain/core/embeddings';
import { Document } from '@langchain/core/documents';
import { QdrantVectorStore } from '@langchain/qdrant';

const url = process.env.VECTORDB_URL ?? 'http://127.0.0.1:6333';
const collectionName = `langchain_${process.pid}`;

/** Bag-of-words embeddings over a fixed vocabulary: deterministic, and similar texts get similar vectors. */
class WordEmbeddings extends Embeddings {
  static vocabulary = ['cat', 'dog', 'pet', 'car', 'engine', 'road', 'pasta', 'cook', 'kitchen'];

  constructor() { super({}); }

  embed(text) {
    const words = text.toLowerCase().split(/\W+/);
    return WordEmbeddings.vocabulary.map(word => words.filter(w => w.startsWith(word)).length + 0.01);
  }

  async embedDocuments(texts) { return texts.map(text => this.embed(text)); }

  async embedQuery(text) { return this.embed(text); }
}

const documents = [
  new Document({ pageContent: 'The cat sleeps next to the dog, both good pets', metadata: { topic: 'pets', n: 1 } }),
  new Document({ pageContent: 'A car engine needs oil for the long road', metadata: { topic: 'cars', n: 2 } }),
  new Document({ pageContent: 'Cook pasta in the kitchen', metadata: { topic: 'food', n: 3 } }),
];

test('documents are added, searched, filtered and deleted through LangChain', async () => {
  const ids = ['7d1c3f8e-5a4b-4c2d-9e8f-0a1b2c3d4e5f', '8e2d4f9a-6b5c-4d3e-8f90-1b2c3d4e5f60', '9f3e5a0b-7c6d-4e4f-9a01-2c3d4e5f6071'];
  const store = await QdrantVectorStore.fromDocuments(documents, new WordEmbeddings(), { url, collectionName });
  await store.addDocuments([new Document({ pageContent: 'The dog chases the cat', metadata: { topic: 'pets', n: 4 } })], { ids: [ids[0]] });

  const [best] = await store.similaritySearch('my pet dog', 1);
  assert.equal(best.metadata.topic, 'pets');

  const scored = await store.similaritySearchWithScore('engine on the road', 2);
  assert.equal(scored[0][0].metadata.topic, 'cars');
  assert.ok(scored[0][1] >= scored[1][1]);

  const filtered = await store.similaritySearch('my pet dog', 3, { must: [{ key: 'metadata.topic', match: { value: 'food' } }] });
  assert.deepEqual(filtered.map(d => d.metadata.topic), ['food']);

  await store.delete({ ids: [ids[0]] });
  const remaining = await store.similaritySearch('dog chases cat', 10);
  assert.equal(remaining.length, 3);

  await store.delete({ filter: { must: [{ key: 'metadata.topic', match: { value: 'cars' } }] } });
  assert.equal((await store.similaritySearch('car', 10)).length, 2);
  assert.equal(await store.client.deleteCollection(collectionName), true);
});
