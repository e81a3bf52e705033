namespace VectorDb.Log;

/// <summary>What collection records change (<see cref="CollectionRecord.ApplyTo"/>): a collection's points, payload indexes and rotation.</summary>
internal interface ICollectionState
{
    /// <summary>Validates and deduplicates a batch (records logged before a check was added are checked again on replay).</summary>
    Point[] PrepareBatch(IEnumerable<Point> points);

    /// <summary>Inserts and replaces a validated batch; returns how many points it wrote.</summary>
    int ApplyUpsert(Point[] batch);

    /// <summary>Deletes the points that exist among <paramref name="ids"/>; returns how many.</summary>
    int ApplyDelete(IEnumerable<PointId> ids);

    /// <summary>Changes the payloads of the points that exist among <paramref name="ids"/>; returns how many.</summary>
    int ApplyPayloadUpdate(IEnumerable<PointId> ids, PayloadOperation operation, Payload? payload, IReadOnlyList<string>? keys);

    /// <summary>Takes on changed settings (beam width of new links, metadata, strict mode).</summary>
    void ApplyUpdateSettings(CollectionOptions options);

    /// <summary>
    /// Builds a payload index from the current points, restoring what a checkpoint saved of its reach (<paramref name="links"/>,
    /// whose failure <paramref name="linksUnusable"/> is told of).
    /// </summary>
    void ApplyCreatePayloadIndex(string key, PayloadSchemaType schema, bool isTenant, Stream? links = null, Action<string>? linksUnusable = null, TextIndexOptions? text = null);

    /// <summary>Deletes a payload index.</summary>
    void ApplyDeletePayloadIndex(string key);

    /// <summary>Makes adaptive searches walk a fitted rotation's axes.</summary>
    void ApplyRotation(float[] axes, double explainedVariance);

    /// <summary>Replaces the vectors given for the existing points among <paramref name="updates"/>, keeping their others; returns how many.</summary>
    int ApplyUpdateVectors(Point[] updates);

    /// <summary>Removes the vectors named from the existing points among <paramref name="ids"/>; returns how many.</summary>
    int ApplyDeleteVectors(IEnumerable<PointId> ids, IReadOnlyList<string> names);

    /// <summary>Adds a named vector (dense or sparse) to the collection.</summary>
    void ApplyCreateVector(string name, DenseVectorOptions? dense, SparseVectorOptions? sparse);

    /// <summary>Removes a named vector and every point's vector of that name.</summary>
    void ApplyDeleteVector(string name);
}

/// <summary>What database records change (<see cref="DatabaseRecord.ApplyTo"/>): which collections exist.</summary>
internal interface IDatabaseState
{
    /// <summary>Creates the collection a record names, unless it exists already (a checkpoint holds it).</summary>
    void ApplyCreateCollection(CreateCollectionRecord record);

    /// <summary>Drops the collection a record names, if it still exists, and the aliases naming it.</summary>
    void ApplyDropCollection(DropCollectionRecord record);

    /// <summary>Sets and removes aliases in the record's order.</summary>
    void ApplyUpdateAliases(UpdateAliasesRecord record);
}
